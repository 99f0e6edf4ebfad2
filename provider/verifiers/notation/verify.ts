import type { SignetError } from '../../errors.js';
import type { TrustStores } from '../../trust/index.js';
import type { SignatureEnvelope } from './envelope/index.js';
import { VALIDATION_TYPES, type ValidationType } from './levels.js';
import type { NotationOutcome, ValidationResult } from './outcome.types.js';
import { verifyTrustStoreAuthenticity } from './stages/authenticity.js';
import { verifyExpiry } from './stages/expiry.js';
import { verifyTrustedIdentity } from './stages/identity.js';
import { verifyIntegrity, type SubjectDescriptor } from './stages/integrity.js';
import { verifyChainRevocation, type RevocationChecker } from './stages/revocation.js';
import { verifyAuthenticTimestamp } from './stages/timestamp.js';
import type { Timestamp } from '../../trust/index.js';
import type { TrustPolicyStatement } from './trust-policy.js';

export interface NotationVerificationInput {
  readonly subject: {
    /** `registry/repository@digest`, for messages. */
    readonly reference: string;
    readonly descriptor: SubjectDescriptor;
  };
  readonly envelope: { readonly mediaType: string; readonly bytes: Uint8Array };
  /** The statement selectTrustPolicy chose for the subject. */
  readonly statement: TrustPolicyStatement;
  readonly trustStores: TrustStores;
  /** Verification time: certificate validity without a timestamp and signature expiry are judged at it. */
  readonly now: Date;
  /** Revocation checking; without one the revocation validation is recorded as skipped. */
  readonly revocation?: RevocationChecker;
  readonly signal?: AbortSignal;
}

/**
 * Verifies one Notary Project signature of one artifact as notation does: integrity →
 * authenticity (trust store, then trusted identity) → expiry → authenticTimestamp → revocation,
 * each failure enforced, logged or skipped as the statement's level (and overrides) say, stopping
 * at the first enforced failure. Every validation's result is recorded. Never throws for bad
 * input: malformed envelopes are integrity failures.
 */
export async function verifyNotationSignature(input: NotationVerificationInput): Promise<NotationOutcome> {
  const run = new OutcomeBuilder(input.statement, input.subject.reference);
  if (input.statement.level.name === 'skip') return run.finish(undefined, undefined);

  const integrity = verifyIntegrity(input.envelope.mediaType, input.envelope.bytes, input.subject.descriptor);
  if (integrity.$case === 'failed') {
    // Integrity is enforced at every level that verifies at all; a bad envelope cannot go on.
    run.record('integrity', integrity.error);
    return run.finish(integrity.envelope, undefined);
  }
  const envelope = integrity.envelope;
  run.record('integrity', undefined);

  const leaf = envelope.certificateChain[0];
  const trustStoreError = verifyTrustStoreAuthenticity(envelope, input.statement, input.trustStores);
  const identityError =
    leaf === undefined || (trustStoreError !== undefined && run.isEnforced('authenticity'))
      ? undefined
      : verifyTrustedIdentity(leaf, input.statement);
  if (run.record('authenticity', identityError ?? trustStoreError)) return run.finish(envelope, undefined);

  if (run.record('expiry', verifyExpiry(envelope, input.now))) return run.finish(envelope, undefined);

  let timestamp: Timestamp | undefined;
  if (run.action('authenticTimestamp') !== 'skip') {
    const result = await verifyAuthenticTimestamp({
      envelope,
      statement: input.statement,
      trustStores: input.trustStores,
      now: input.now,
      revocation: input.revocation,
      signal: input.signal,
    });
    if (result.$case === 'verified') timestamp = result.timestamp;
    if (run.record('authenticTimestamp', result.$case === 'failed' ? result.error : undefined))
      return run.finish(envelope, timestamp);
  }

  if (run.action('revocation') !== 'skip') {
    if (input.revocation === undefined) {
      run.note('revocation', 'revocation was not checked: no revocation checker is configured');
    } else {
      const revocationError = await verifyChainRevocation(input.revocation, {
        chain: envelope.certificateChain,
        purpose: 'codeSigning',
        authenticSigningTime:
          envelope.signingScheme === 'notary.x509.signingAuthority' ? envelope.signingTime : undefined,
        signal: input.signal,
      });
      run.record('revocation', revocationError);
    }
  }
  return run.finish(envelope, timestamp);
}

/** Collects validation results in notation's order and decides the verdict. */
class OutcomeBuilder {
  private readonly results = new Map<ValidationType, ValidationResult>();
  private readonly warnings: string[] = [];
  private failure: { readonly type: ValidationType; readonly error: SignetError } | undefined;

  constructor(
    private readonly statement: TrustPolicyStatement,
    private readonly reference: string,
  ) {}

  action(type: ValidationType): ValidationResult['action'] {
    return this.statement.level.enforcement[type];
  }

  isEnforced(type: ValidationType): boolean {
    return this.action(type) === 'enforce';
  }

  /** Records a validation; returns true when its failure is enforced and verification must stop. */
  record(type: ValidationType, error: SignetError | undefined): boolean {
    const action = this.action(type);
    if (action === 'skip') {
      this.results.set(type, { type, action, status: 'skipped', error: undefined });
      return false;
    }
    this.results.set(type, { type, action, status: error === undefined ? 'success' : 'failure', error });
    if (error === undefined) return false;
    // Integrity has no "log": a signature that is not intact is never accepted (notation returns its error).
    if (action === 'enforce' || type === 'integrity') {
      this.failure = { type, error: error.forImage(this.reference) };
      return true;
    }
    this.warnings.push(
      `${type} validation failed with validation action set to "logged". Failure reason: ${error.reason}`,
    );
    return false;
  }

  /** A validation that did not run for a reason other than the level (e.g. no revocation checker). */
  note(type: ValidationType, warning: string): void {
    this.results.set(type, { type, action: this.action(type), status: 'skipped', error: undefined });
    this.warnings.push(warning);
  }

  finish(envelope: SignatureEnvelope | undefined, timestamp: Timestamp | undefined): NotationOutcome {
    const results = VALIDATION_TYPES.map(
      (type): ValidationResult =>
        this.results.get(type) ?? {
          type,
          action: this.action(type),
          status: this.action(type) === 'skip' ? 'skipped' : 'notRun',
          error: undefined,
        },
    );
    return {
      isSuccess: this.failure === undefined,
      statementName: this.statement.name,
      level: this.statement.level,
      results,
      failedValidation: this.failure?.type,
      error: this.failure?.error,
      warnings: this.warnings,
      envelope,
      timestamp,
    };
  }
}
