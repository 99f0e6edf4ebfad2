export {
  ENVELOPE_MEDIA_TYPES,
  MAX_CERTIFICATE_CHAIN_LENGTH,
  MAX_ENVELOPE_BYTES,
  PAYLOAD_CONTENT_TYPE,
  parseNotationEnvelope,
  parseTargetDescriptor,
  verifyEnvelopeIntegrity,
  type EnvelopeFormat,
  type ExtendedAttribute,
  type SignatureAlgorithm,
  type SignatureEnvelope,
  type SigningScheme,
  type TargetDescriptor,
} from './envelope/index.js';
export {
  LEVELS,
  LEVEL_NAMES,
  VALIDATION_ACTIONS,
  VALIDATION_TYPES,
  type LevelName,
  type ValidationAction,
  type ValidationType,
  type VerificationLevel,
} from './levels.js';
export type { NotationOutcome, ValidationResult, ValidationStatus } from './outcome.types.js';
export { NOTATION_ARTIFACT_TYPE, toNotationVerifierReport, type NotationReportOptions } from './report.js';
export type { SubjectDescriptor } from './stages/integrity.js';
export type {
  CertificateRevocationResult,
  RevocationChecker,
  RevocationRequest,
  RevocationStatus,
} from './stages/revocation.js';
export type { Timestamp } from '../../trust/index.js';
export {
  parseTrustPolicyDocument,
  selectTrustPolicy,
  type ParseTrustPolicyOptions,
  type TrustedIdentities,
  type TrustPolicyDocument,
  type TrustPolicyStatement,
  type TrustStoreReference,
  type VerifyTimestamp,
  type X509SubjectIdentity,
} from './trust-policy.js';
export { verifyNotationSignature, type NotationVerificationInput } from './verify.js';
export { createNotationVerifier } from './notation-verifier.js';
export {
  createRevocationChecker,
  DEFAULT_REVOCATION_LIMITS,
  type RevocationCheckerOptions,
} from './revocation/index.js';
