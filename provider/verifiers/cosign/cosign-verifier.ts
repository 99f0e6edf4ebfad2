import type { CosignVerifierConfig } from '../../config/index.js';
import { COSIGN_ATTESTATION_ARTIFACT_TYPE } from '../../discover/index.js';
import { SignetError, toSignetError, type ErrorCode } from '../../errors.js';
import type { ImageReference } from '../../reference/index.js';
import type { ArtifactRule, VerifierReport } from '../../verdict/index.js';
import type { ArtifactVerifier, ArtifactVerifyInput } from '../verifier.types.js';
import { SIGSTORE_BUNDLE_MEDIA_TYPES } from './bundle.js';
import {
  bundlesFailureCode,
  judgeBundle,
  judgeBundles,
  type BundleVerdict,
  type JudgedBundle,
} from './bundle-proofs.js';
import { loadCosignPolicies, type LoadedPolicy } from './loaded-policy.js';
import { judgeEntry, type EntryKind, type EntryResult } from './signature-entries.js';
import { cosignSignatureLayers } from './signature-layers.js';
import { selectCosignTrustPolicy } from './trust-policy.js';

export { MAX_SIGNATURE_LAYERS } from './signature-layers.js';

export { COSIGN_BUNDLE_ANNOTATION, COSIGN_SIGNATURE_ANNOTATION } from './signature-entries.js';

const VERIFIER_TYPE = 'cosign';

function invalid(reason: string): SignetError {
  return new SignetError('SIGNATURE_INVALID', { stage: 'verify', reason });
}

/** How the artifact carries signatures, from its type: cosign's `.att` tag, a Sigstore bundle, else `.sig`. */
function toEntryKind(artifactType: string): EntryKind {
  if (artifactType === COSIGN_ATTESTATION_ARTIFACT_TYPE) return 'attestation';
  if (SIGSTORE_BUNDLE_MEDIA_TYPES.includes(artifactType)) return 'bundle';
  return 'simpleSigning';
}

interface ReportBase {
  readonly verifierName: string;
  readonly input: ArtifactVerifyInput;
}

function toReportBase({ verifierName, input }: ReportBase) {
  return {
    subject: `${input.subject.registry}/${input.subject.repository}@${input.artifact.descriptor.digest}`,
    name: verifierName,
    verifierName,
    type: VERIFIER_TYPE,
    verifierType: VERIFIER_TYPE,
    artifactType: input.artifact.artifactType,
    nestedReports: [],
  };
}

function failedReport(base: ReportBase, error: SignetError, message: string = error.reason): VerifierReport {
  return {
    ...toReportBase(base),
    isSuccess: false,
    message,
    errorReason: error.reason,
    remediation: error.remediation,
    extensions: { code: error.code, stage: error.stage },
    error,
  };
}

/**
 * The code of an artifact whose signatures fall short: too few distinct keys is the policy's count unmet; otherwise
 * the signatures' own code when they agree (all untrusted, all revoked…), else a plain invalid signature.
 */
function failureCode(results: readonly EntryResult[]): ErrorCode {
  if (signingKeys(results).size > 0) return 'POLICY_NOT_SATISFIED';
  const codes = new Set(results.map((result) => result.code ?? 'SIGNATURE_INVALID'));
  const [only] = codes;
  return codes.size === 1 && only !== undefined ? only : 'SIGNATURE_INVALID';
}

/** Keys with at least one valid signature, each once. */
function signingKeys(results: readonly EntryResult[]): Set<string> {
  return new Set(
    results.flatMap((result) => (result.isSuccess && result.key !== undefined ? [result.key] : [])),
  );
}

/** Why the artifact fails: too few distinct keys (count), else every signature's own reason. */
function failureReason(policy: LoadedPolicy, results: readonly EntryResult[]): string {
  const keys = signingKeys(results).size;
  if (keys > 0) {
    return `no matching signatures: valid signatures by ${keys} of the ${policy.count} distinct keys trust policy ${JSON.stringify(policy.name)} requires (count)`;
  }
  const reasons = results.map((result, index) =>
    results.length === 1
      ? (result.error ?? '')
      : `signature ${index + 1} (${result.signatureDigest}): ${result.error ?? ''}`,
  );
  return `no matching signatures: ${reasons.join('; ')}`;
}

/**
 * cosign's rule, with Kyverno's count: the artifact verifies when valid signatures by `count` distinct keys
 * (one, by default: any signature) are found; otherwise every reason is named.
 */
function toCosignVerifierReport(
  base: ReportBase,
  policy: LoadedPolicy,
  results: readonly EntryResult[],
): VerifierReport {
  const extensions = {
    trustPolicy: policy.name,
    signatures: results,
    ...(policy.count > 1 ? { count: policy.count } : {}),
  };
  if (signingKeys(results).size >= policy.count) {
    return {
      ...toReportBase(base),
      isSuccess: true,
      message:
        'cosign verification success. valid signatures found. please refer to extensions field for verifications performed.',
      extensions,
    };
  }
  const reason = failureReason(policy, results);
  const remediation =
    'Sign the image with a key of the trust policy that covers its repository, or add the signing key to that policy.';
  return {
    ...toReportBase(base),
    isSuccess: false,
    message: reason,
    errorReason: reason,
    remediation,
    extensions,
    error: new SignetError(failureCode(results), { stage: 'verify', reason, remediation }),
  };
}

/** Kyverno's `required: false`: a failed verification is reported, as a pass, and does not deny. */
function applyRequired(policy: LoadedPolicy, report: VerifierReport): VerifierReport {
  if (report.isSuccess || policy.required) return report;
  return {
    subject: report.subject,
    isSuccess: true,
    name: report.name,
    verifierName: report.verifierName,
    type: report.type,
    verifierType: report.verifierType,
    message: `cosign verification not required by trust policy ${JSON.stringify(policy.name)} (required: false): ${report.message}`,
    artifactType: report.artifactType,
    extensions: { ...report.extensions, required: false },
    nestedReports: report.nestedReports,
  };
}

/** One report for all bundle referrers of a subject, judged by what they prove; each bundle's report is nested. */
function toBundlesReport(
  verifierName: string,
  subject: ImageReference,
  artifactType: string,
  policy: LoadedPolicy,
  bundles: readonly JudgedBundle[],
  verdict: BundleVerdict,
): VerifierReport {
  const base = {
    subject: subject.normalized,
    name: verifierName,
    verifierName,
    type: VERIFIER_TYPE,
    verifierType: VERIFIER_TYPE,
    artifactType,
    extensions: {
      trustPolicy: policy.name,
      proves: verdict.proves,
      signatures: bundles.flatMap((bundle) => bundle.entries),
      ...(policy.count > 1 ? { count: policy.count } : {}),
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
    error: new SignetError(bundlesFailureCode(policy, bundles), {
      stage: 'verify',
      reason: verdict.reason,
      remediation,
    }),
  };
}

/** Judges the artifact's signatures one at a time, stopping once `count` distinct keys have signed. */
async function judgeArtifact(policy: LoadedPolicy, input: ArtifactVerifyInput): Promise<EntryResult[]> {
  const kind = toEntryKind(input.artifact.artifactType);
  const results: EntryResult[] = [];
  // Sequential: enough valid signatures end the search, and blobs are fetched through the shared limiter anyway.
  for (const layer of cosignSignatureLayers(input)) {
    results.push(await judgeEntry(kind, layer, policy, input));
    if (signingKeys(results).size >= policy.count) break;
  }
  return results;
}

/**
 * The cosign ArtifactVerifier for one Verifier resource: key-based and keyless verification of cosign's
 * `.sig` simple-signing signatures, `.att` attestations and Sigstore bundles (cosign v3 referrers). Keys and
 * trusted roots are loaded once, here; one that cannot be loaded makes every signature fail with the reason
 * (fail closed) and is shown at load time.
 */
export function createCosignVerifier(config: CosignVerifierConfig): ArtifactVerifier {
  let policies: LoadedPolicy[] | SignetError;
  try {
    policies = loadCosignPolicies(config);
  } catch (error) {
    policies = toSignetError(error, 'config');
  }
  const loaded = policies;
  // What each bundle report proves, for aggregate(); reports stay opaque to the pipeline.
  const bundles = new WeakMap<VerifierReport, JudgedBundle>();
  return {
    name: config.name,
    type: VERIFIER_TYPE,
    artifactTypes: config.artifactTypes,
    ...(loaded instanceof SignetError ? { problem: loaded } : {}),
    async verify(input) {
      const base = { verifierName: config.name, input };
      if (loaded instanceof SignetError) return failedReport(base, loaded);
      const repository = `${input.subject.registry}/${input.subject.repository}`;
      const policy = selectCosignTrustPolicy(loaded, repository);
      if (policy === undefined) {
        return failedReport(
          base,
          new SignetError('NO_APPLICABLE_POLICY', {
            stage: 'verify',
            reason: `no cosign trust policy of verifier ${JSON.stringify(config.name)} has a scope covering ${repository}`,
            remediation:
              'Add a cosign trust policy whose scopes cover the repository, or the global scope "*".',
          }),
        );
      }
      try {
        if (policy.unavailable !== undefined)
          throw invalid(`trust policy ${JSON.stringify(policy.name)}: ${policy.unavailable}`);
        if (toEntryKind(input.artifact.artifactType) === 'bundle') {
          const judged = await judgeBundle(policy, input, judgeArtifact);
          const report = applyRequired(policy, toCosignVerifierReport(base, judged.policy, judged.entries));
          bundles.set(report, { report, entries: judged.entries, proof: judged.proof });
          return report;
        }
        return applyRequired(
          policy,
          toCosignVerifierReport(base, policy, await judgeArtifact(policy, input)),
        );
      } catch (error) {
        const failure = toSignetError(error, 'verify');
        if (failure.kind !== 'verdict') throw failure;
        return applyRequired(
          policy,
          failedReport(base, failure, `no matching signatures: ${failure.reason}`),
        );
      }
    },
    aggregate(subject, reports, ruleFor) {
      const policy =
        loaded instanceof SignetError
          ? undefined
          : selectCosignTrustPolicy(loaded, `${subject.registry}/${subject.repository}`);
      if (policy === undefined) return [...reports];
      if (reports.length === 0) return policy.required ? [] : [notRequiredReport(config, subject, policy)];
      const judged = reports.filter((report) => SIGSTORE_BUNDLE_MEDIA_TYPES.includes(report.artifactType));
      const artifactType = judged[0]?.artifactType;
      if (artifactType === undefined) return [...reports];
      const ofBundles = judged.map(
        (report) => bundles.get(report) ?? { report, entries: [], proof: undefined },
      );
      const rule: ArtifactRule = ruleFor(artifactType);
      const verdict = judgeBundles(policy, ofBundles, rule);
      const summary = toBundlesReport(config.name, subject, artifactType, policy, ofBundles, verdict);
      return [...reports.filter((report) => !judged.includes(report)), applyRequired(policy, summary)];
    },
  };
}

/** Kyverno's `required: false` for an image without any cosign artifact: reported, and not a denial. */
function notRequiredReport(
  config: CosignVerifierConfig,
  subject: ImageReference,
  policy: LoadedPolicy,
): VerifierReport {
  const verifierName = config.name;
  return {
    subject: subject.normalized,
    isSuccess: true,
    name: verifierName,
    verifierName,
    type: VERIFIER_TYPE,
    verifierType: VERIFIER_TYPE,
    message: `cosign verification not required by trust policy ${JSON.stringify(policy.name)} (required: false): signature not found`,
    // No artifact was judged: the report stands for the verifier's first artifact type.
    artifactType: config.artifactTypes[0] ?? '',
    extensions: { trustPolicy: policy.name, required: false },
    nestedReports: [],
  };
}
