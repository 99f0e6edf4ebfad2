import type { SignetError } from '../errors.js';

/**
 * One verifier's judgement of one artifact, in Ratify's report schema so that Ratify's own
 * ConstraintTemplates work unchanged (see DESIGN.md "Ratify result value").
 */
export interface VerifierReport {
  /** The artifact judged: `registry/repo@sha256:…` of the subject or of the signature. */
  readonly subject: string;
  readonly isSuccess: boolean;
  /** The Verifier resource's `spec.name` (e.g. `notation`). */
  readonly name: string;
  readonly verifierName: string;
  readonly type: string;
  readonly verifierType: string;
  readonly message: string;
  readonly errorReason?: string;
  readonly remediation?: string;
  readonly artifactType: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly nestedReports: readonly VerifierReport[];
}

/** The outcome of verifying one image (one Gatekeeper key). */
export interface ImageResult {
  readonly key: string;
  readonly isSuccess: boolean;
  /** The subject as verified, digest-pinned when resolution succeeded. */
  readonly subject: string | undefined;
  readonly reports: readonly VerifierReport[];
  /** Set when the image failed: the reason, with its code and kind. */
  readonly error: SignetError | undefined;
  readonly verifiedAt: Date;
}

export interface VerifyContext {
  readonly signal: AbortSignal;
  /** Epoch ms at which `signal` aborts, when known: registry retries that could not finish by then are skipped. */
  readonly deadline?: number;
  readonly traceId: string;
}

/** What the server needs from the pipeline; the pipeline implements it, tests may stub it. */
export interface ImagePipeline {
  /** Verify one key (`image` or `[namespace]image`). Never throws: failures are in the result. */
  verify(key: string, context: VerifyContext): Promise<ImageResult>;
  /** Resolve a key to its digest-pinned reference (`registry/repo@sha256:…`). Throws SignetError. */
  resolveDigest(key: string, context: VerifyContext): Promise<string>;
}
