export {
  attestingAuthorities,
  decideAttestation,
  requiredAttestations,
  verifyDigestReference,
} from './attestation-gate.js';
export { ATTESTOR_VERIFIER_TYPE, createAttestorVerifier } from './attestor-verifier.js';
