// What policy/ reads of the cosign verifier without loading it: cosign's modules pull Sigstore (@sigstore/*, tens
// of MiB resident), which trust-material.ts imports only when a cosign Verifier is configured.
import type { ArtifactVerifier } from '../verifier.types.js';
import type { CosignVerifier } from './cosign-finding.js';
import type { EntryResult } from './signature-entries.js';

/** The `type` of cosign verifiers and their reports. */
export const COSIGN_VERIFIER_TYPE = 'cosign';

/** Media types of Sigstore bundles (v0.1–v0.3); cosign v3 attaches v0.3 bundles as OCI referrers. */
export const SIGSTORE_BUNDLE_MEDIA_TYPES: readonly string[] = [
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
];

/** What to do about an artifact whose signatures fall short of its trust policy (policy/ says so for `count`). */
export const COSIGN_SIGNATURES_REMEDIATION =
  'Sign the image with a key of the trust policy that covers its repository, or add the signing key to that policy.';

/** Keys with at least one valid signature among `results`, each once: what Kyverno's `count` counts. */
export function distinctSigningKeys(results: readonly EntryResult[]): Set<string> {
  return new Set(
    results.flatMap((result) => (result.isSuccess && result.key !== undefined ? [result.key] : [])),
  );
}

/** Whether `verifier` is cosign's, whose findings policy combines (policy/cosign-rules.ts) rather than taking its reports as they are. */
export function isCosignVerifier(verifier: ArtifactVerifier): verifier is CosignVerifier {
  return (
    verifier.type === COSIGN_VERIFIER_TYPE &&
    typeof (verifier as Partial<CosignVerifier>).judge === 'function' &&
    typeof (verifier as Partial<CosignVerifier>).trustPolicyFor === 'function'
  );
}
