import { SignetError } from '../../../errors.js';
import {
  parseNotationEnvelope,
  parseTargetDescriptor,
  verifyEnvelopeIntegrity,
  type SignatureEnvelope,
} from '../envelope/index.js';
import { stageFailure } from './stage-failure.js';

/** The artifact the signature must be for: its OCI descriptor as resolved from the registry. */
export interface SubjectDescriptor {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

export type IntegrityResult =
  | { readonly $case: 'verified'; readonly envelope: SignatureEnvelope }
  | {
      readonly $case: 'failed';
      readonly error: SignetError;
      readonly envelope: SignatureEnvelope | undefined;
    };

/**
 * notation's integrity validation: the envelope parses, its signature verifies with the signing
 * certificate, the chain meets the certificate requirements, and — checked here rather than after
 * all stages as notation does, because it is the signature's integrity with respect to this
 * artifact — the signed payload describes exactly this subject (digest, size and media type).
 */
export function verifyIntegrity(
  mediaType: string,
  bytes: Uint8Array,
  subject: SubjectDescriptor,
): IntegrityResult {
  let envelope: SignatureEnvelope | undefined;
  try {
    envelope = parseNotationEnvelope(mediaType, bytes);
    verifyEnvelopeIntegrity(envelope);
    const target = parseTargetDescriptor(envelope);
    if (
      target.digest !== subject.digest ||
      target.size !== subject.size ||
      target.mediaType !== subject.mediaType
    ) {
      throw stageFailure(
        'SIGNATURE_INVALID',
        'integrity',
        `content descriptor mismatch: the signature is for ${target.mediaType} ${target.digest} (${target.size} bytes), not ${subject.mediaType} ${subject.digest} (${subject.size} bytes)`,
      );
    }
    return { $case: 'verified', envelope };
  } catch (error) {
    if (!(error instanceof SignetError)) throw error;
    return { $case: 'failed', error, envelope };
  }
}
