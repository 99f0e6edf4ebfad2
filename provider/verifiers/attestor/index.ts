export { attestingAuthorities } from './attesting-authorities.js';
export { ATTESTOR_VERIFIER_TYPE, createAttestorVerifier } from './attestor-verifier.js';
