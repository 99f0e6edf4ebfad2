export { ATTESTOR_VERIFIER_TYPE, attestingAuthorities } from './attestor/index.js';
export { judges } from './judges.js';
export { describeTrustProblems, trustMaterialOf, verifierOf } from './trust-material.js';
export type { TrustMaterial, TrustProblem } from './trust-material.js';
export type { ArtifactVerifier, ArtifactVerifyInput } from './verifier.types.js';
export {
  COSIGN_SIGNATURES_REMEDIATION,
  SIGSTORE_BUNDLE_MEDIA_TYPES,
  bundlesFailureCode,
  distinctSigningKeys,
  isCosignVerifier,
  judgeBundles,
} from './cosign/index.js';
export type { CosignFinding, CosignTrustTerms, CosignVerifier, JudgedBundle } from './cosign/index.js';
