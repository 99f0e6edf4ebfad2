// Judging a subject's Sigstore bundle referrers together, by what they prove (cosign v3 stores each signature and
// attestation as its own referrer): the trust policy's listed attestation types, its `count` of distinct keys across
// bundles, and Ratify's any/all rule. The cosign verifier judges each bundle alone (verifiers/cosign/bundle-proofs.ts);
// deciding what they add up to is policy's.
import type { ErrorCode } from '../errors.js';
import type { ArtifactRule } from '../verdict/index.js';
import {
  isJudged,
  reasonsOf,
  type BundlePolicy,
  type BundleProof,
  type BundleVerdict,
  type JudgedBundle,
} from '../verifiers/index.js';

const SIGNATURE = 'signature';

/** `signature`, or the attestation's predicate type: the group a proof counts in. */
function groupOf(proof: BundleProof): string {
  return proof.$case === 'signature' ? SIGNATURE : proof.predicateType;
}

function describeGroup(group: string): string {
  return group === SIGNATURE ? 'signature' : `attestation ${group}`;
}

function isValid(proof: BundleProof | undefined): proof is BundleProof {
  return proof !== undefined && (proof.$case === 'signature' || proof.conditionFailure === undefined);
}

function whyInvalid(bundle: JudgedBundle): string {
  const proof = bundle.proof;
  if (proof?.$case === 'attestation' && proof.conditionFailure !== undefined) return proof.conditionFailure;
  // A bundle that failed before any signature was judged (no layers, unusable policy) has only its report's reason.
  return bundle.entries.length > 0
    ? reasonsOf(bundle.entries)
    : (bundle.report.errorReason ?? bundle.report.message);
}

function failed(reason: string, proves: readonly string[]): BundleVerdict {
  return { isSuccess: false, reason: `no matching signatures: ${reason}`, proves };
}

/**
 * The code of bundles that fail the policy: the invalid bundles' own when they agree (all revoked, all
 * untrusted…), a plain invalid signature when they differ, and POLICY_NOT_SATISFIED when every judged bundle is
 * valid but the policy wants more (a listed attestation type missing, too few distinct keys).
 */
export function bundlesFailureCode(policy: BundlePolicy, bundles: readonly JudgedBundle[]): ErrorCode {
  const invalid = bundles.filter((bundle) => isJudged(policy, bundle.proof) && !isValid(bundle.proof));
  if (invalid.length === 0) return 'POLICY_NOT_SATISFIED';
  const codes = new Set(
    invalid.flatMap((bundle) =>
      bundle.entries.length > 0
        ? bundle.entries.map((entry) => entry.code ?? 'SIGNATURE_INVALID')
        : [bundle.report.error?.code ?? 'SIGNATURE_INVALID'],
    ),
  );
  const [only] = codes;
  return codes.size === 1 && only !== undefined ? only : 'SIGNATURE_INVALID';
}

/**
 * Judges the bundles of one subject by what they prove rather than one referrer at a time. Bundles are grouped
 * into `signature` and one group per attestation predicate type; attestations of types the policy does not list
 * are ignored. Every listed predicate type must be present; each group present needs valid bundles by `count`
 * distinct keys (counted across bundles). Under `all`, every judged bundle must also be valid; under `any`,
 * invalid bundles are outweighed by valid ones.
 */
export function judgeBundles(
  policy: BundlePolicy,
  bundles: readonly JudgedBundle[],
  rule: ArtifactRule,
): BundleVerdict {
  const judged = bundles.filter((bundle) => isJudged(policy, bundle.proof));
  const keysByGroup = new Map<string, Set<string>>();
  for (const { proof } of judged) {
    if (proof === undefined) continue;
    const keys = keysByGroup.get(groupOf(proof)) ?? new Set<string>();
    if (isValid(proof)) keys.add(proof.key);
    keysByGroup.set(groupOf(proof), keys);
  }
  const proves = [...keysByGroup].flatMap(([group, keys]) => (keys.size > 0 ? [group] : []));
  const invalid = judged.filter((bundle) => !isValid(bundle.proof));
  if (rule === 'all' && invalid.length > 0) {
    // A broken bundle is the root cause of whatever else is missing, so it is named first.
    // One bundle's reason is the whole story; several are named so each can be found.
    if (judged.length === 1) return failed(invalid.map(whyInvalid).join('; '), proves);
    const reasons = invalid.map((bundle) => `bundle ${bundle.report.subject}: ${whyInvalid(bundle)}`);
    return failed(`every bundle must verify (rule all): ${reasons.join('; ')}`, proves);
  }
  const listed = [...new Set(policy.attestationRules?.map((r) => r.predicateType) ?? [])];
  const missing = listed.filter((type) => !keysByGroup.has(type));
  if (missing.length > 0) {
    return failed(
      `trust policy ${JSON.stringify(policy.name)} requires an attestation of predicate type ${missing.join(', ')}; none was found among the ${bundles.length} bundle(s) of the image`,
      proves,
    );
  }
  for (const [group, keys] of keysByGroup) {
    if (keys.size >= policy.count) continue;
    if (keys.size === 0) {
      const ofGroup = judged.filter(
        (bundle) => bundle.proof !== undefined && groupOf(bundle.proof) === group,
      );
      return failed(ofGroup.map(whyInvalid).join('; '), proves);
    }
    return failed(
      `valid ${describeGroup(group)} bundles by ${keys.size} of the ${policy.count} distinct keys trust policy ${JSON.stringify(policy.name)} requires (count)`,
      proves,
    );
  }
  if (keysByGroup.size === 0)
    return failed(invalid.map(whyInvalid).join('; ') || 'no bundle proves anything', proves);
  return { isSuccess: true, reason: undefined, proves };
}
