import type { ErrorCode } from '../../errors.js';
import type { ArtifactRule, VerifierReport } from '../../verdict/index.js';
import type { ArtifactVerifyInput } from '../verifier.types.js';
import type { LoadedPolicy } from './loaded-policy.js';
import type { EntryResult } from './signature-entries.js';

/**
 * What one authentic Sigstore bundle proves: a signature, or an attestation of one predicate type (which may
 * fail the policy's conditions for that type). A bundle that is not authentic (no policy key, another
 * subject, unparsable) proves nothing and has no proof.
 */
export type BundleProof =
  | { readonly $case: 'signature'; readonly key: string }
  | {
      readonly $case: 'attestation';
      readonly predicateType: string;
      readonly key: string;
      /** Why it does not meet the conditions of its type's rules; undefined when it does. */
      readonly conditionFailure: string | undefined;
    };

/** One bundle referrer as the cosign verifier judged it. */
export interface JudgedBundle {
  readonly report: VerifierReport;
  readonly entries: readonly EntryResult[];
  readonly proof: BundleProof | undefined;
}

export interface BundleVerdict {
  readonly isSuccess: boolean;
  /** Why the bundles do not satisfy the policy; undefined on success. */
  readonly reason: string | undefined;
  /** What the bundles prove: `signature` and the predicate types of the attestations the policy judges. */
  readonly proves: readonly string[];
}

const SIGNATURE = 'signature';

/** What judging bundles together needs of a trust policy. */
export type BundlePolicy = Pick<LoadedPolicy, 'name' | 'count' | 'attestationRules'>;

function firstValid(entries: readonly EntryResult[]): EntryResult | undefined {
  return entries.find((entry) => entry.isSuccess && entry.key !== undefined);
}

function reasonsOf(entries: readonly EntryResult[]): string {
  return entries.map((entry) => entry.error ?? '').join('; ');
}

/**
 * The proof of one bundle from its judgement under the policy (`strict`) and, when that failed, without the
 * policy's attestation rules (`lenient`): an authentic attestation that only fails the rules still proves
 * its predicate type, so that an unrelated type can be ignored and a failed condition named.
 */
export function toBundleProof(
  strict: readonly EntryResult[],
  lenient: readonly EntryResult[] | undefined,
): BundleProof | undefined {
  const valid = firstValid(strict);
  if (valid?.key !== undefined) {
    return valid.predicate === undefined
      ? { $case: 'signature', key: valid.key }
      : {
          $case: 'attestation',
          predicateType: valid.predicate.predicateType,
          key: valid.key,
          conditionFailure: undefined,
        };
  }
  const authentic = lenient === undefined ? undefined : firstValid(lenient);
  if (authentic?.key === undefined || authentic.predicate === undefined) return undefined;
  return {
    $case: 'attestation',
    predicateType: authentic.predicate.predicateType,
    key: authentic.key,
    conditionFailure: reasonsOf(strict),
  };
}

type BlobSource = Pick<ArtifactVerifyInput, 'fetchBlob'>;

/** The input with each blob fetched at most once, for a bundle judged twice. */
function withBlobsOnce<I extends BlobSource>(input: I): I {
  const blobs = new Map<string, Promise<Uint8Array>>();
  return {
    ...input,
    fetchBlob: (descriptor, limit) => {
      const blob = blobs.get(descriptor.digest) ?? input.fetchBlob(descriptor, limit);
      blobs.set(descriptor.digest, blob);
      return blob;
    },
  };
}

/**
 * Judges one bundle referrer alone (count 1: keys are counted across bundles later) and works out its proof;
 * an attestation failing the policy's attestation rules is judged again without them to learn its type.
 */
export async function judgeBundle<P extends BundlePolicy, I extends BlobSource>(
  policy: P,
  input: I,
  judge: (policy: P, input: I) => Promise<EntryResult[]>,
): Promise<{ readonly policy: P; readonly entries: EntryResult[]; readonly proof: BundleProof | undefined }> {
  const single = { ...policy, count: 1 };
  const once = withBlobsOnce(input);
  const entries = await judge(single, once);
  const lenient =
    firstValid(entries) !== undefined || policy.attestationRules === undefined
      ? undefined
      : await judge({ ...single, attestationRules: undefined }, once);
  const proof = toBundleProof(entries, lenient);
  // An authentic attestation of a type the policy does not list is unrelated, not bad: its own report passes.
  if (lenient !== undefined && proof !== undefined && !isJudged(policy, proof)) {
    return { policy: { ...single, attestationRules: undefined }, entries: lenient, proof };
  }
  return { policy: single, entries, proof };
}

/** `signature`, or the attestation's predicate type: the group a proof counts in. */
function groupOf(proof: BundleProof): string {
  return proof.$case === 'signature' ? SIGNATURE : proof.predicateType;
}

function describeGroup(group: string): string {
  return group === SIGNATURE ? 'signature' : `attestation ${group}`;
}

/** A bundle the policy judges: unauthentic ones always, attestations only of the types the policy lists (if any). */
function isJudged(policy: BundlePolicy, proof: BundleProof | undefined): boolean {
  if (proof?.$case !== 'attestation' || policy.attestationRules === undefined) return true;
  return policy.attestationRules.some((rule) => rule.predicateType === proof.predicateType);
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
