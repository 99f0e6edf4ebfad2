import type { Bundle } from '@sigstore/bundle';
import { SignetError } from '../../errors.js';
import { parseSigstoreBundle } from '../sigstore/index.js';
import { toDsseEnvelope, type DsseEnvelope } from './dsse.js';
import { isJsonObject, parseUntrustedJson } from './untrusted-json.js';

/** A cosign bundle layer: the parsed bundle and, for DSSE bundles, the envelope read strictly from the JSON. */
export interface CosignBundle {
  readonly bundle: Bundle;
  readonly envelope: DsseEnvelope | undefined;
  /** Whether the signing key is a certificate (keyless) rather than a key hint. */
  readonly hasCertificate: boolean;
}

/**
 * A Sigstore bundle layer (untrusted bytes, size-checked by the caller) → the bundle, parsed by the sigstore
 * module's one parser (shape and media type), or SIGNATURE_INVALID / LIMIT_EXCEEDED.
 */
export function parseCosignBundle(bytes: Uint8Array): CosignBundle {
  const bundle = parseSigstoreBundle(bytes);
  const content = bundle.verificationMaterial.content.$case;
  const document =
    bundle.content.$case === 'dsseEnvelope' ? parseUntrustedJson(bytes, 'Sigstore bundle') : undefined;
  return {
    bundle,
    // From the JSON itself: protobuf's base64 decoding skips characters that are not base64, and a corrupt
    // signature must fail rather than decode to something else.
    envelope: isJsonObject(document) ? toDsseEnvelope(document.dsseEnvelope) : undefined,
    hasCertificate: content === 'certificate' || content === 'x509CertificateChain',
  };
}

/** Key-based verification checks the DSSE envelope with the policy's keys; cosign signs images with DSSE. */
export function toKeyedEnvelope(bundle: CosignBundle): DsseEnvelope {
  if (bundle.envelope === undefined) {
    throw new SignetError('SIGNATURE_INVALID', {
      stage: 'verify',
      reason: 'Sigstore bundle holds a message signature, not the DSSE envelope cosign signs images with',
    });
  }
  return bundle.envelope;
}
