export {
  ATTESTOR_VERIFIER_TYPE,
  decideAttestation,
  requiredAttestations,
  verifyDigestReference,
} from './attestor/index.js';
export { createArtifactVerifiers, createAttestorVerifiers, judges } from './create-verifiers.js';
export type { ArtifactVerifier, ArtifactVerifyInput } from './verifier.types.js';
