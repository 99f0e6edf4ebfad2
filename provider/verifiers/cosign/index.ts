export { COSIGN_BUNDLE_ANNOTATION, createCosignVerifier } from './cosign-verifier.js';
export {
  COSIGN_SIGNATURES_REMEDIATION,
  COSIGN_VERIFIER_TYPE,
  SIGSTORE_BUNDLE_MEDIA_TYPES,
  distinctSigningKeys,
  isCosignVerifier,
} from './policy-terms.js';
export type { CosignFinding, CosignTrustTerms, CosignVerifier } from './cosign-finding.js';
export {
  type BundlePolicy,
  type BundleProof,
  type BundleVerdict,
  type JudgedBundle,
} from './bundle-proofs.js';
export type { EntryResult } from './signature-entries.js';
export {
  COSIGN_SIGNATURE_ANNOTATION,
  MAX_SIGNATURE_LAYERS,
  cosignSignatureLayers,
  decodeCosignSignature,
} from './signature-layers.js';
export { parseCosignBundle, type CosignBundle } from './bundle.js';
export {
  COSIGN_CERTIFICATE_ANNOTATION,
  verifyCosignKeyedLayerLog,
  verifyCosignKeylessAttestation,
  verifyCosignKeylessLayer,
  type CosignKeyedLayerLog,
  type CosignKeylessAttestation,
  type CosignKeylessLayer,
} from './keyless.js';
export {
  DSSE_ENVELOPE_MEDIA_TYPE,
  MAX_DSSE_ENVELOPE_BYTES,
  findDsseSigner,
  parseDsseEnvelope,
  toDsseEnvelope,
  type DsseEnvelope,
} from './dsse.js';
export {
  COSIGN_PREDICATE_TYPES,
  COSIGN_SIGN_PREDICATE_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  parseInTotoStatement,
  toPredicateSummary,
  toPredicateTypeUri,
  verifyStatementSubject,
  type InTotoStatement,
  type InTotoSubject,
  type PredicateSummary,
} from './in-toto.js';
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
