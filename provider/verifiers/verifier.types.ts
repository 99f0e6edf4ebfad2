import type { SignatureArtifact } from '../discover/index.js';
import type { SignetError } from '../errors.js';
import type { ImageReference } from '../reference/index.js';
import type { BlobCallOptions, Descriptor } from '../registry/index.js';
import type { VerifierReport } from '../verdict/index.js';

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
  /**
   * The report of one artifact. Policy takes it as it is, except cosign's (see CosignVerifier), whose findings it
   * combines under the trust policy's count and required and across bundle referrers (policy/cosign-rules.ts).
   */
  verify(input: ArtifactVerifyInput): Promise<VerifierReport>;
}
