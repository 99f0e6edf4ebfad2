export {
  createRevocationChecker,
  DEFAULT_REVOCATION_LIMITS,
  type RevocationCheckerOptions,
} from './revocation-checker.js';
export { findCrlProblem, parseCertificateList, toCrlStatus, type CertificateList } from './crl.js';
export type { FetchLimits } from './revocation.types.js';
export { toCrlUrls, toOcspUrls } from './certificate-locations.js';
