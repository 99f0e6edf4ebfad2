import type { SignetError } from '../errors.js';

/**
 * One verifier's judgement of one artifact (or of every artifact of a subject, when one proof spans several), in
 * Ratify's report schema so that Ratify's own ConstraintTemplates work unchanged (docs/architecture.md "Ratify
 * result value").
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
  /**
   * Why the report fails, with its stable code (REVOKED, CERT_UNTRUSTED…): set on every failing report, so that
   * the code reaches the verdict, the logs, the metrics and the Ratify result (`extensions.code`).
   */
  readonly error?: SignetError;
}

/** How the reports of one artifact type combine: Ratify's config-policy `any` / `all`. */
export type ArtifactRule = 'any' | 'all';

/** What `verifySubject` decides for one subject: the verdict, the reports behind it and, when it fails, why. */
export interface SubjectVerdict {
  readonly isSuccess: boolean;
  readonly reports: readonly VerifierReport[];
  /** Set when the subject failed: the reason, with its code and kind. */
  readonly error: SignetError | undefined;
}

/** The outcome of verifying one image (one Gatekeeper key). */
export interface ImageResult extends SubjectVerdict {
  readonly key: string;
  /** The subject as verified, digest-pinned when resolution succeeded. */
  readonly subject: string | undefined;
  readonly verifiedAt: Date;
}
