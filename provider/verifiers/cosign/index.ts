export {
  COSIGN_BUNDLE_ANNOTATION,
  COSIGN_SIGNATURE_ANNOTATION,
  MAX_SIGNATURE_LAYERS,
  createCosignVerifier,
} from './cosign-verifier.js';
export {
  MAX_PUBLIC_KEY_FILE_BYTES,
  parseCosignPublicKeyDer,
  readCosignPublicKeyFile,
  toCosignPublicKey,
  verifyCosignSignature,
  type CosignKeyAlgorithm,
  type CosignPublicKey,
} from './keys.js';
export {
  MAX_SIMPLE_SIGNING_PAYLOAD_BYTES,
  SIMPLE_SIGNING_MEDIA_TYPE,
  SIMPLE_SIGNING_TYPES,
  parseSimpleSigningPayload,
  verifySimpleSigningPayload,
  type SimpleSigningExpectations,
  type SimpleSigningPayload,
} from './simple-signing.js';
export { selectCosignTrustPolicy } from './trust-policy.js';
