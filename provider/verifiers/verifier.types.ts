import type { SignatureArtifact } from '../discover/index.js';
import type { SignetError } from '../errors.js';
import type { ImageReference } from '../reference/index.js';
import type { BlobCallOptions, Descriptor } from '../registry/index.js';
import type { ArtifactRule, VerifierReport } from '../verdict/index.js';

/** What a verifier is given for one signature artifact. It does I/O only through `fetchBlob`. */
export interface ArtifactVerifyInput {
  /** The subject, digest-pinned. */
  readonly subject: ImageReference;
  /** The subject's descriptor (digest, size, media type) as signatures name it. */
  readonly subjectDescriptor: Descriptor;
  readonly artifact: SignatureArtifact;
  /** Fetches a blob of the subject's repository, digest- and size-verified. */
  readonly fetchBlob: (descriptor: Descriptor, limit?: BlobCallOptions['limit']) => Promise<Uint8Array>;
  readonly signal: AbortSignal;
  readonly now: Date;
}

/**
 * One configured Verifier resource, ready to judge artifacts. A verdict (bad signature, untrusted
 * certificate) is a report with `isSuccess: false`; an inconclusive failure (registry down, timeout,
 * revocation unavailable) is thrown as a SignetError so the image is not cached as a verdict.
 */
export interface ArtifactVerifier {
  /** The Verifier's `spec.name`, which reports carry. */
  readonly name: string;
  /** `notation`, `cosign`, … */
  readonly type: string;
  /** Artifact types this verifier judges; `*` judges every type. */
  readonly artifactTypes: readonly string[];
  /** Why this verifier's configuration is unusable (it then fails every artifact); shown at load time. */
  readonly problem?: SignetError;
  verify(input: ArtifactVerifyInput): Promise<VerifierReport>;
  /**
   * Combines this verifier's reports for one subject before the policy decides, when one proof spans several
   * artifacts (cosign v3 stores each signature and attestation as its own bundle referrer). Given every report
   * this verifier made for the subject (none when no artifact was found), returns the reports to decide on.
   */
  aggregate?(
    subject: ImageReference,
    reports: readonly VerifierReport[],
    ruleFor: (artifactType: string) => ArtifactRule,
  ): VerifierReport[];
}
