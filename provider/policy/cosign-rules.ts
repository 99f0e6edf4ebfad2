import { SignetError } from '../errors.js';
import type { ImageReference } from '../reference/index.js';
import type { VerifierReport } from '../verdict/index.js';
import {
  COSIGN_SIGNATURES_REMEDIATION,
  SIGSTORE_BUNDLE_MEDIA_TYPES,
  distinctSigningKeys,
  type CosignFinding,
  type CosignTrustTerms,
  type CosignVerifier,
  type JudgedBundle,
} from '../verifiers/index.js';
import { bundlesFailureCode, judgeBundles } from './cosign-bundle-rules.js';
import { ruleFor, type DecisionPolicy } from './decide.js';

function isBundle(report: VerifierReport): boolean {
  return SIGSTORE_BUNDLE_MEDIA_TYPES.includes(report.artifactType);
}

/**
 * Kyverno's `count` for one `.sig` / `.att` artifact: its valid signatures must be by `count` distinct keys. An
 * artifact the verifier passed with fewer fails, naming the count; any other report stands.
 */
function applyCount(terms: CosignTrustTerms, finding: CosignFinding): VerifierReport {
  const { report } = finding;
  const keys = distinctSigningKeys(finding.entries).size;
  if (!report.isSuccess || keys >= terms.count) return report;
  const reason = `no matching signatures: valid signatures by ${keys} of the ${terms.count} distinct keys trust policy ${JSON.stringify(terms.name)} requires (count)`;
  const remediation = COSIGN_SIGNATURES_REMEDIATION;
  return {
    subject: report.subject,
    name: report.name,
    verifierName: report.verifierName,
    type: report.type,
    verifierType: report.verifierType,
    artifactType: report.artifactType,
    nestedReports: report.nestedReports,
    isSuccess: false,
    message: reason,
    errorReason: reason,
    remediation,
    ...(report.extensions === undefined ? {} : { extensions: report.extensions }),
    error: new SignetError('POLICY_NOT_SATISFIED', { stage: 'verify', reason, remediation }),
  };
}

/** Kyverno's `required: false`: a failed verification is reported, as a pass, and does not deny. */
function applyRequired(terms: CosignTrustTerms, report: VerifierReport): VerifierReport {
  if (report.isSuccess || terms.required) return report;
  return {
    subject: report.subject,
    isSuccess: true,
    name: report.name,
    verifierName: report.verifierName,
    type: report.type,
    verifierType: report.verifierType,
    message: `cosign verification not required by trust policy ${JSON.stringify(terms.name)} (required: false): ${report.message}`,
    artifactType: report.artifactType,
    extensions: { ...report.extensions, required: false },
    nestedReports: report.nestedReports,
  };
}

/** Kyverno's `required: false` for an image without any cosign artifact: reported, and not a denial. */
function notRequiredReport(
  verifier: Pick<CosignVerifier, 'name' | 'type' | 'artifactTypes'>,
  subject: ImageReference,
  terms: CosignTrustTerms,
): VerifierReport {
  return {
    subject: subject.normalized,
    isSuccess: true,
    name: verifier.name,
    verifierName: verifier.name,
    type: verifier.type,
    verifierType: verifier.type,
    message: `cosign verification not required by trust policy ${JSON.stringify(terms.name)} (required: false): signature not found`,
    // No artifact was judged: the report stands for the verifier's first artifact type.
    artifactType: verifier.artifactTypes[0] ?? '',
    extensions: { trustPolicy: terms.name, required: false },
    nestedReports: [],
  };
}

/**
 * One report for all bundle referrers of a subject, judged together by what they prove under the any/all rule of
 * their artifact type (judgeBundles: listed attestation types present, `count` distinct keys across bundles);
 * each bundle's report is nested.
 */
function toBundlesReport(
  verifier: Pick<CosignVerifier, 'name' | 'type'>,
  subject: ImageReference,
  artifactType: string,
  terms: CosignTrustTerms,
  bundles: readonly JudgedBundle[],
  decision: DecisionPolicy,
): VerifierReport {
  const verdict = judgeBundles(terms, bundles, ruleFor(decision, artifactType));
  const base = {
    subject: subject.normalized,
    name: verifier.name,
    verifierName: verifier.name,
    type: verifier.type,
    verifierType: verifier.type,
    artifactType,
    extensions: {
      trustPolicy: terms.name,
      proves: verdict.proves,
      signatures: bundles.flatMap((bundle) => bundle.entries),
      ...(terms.count > 1 ? { count: terms.count } : {}),
    },
    nestedReports: bundles.map((bundle) => bundle.report),
  };
  if (verdict.reason === undefined) {
    return {
      ...base,
      isSuccess: true,
      message: `cosign verification success. valid bundles prove: ${verdict.proves.join(', ')}. please refer to nestedReports for each bundle.`,
    };
  }
  const remediation =
    'Sign and attest the image with keys of the trust policy that covers its repository, with the attestation types it lists.';
  return {
    ...base,
    isSuccess: false,
    message: verdict.reason,
    errorReason: verdict.reason,
    remediation,
    error: new SignetError(bundlesFailureCode(terms, bundles), {
      stage: 'verify',
      reason: verdict.reason,
      remediation,
    }),
  };
}

/**
 * The reports policy decides on from one cosign verifier's findings for `subject` (every artifact it judged; none
 * when no artifact was found), under the terms of the trust policy covering the subject (Kyverno semantics):
 * each `.sig` / `.att` artifact needs valid signatures by `count` distinct keys; the Sigstore bundle referrers
 * (cosign v3 stores each signature and attestation as its own) become one report, judged together by what they
 * prove under the decision policy's any/all rule for their type; under `required: false` a failure, or no artifact
 * at all, is reported as a pass. Without a trust policy covering the subject the reports stand as they are.
 */
export function combineCosignReports(
  subject: ImageReference,
  verifier: Pick<CosignVerifier, 'name' | 'type' | 'artifactTypes' | 'trustPolicyFor'>,
  findings: readonly CosignFinding[],
  decision: DecisionPolicy,
): VerifierReport[] {
  const terms = verifier.trustPolicyFor(subject);
  if (terms === undefined) return findings.map((finding) => finding.report);
  if (findings.length === 0) return terms.required ? [] : [notRequiredReport(verifier, subject, terms)];
  const judged = findings.map((finding) => ({
    ...finding,
    report: applyRequired(terms, isBundle(finding.report) ? finding.report : applyCount(terms, finding)),
  }));
  const alone = judged.filter((finding) => !isBundle(finding.report)).map((finding) => finding.report);
  const bundles = judged.filter((finding) => isBundle(finding.report));
  const artifactType = bundles[0]?.report.artifactType;
  if (artifactType === undefined) return alone;
  const summary = toBundlesReport(verifier, subject, artifactType, terms, bundles, decision);
  return [...alone, applyRequired(terms, summary)];
}
