export { createAdmissionControl, createCachedKeyHints, DEFAULT_MAX_IN_FLIGHT } from './admission-control.js';
export type {
  Admission,
  AdmissionControl,
  AdmissionOptions,
  AdmissionStats,
  CachedKeyHints,
} from './admission-control.js';
export { createApp } from './app.js';
export type { AppDependencies } from './app.js';
export { createOpsApp } from './ops-app.js';
export type { OpsAppDependencies } from './ops-app.js';
export { DEFAULT_API_VERSION, GATEKEEPER_API_VERSIONS } from './gatekeeper.types.js';
export type {
  GatekeeperApiVersion,
  ProviderErrorResponse,
  ProviderRequest,
  ProviderResponse,
  ProviderResponseItem,
} from './gatekeeper.types.js';
export { DEFAULT_PROTOCOL_OPTIONS, parseProviderRequest } from './protocol.js';
export type { ProtocolOptions } from './protocol.js';
export {
  RATIFY_RESULT_VERSION,
  toMutateResponse,
  toRatifyReport,
  toRatifyResult,
  toVerifyResponse,
} from './render.js';
export type { MutateOutcome, RatifyResult, RatifyVerifierReport } from './render.js';
export { DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT_MS, startServer } from './server.js';
export type { RunningServer, StartServerOptions } from './server.js';
export { DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, loadTlsMaterial, parseTlsMaterial, watchTlsFiles } from './tls.js';
export type { TlsFiles, TlsMaterial, TlsReloader, TlsReloadOptions } from './tls.js';
export { PROVIDER_API_VERSION, toProviderResource } from './provider-cr.js';
export type { ProviderResource, ProviderResourceOptions } from './provider-cr.js';
