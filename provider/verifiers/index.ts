export { ATTESTOR_VERIFIER_TYPE, attestingAuthorities } from './attestor/index.js';
export { judges } from './judges.js';
export { describeTrustProblems, trustMaterialOf, verifierOf } from './trust-material.js';
export type { TrustMaterial, TrustProblem } from './trust-material.js';
export type { ArtifactVerifier, ArtifactVerifyInput } from './verifier.types.js';
