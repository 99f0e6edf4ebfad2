import type { ImageReference } from '../../reference/index.js';
import type { VerifierReport } from '../../verdict/index.js';
import type { ArtifactVerifier, ArtifactVerifyInput } from '../verifier.types.js';
import type { BundleProof } from './bundle-proofs.js';
import type { LoadedPolicy } from './loaded-policy.js';
import type { EntryResult } from './signature-entries.js';

/**
 * The terms of a cosign trust policy that policy applies to the verifier's findings (policy/cosign-rules.ts):
 * Kyverno's `count` (distinct keys) and `required`, and the attestation types it lists, under its name.
 */
export type CosignTrustTerms = Pick<LoadedPolicy, 'name' | 'count' | 'required' | 'attestationRules'>;

/**
 * What the cosign verifier found for one artifact, as data for policy to decide on: the artifact's report judged
 * alone (its signatures verify when one by a policy key is valid), the signatures judged and, for a Sigstore bundle
 * referrer, what it proves. A report that stands as it is (no trust policy covers the subject, the configuration
 * is unusable, the artifact failed before any signature was judged) has no entries and no proof.
 */
export interface CosignFinding {
  /** The artifact's report, in Ratify's schema, before its trust policy's `count` and `required` are applied. */
  readonly report: VerifierReport;
  /** Its signatures as judged (the search stops once `count` distinct keys have signed). */
  readonly entries: readonly EntryResult[];
  /** For a bundle referrer: what it proves (a signature, an attestation); undefined when it proves nothing. */
  readonly proof: BundleProof | undefined;
}

/** The cosign verifier: its reports are findings that policy combines under the trust policy's terms. */
export interface CosignVerifier extends ArtifactVerifier {
  /** The artifact's finding; `verify` is its report alone. Inconclusive failures are thrown, as `verify` does. */
  judge(input: ArtifactVerifyInput): Promise<CosignFinding>;
  /**
   * The terms of the trust policy covering `subject`'s repository; undefined when none does or the configuration
   * could not be loaded (the findings' reports then stand as they are).
   */
  trustPolicyFor(subject: ImageReference): CosignTrustTerms | undefined;
}
