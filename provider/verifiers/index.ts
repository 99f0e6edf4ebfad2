export { createArtifactVerifiers, judges } from './create-verifiers.js';
export type { ArtifactVerifier, ArtifactVerifyInput } from './verifier.types.js';
