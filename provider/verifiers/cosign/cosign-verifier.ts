import type { CosignVerifierConfig } from '../../config/index.js';
import { COSIGN_ATTESTATION_ARTIFACT_TYPE } from '../../discover/index.js';
import { SignetError, toSignetError, type ErrorCode } from '../../errors.js';
import type { VerifierReport } from '../../verdict/index.js';
import type { ArtifactVerifyInput } from '../verifier.types.js';
import { judgeBundle } from './bundle-proofs.js';
import type { CosignFinding, CosignVerifier } from './cosign-finding.js';
import { loadCosignPolicies, type LoadedPolicy } from './loaded-policy.js';
import {
  COSIGN_SIGNATURES_REMEDIATION,
  COSIGN_VERIFIER_TYPE,
  SIGSTORE_BUNDLE_MEDIA_TYPES,
  distinctSigningKeys,
} from './policy-terms.js';
import { judgeEntry, type EntryKind, type EntryResult } from './signature-entries.js';
import { cosignSignatureLayers } from './signature-layers.js';
import { selectCosignTrustPolicy } from './trust-policy.js';

export { MAX_SIGNATURE_LAYERS } from './signature-layers.js';

export { COSIGN_BUNDLE_ANNOTATION, COSIGN_SIGNATURE_ANNOTATION } from './signature-entries.js';

const VERIFIER_TYPE = COSIGN_VERIFIER_TYPE;

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

/** The code of an artifact without any valid signature: the signatures' own when they agree (all untrusted, all revoked…), else a plain invalid signature. */
function failureCode(results: readonly EntryResult[]): ErrorCode {
  const codes = new Set(results.map((result) => result.code ?? 'SIGNATURE_INVALID'));
  const [only] = codes;
  return codes.size === 1 && only !== undefined ? only : 'SIGNATURE_INVALID';
}

/** Why the artifact has no valid signature: every signature's own reason. */
function failureReason(results: readonly EntryResult[]): string {
  const reasons = results.map((result, index) =>
    results.length === 1
      ? (result.error ?? '')
      : `signature ${index + 1} (${result.signatureDigest}): ${result.error ?? ''}`,
  );
  return `no matching signatures: ${reasons.join('; ')}`;
}

/**
 * cosign's rule for one artifact judged alone: it verifies when a signature by a key of the trust policy is valid;
 * otherwise every reason is named. Whether valid signatures by enough distinct keys were found (Kyverno's `count`,
 * shown in the extensions) is policy's to decide (policy/cosign-rules.ts), from the finding's entries.
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
  if (distinctSigningKeys(results).size > 0) {
    return {
      ...toReportBase(base),
      isSuccess: true,
      message:
        'cosign verification success. valid signatures found. please refer to extensions field for verifications performed.',
      extensions,
    };
  }
  const reason = failureReason(results);
  const remediation = COSIGN_SIGNATURES_REMEDIATION;
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

/** Judges the artifact's signatures one at a time, stopping once `count` distinct keys have signed. */
async function judgeArtifact(policy: LoadedPolicy, input: ArtifactVerifyInput): Promise<EntryResult[]> {
  const kind = toEntryKind(input.artifact.artifactType);
  const results: EntryResult[] = [];
  // Sequential: enough valid signatures end the search, and blobs are fetched through the shared limiter anyway.
  for (const layer of cosignSignatureLayers(input)) {
    results.push(await judgeEntry(kind, layer, policy, input));
    if (distinctSigningKeys(results).size >= policy.count) break;
  }
  return results;
}

/**
 * The cosign ArtifactVerifier for one Verifier resource: key-based and keyless verification of cosign's
 * `.sig` simple-signing signatures, `.att` attestations and Sigstore bundles (cosign v3 referrers). Keys and
 * trusted roots are loaded once, here; one that cannot be loaded makes every signature fail with the reason
 * (fail closed) and is shown at load time.
 */
export async function createCosignVerifier(config: CosignVerifierConfig): Promise<CosignVerifier> {
  let policies: LoadedPolicy[] | SignetError;
  try {
    policies = await loadCosignPolicies(config);
  } catch (error) {
    policies = toSignetError(error, 'config');
  }
  const loaded = policies;
  const trustPolicyOf = (repository: string): LoadedPolicy | undefined =>
    loaded instanceof SignetError ? undefined : selectCosignTrustPolicy(loaded, repository);
  const judge = async (input: ArtifactVerifyInput): Promise<CosignFinding> => {
    const base = { verifierName: config.name, input };
    const standing = (report: VerifierReport): CosignFinding => ({ report, entries: [], proof: undefined });
    if (loaded instanceof SignetError) return standing(failedReport(base, loaded));
    const repository = `${input.subject.registry}/${input.subject.repository}`;
    const policy = trustPolicyOf(repository);
    if (policy === undefined) {
      return standing(
        failedReport(
          base,
          new SignetError('NO_APPLICABLE_POLICY', {
            stage: 'verify',
            reason: `no cosign trust policy of verifier ${JSON.stringify(config.name)} has a scope covering ${repository}`,
            remediation:
              'Add a cosign trust policy whose scopes cover the repository, or the global scope "*".',
          }),
        ),
      );
    }
    try {
      if (policy.unavailable !== undefined)
        throw invalid(`trust policy ${JSON.stringify(policy.name)}: ${policy.unavailable}`);
      if (toEntryKind(input.artifact.artifactType) === 'bundle') {
        const judged = await judgeBundle(policy, input, judgeArtifact);
        const report = toCosignVerifierReport(base, judged.policy, judged.entries);
        return { report, entries: judged.entries, proof: judged.proof };
      }
      const entries = await judgeArtifact(policy, input);
      return { report: toCosignVerifierReport(base, policy, entries), entries, proof: undefined };
    } catch (error) {
      const failure = toSignetError(error, 'verify');
      if (failure.kind !== 'verdict') throw failure;
      return standing(failedReport(base, failure, `no matching signatures: ${failure.reason}`));
    }
  };
  return {
    name: config.name,
    type: VERIFIER_TYPE,
    artifactTypes: config.artifactTypes,
    ...(loaded instanceof SignetError ? { problem: loaded } : {}),
    judge,
    async verify(input) {
      return (await judge(input)).report;
    },
    trustPolicyFor(subject) {
      return trustPolicyOf(`${subject.registry}/${subject.repository}`);
    },
  };
}
