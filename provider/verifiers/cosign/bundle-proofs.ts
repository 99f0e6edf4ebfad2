import type { VerifierReport } from '../../verdict/index.js';
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

/** What judging bundles together needs of a trust policy. */
export type BundlePolicy = Pick<LoadedPolicy, 'name' | 'count' | 'attestationRules'>;

function firstValid(entries: readonly EntryResult[]): EntryResult | undefined {
  return entries.find((entry) => entry.isSuccess && entry.key !== undefined);
}

export function reasonsOf(entries: readonly EntryResult[]): string {
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

/** A bundle the policy judges: unauthentic ones always, attestations only of the types the policy lists (if any). */
export function isJudged(policy: BundlePolicy, proof: BundleProof | undefined): boolean {
  if (proof?.$case !== 'attestation' || policy.attestationRules === undefined) return true;
  return policy.attestationRules.some((rule) => rule.predicateType === proof.predicateType);
}
