import type { SignetError } from '../../errors.js';
import type { SignatureEnvelope } from './envelope/index.js';
import type { ValidationAction, ValidationType, VerificationLevel } from './levels.js';
import type { Timestamp } from '../../trust/index.js';

/**
 * What happened to one validation: it passed, failed (and its action decided whether that stopped
 * verification), was skipped by the level, or never ran because an earlier enforced failure
 * stopped verification first.
 */
export type ValidationStatus = 'success' | 'failure' | 'skipped' | 'notRun';

export interface ValidationResult {
  readonly type: ValidationType;
  readonly action: ValidationAction;
  readonly status: ValidationStatus;
  readonly error: SignetError | undefined;
}

/** The outcome of verifying one signature envelope against one trust policy statement. */
export interface NotationOutcome {
  readonly isSuccess: boolean;
  readonly statementName: string;
  readonly level: VerificationLevel;
  /** All five validations in notation's order: integrity, authenticity, expiry, authenticTimestamp, revocation. */
  readonly results: readonly ValidationResult[];
  /** The validation that failed verification, when it failed. */
  readonly failedValidation: ValidationType | undefined;
  /** Why verification failed (attributed to the subject reference): the enforced failure, or an integrity failure at any level. */
  readonly error: SignetError | undefined;
  /** Failures whose action was `log`, worded as notation logs them. */
  readonly warnings: readonly string[];
  /** The parsed envelope, when integrity got far enough to parse it. */
  readonly envelope: SignatureEnvelope | undefined;
  /** The verified RFC 3161 timestamp, when one was checked. */
  readonly timestamp: Timestamp | undefined;
}
