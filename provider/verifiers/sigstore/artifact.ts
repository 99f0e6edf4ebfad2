import { createHash } from 'node:crypto';

import type { Bundle } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import type { SignedEntity } from '@sigstore/verify';

import { SignetError } from '../../errors.js';
import { bundleFailure } from './bundle-failure.js';
import { verifyPrehashedSignature } from './prehashed-signature.js';
import type { ArtifactDigestAlgorithm, SigstoreArtifact } from './sigstore.types.js';

/** In-toto statements name few subjects; bound the scan. */
const MAX_STATEMENT_SUBJECTS = 1024;
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const HASH_NAMES: Partial<Record<HashAlgorithm, ArtifactDigestAlgorithm>> = {
  [HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED]: 'sha256',
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
};

function digestOf(algorithm: ArtifactDigestAlgorithm, bytes: Uint8Array): Buffer {
  return createHash(algorithm).update(bytes).digest();
}

/** Parses `sha256:<hex>` (or sha384 / sha512) into a digest artifact. */
export function toDigestArtifact(digest: string): SigstoreArtifact {
  const match = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(digest);
  const algorithm = match?.[1] as ArtifactDigestAlgorithm | undefined;
  const hex = match?.[2];
  const lengths: Record<ArtifactDigestAlgorithm, number> = { sha256: 64, sha384: 96, sha512: 128 };
  if (algorithm === undefined || hex === undefined || hex.length !== lengths[algorithm]) {
    throw new SignetError('SIGNATURE_INVALID', {
      stage: 'verify',
      reason: `artifact: invalid digest ${digest}`,
    });
  }
  return { $case: 'digest', algorithm, digest: Buffer.from(hex, 'hex') };
}

/** The statement's subjects must include the artifact: a DSSE signature says nothing about other bytes. */
export function verifyStatementSubject(
  payloadType: string,
  payload: Buffer,
  artifact: SigstoreArtifact,
  image?: string,
): void {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'artifact',
      `DSSE payload type ${payloadType} is not an in-toto statement`,
      image,
    );
  }
  let subjects: unknown;
  try {
    subjects = (JSON.parse(payload.toString('utf8')) as { subject?: unknown }).subject;
  } catch (error) {
    throw bundleFailure('SIGNATURE_INVALID', 'artifact', 'DSSE payload is not valid JSON', image, error);
  }
  if (!Array.isArray(subjects) || subjects.length === 0 || subjects.length > MAX_STATEMENT_SUBJECTS) {
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'artifact',
      'in-toto statement has no usable subject list',
      image,
    );
  }
  const matches = subjects.some((subject: unknown) => {
    const digests = (subject as { digest?: unknown } | null)?.digest;
    if (typeof digests !== 'object' || digests === null) return false;
    return (['sha256', 'sha384', 'sha512'] as const).some((algorithm) => {
      const hex = (digests as Record<string, unknown>)[algorithm];
      if (typeof hex !== 'string') return false;
      const expected = Buffer.from(hex.toLowerCase(), 'hex');
      if (artifact.$case === 'digest')
        return artifact.algorithm === algorithm && expected.equals(artifact.digest);
      return expected.equals(digestOf(algorithm, artifact.payload));
    });
  });
  if (!matches) {
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'artifact',
      'artifact digest does not match any subject of the in-toto statement',
      image,
    );
  }
}

/** Message signatures: the bundle's digest must be the artifact's, and the signature must be over it. */
export function toMessageContent(
  bundle: Bundle,
  entity: SignedEntity,
  artifact: SigstoreArtifact,
  image?: string,
): SignedEntity['signature'] {
  if (bundle.content.$case !== 'messageSignature') return entity.signature;
  const messageDigest = bundle.content.messageSignature.messageDigest;
  const algorithm = messageDigest === undefined ? undefined : HASH_NAMES[messageDigest.algorithm];
  if (messageDigest === undefined || algorithm === undefined) {
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'bundle',
      'message signature has no supported message digest',
      image,
    );
  }
  const artifactDigest =
    artifact.$case === 'payload'
      ? digestOf(algorithm, artifact.payload)
      : artifact.algorithm === algorithm
        ? Buffer.from(artifact.digest)
        : undefined;
  if (artifactDigest === undefined || !artifactDigest.equals(messageDigest.digest)) {
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'artifact',
      'artifact digest does not match the bundle message digest',
      image,
    );
  }
  if (artifact.$case === 'payload') return entity.signature;
  const signature = bundle.content.messageSignature.signature;
  return {
    ...entity.signature,
    signature,
    compareSignature: (candidate) => entity.signature.compareSignature(candidate),
    compareDigest: (candidate) => entity.signature.compareDigest(candidate),
    compareSignedDigest: (candidate) => entity.signature.compareSignedDigest(candidate),
    verifySignature: (key) => {
      const verdict = verifyPrehashedSignature(key, algorithm, artifactDigest, signature);
      if (verdict === undefined) {
        throw bundleFailure(
          'SIGNATURE_INVALID',
          'signature',
          `a ${key.asymmetricKeyType ?? 'unknown'} signature cannot be checked against a digest alone`,
          image,
        );
      }
      return verdict;
    },
  };
}
