import { SignetError } from '../../errors.js';
import type { VerifierReport } from '../../verdict/index.js';
import type { NotationOutcome } from './outcome.types.js';

/** Ratify's artifact type for Notary Project signatures. */
export const NOTATION_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';
const VERIFIER_TYPE = 'notation';

export interface NotationReportOptions {
  /** The Verifier resource's `spec.name` (e.g. `notation`). */
  readonly verifierName: string;
  /** The signature artifact judged, `registry/repository@sha256:…`. */
  readonly subject: string;
}

/**
 * A Ratify-compatible report for one notation outcome. `extensions.Issuer` and `extensions.SN`
 * are the signing certificate's issuer and subject in Go `pkix.Name.String()` form, which Ratify's
 * `notation-issuer-validation` template matches on; the message names the failing validation.
 */
export function toNotationVerifierReport(
  outcome: NotationOutcome,
  options: NotationReportOptions,
): VerifierReport {
  const leaf = outcome.envelope?.certificateChain[0];
  const message = outcome.isSuccess
    ? outcome.level.name === 'skip'
      ? `signature verification skipped: trust policy statement ${JSON.stringify(outcome.statementName)} has level "skip"`
      : 'signature verification success'
    : `signature verification failed: ${outcome.failedValidation ?? 'integrity'} validation failed. Failure reason: ${outcome.error?.reason ?? 'unknown'}`;
  return {
    subject: options.subject,
    isSuccess: outcome.isSuccess,
    name: options.verifierName,
    verifierName: options.verifierName,
    type: VERIFIER_TYPE,
    verifierType: VERIFIER_TYPE,
    message,
    ...(outcome.error === undefined
      ? {}
      : { errorReason: outcome.error.reason, remediation: outcome.error.remediation }),
    artifactType: NOTATION_ARTIFACT_TYPE,
    extensions: {
      ...(leaf === undefined ? {} : { Issuer: leaf.issuer, SN: leaf.subject }),
      trustPolicy: outcome.statementName,
      verificationLevel: outcome.level.name,
      validations: outcome.results.map((result) => ({
        type: result.type,
        action: result.action,
        status: result.status,
        ...(result.error === undefined ? {} : { reason: result.error.reason }),
      })),
      ...(outcome.warnings.length === 0 ? {} : { warnings: outcome.warnings }),
    },
    nestedReports: [],
    ...(outcome.isSuccess ? {} : { error: failureOf(outcome) }),
  };
}

/** Why a failed outcome failed; an outcome without its error still fails with a code (fail closed). */
function failureOf(outcome: NotationOutcome): SignetError {
  return (
    outcome.error ??
    new SignetError('SIGNATURE_INVALID', {
      stage: 'verify',
      reason: `${outcome.failedValidation ?? 'integrity'} validation failed`,
    })
  );
}
