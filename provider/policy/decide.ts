import { SignetError, type ErrorCode } from '../errors.js';
import type { ArtifactRule, VerifierReport } from '../verdict/index.js';

export interface DecisionPolicy {
  /** Rules by artifact type (Ratify `artifactVerificationPolicies`); `default` applies to other types. */
  readonly artifactVerificationPolicies: Readonly<Record<string, ArtifactRule>>;
  readonly defaultRule: ArtifactRule;
}

export const DEFAULT_DECISION_POLICY: DecisionPolicy = {
  artifactVerificationPolicies: {},
  defaultRule: 'all',
};

/** The rule for reports of `artifactType`: its own entry, else the policy's default. */
export function ruleFor(policy: DecisionPolicy, artifactType: string): ArtifactRule {
  return policy.artifactVerificationPolicies[artifactType] ?? policy.defaultRule;
}

export interface Decision {
  readonly isSuccess: boolean;
  readonly error: SignetError | undefined;
}

/**
 * Combines verifier reports into one verdict, as Ratify's config policy does: reports are grouped by
 * artifact type; an `any` group passes when one report passes, an `all` group when every report passes;
 * the image passes when every group passes. No report at all is "signature not found" (fail closed).
 */
export function decide(image: string, reports: readonly VerifierReport[], policy: DecisionPolicy): Decision {
  if (reports.length === 0) {
    return { isSuccess: false, error: new SignetError('SIGNATURE_NOT_FOUND', { stage: 'decide', image }) };
  }
  const byType = new Map<string, VerifierReport[]>();
  for (const report of reports) {
    const group = byType.get(report.artifactType) ?? [];
    group.push(report);
    byType.set(report.artifactType, group);
  }
  for (const [artifactType, group] of byType) {
    const rule = ruleFor(policy, artifactType);
    const passed = rule === 'any' ? group.some((r) => r.isSuccess) : group.every((r) => r.isSuccess);
    if (!passed) return { isSuccess: false, error: failureFor(image, artifactType, rule, group) };
  }
  return { isSuccess: true, error: undefined };
}

function failureFor(
  image: string,
  artifactType: string,
  rule: ArtifactRule,
  group: readonly VerifierReport[],
): SignetError {
  const failed = group.filter((r) => !r.isSuccess);
  const first = failed[0];
  // One failing report is the whole story: say its own reason and code rather than a generic policy failure.
  if (group.length === 1 && first !== undefined) {
    return new SignetError(verdictCode(first), {
      stage: 'verify',
      image,
      reason: `${first.verifierName}: ${first.message}`,
      ...(first.remediation === undefined ? {} : { remediation: first.remediation }),
      details: { artifactType },
    });
  }
  const reasons = failed.map((r) => `${r.verifierName}: ${r.message}`).join('; ');
  const need = rule === 'any' ? 'at least one' : 'every';
  return new SignetError('POLICY_NOT_SATISFIED', {
    stage: 'decide',
    image,
    reason: `${need} ${artifactType} signature must verify, ${failed.length} of ${group.length} failed (${reasons})`,
    details: { artifactType, rule, codes: [...new Set(failed.map(verdictCode))].join(',') },
  });
}

/**
 * The code a failing report gives the verdict: its own (REVOKED, CERT_UNTRUSTED…). A report's error that is not a
 * verdict (a verifier whose configuration could not be loaded) still denies as a verdict, as an invalid signature,
 * so that the denial is cached and answered like every other verdict.
 */
function verdictCode(report: VerifierReport): ErrorCode {
  return report.error?.kind === 'verdict' ? report.error.code : 'SIGNATURE_INVALID';
}
