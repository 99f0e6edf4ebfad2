import type { KeyObject } from 'node:crypto';

import type { Bundle } from '@sigstore/bundle';
import type { SignedEntity } from '@sigstore/verify';

import { SignetError } from '../../errors.js';
import { verifyStatementSubject } from './artifact.js';
import { bundleFailure, messageOf } from './bundle-failure.js';
import type { SigstoreArtifact, SigstoreSigner } from './sigstore.types.js';

/**
 * sigstore-js's last step: the signature must verify with the signing key; a DSSE envelope must carry exactly
 * one signature and an in-toto statement naming the artifact. Returns the DSSE payload, if any.
 */
export function verifySignature(
  bundle: Bundle,
  entity: SignedEntity,
  key: KeyObject,
  artifact: SigstoreArtifact,
  image: string | undefined,
): SigstoreSigner['dsse'] {
  let signatureValid: boolean;
  try {
    signatureValid = entity.signature.verifySignature(key);
  } catch (error) {
    if (error instanceof SignetError) throw error;
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'signature',
      `signature could not be checked (${messageOf(error)})`,
      image,
      error,
    );
  }
  if (!signatureValid)
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'signature',
      'signature does not verify with the signing key',
      image,
    );

  if (bundle.content.$case !== 'dsseEnvelope') return undefined;
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.signatures.length !== 1) {
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'bundle',
      `DSSE envelope has ${envelope.signatures.length} signatures, expected 1`,
      image,
    );
  }
  verifyStatementSubject(envelope.payloadType, envelope.payload, artifact, image);
  return { payloadType: envelope.payloadType, payload: new Uint8Array(envelope.payload) };
}
