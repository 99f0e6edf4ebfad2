export type { Challenge } from './auth/challenge.js';
export { parseWwwAuthenticate } from './auth/challenge.js';
export type { Credential, CredentialProvider } from './auth/credentials.js';
export type { StoreCredentialSettings } from './auth/store-credentials.js';
export type {
  AzureCredentialOptions,
  AzureCredentialRequest,
  AzureIdentityEnvironment,
} from './auth/azure-identity.js';
export { createAzureCredential } from './auth/azure-identity.js';
export type {
  AzureContainerRegistryOptions,
  AzureStoreAuthOptions,
} from './auth/azure-container-registry.js';
export {
  ACR_REFRESH_MARGIN_MS,
  ACR_SCOPE,
  createAzureContainerRegistryCredentialProvider,
  createAzureStoreCredentialProvider,
  DEFAULT_ACR_ENDPOINTS,
  jwtExpiryMs,
  matchesAcrEndpoint,
} from './auth/azure-container-registry.js';
export { createStoreCredentialProvider, defaultDockerConfigPath } from './auth/store-credentials.js';
export type { CredentialHelperOptions, CredentialHelpers } from './auth/credential-helpers.js';
export {
  AWS_ECR_CREDENTIAL_HELPER,
  CREDENTIAL_HELPER_NAME,
  createCredentialHelpers,
} from './auth/credential-helpers.js';
export type { DockerConfigAuth } from './auth/credentials.js';
export {
  chainCredentialProviders,
  createDockerConfigAuthProvider,
  createDockerConfigCredentialProvider,
  createStaticCredentialProvider,
  parseDockerConfig,
  toCredentialKey,
} from './auth/credentials.js';
export { createRegistryClient } from './client.js';
export type { RegistryEgressOptions } from './client.js';
export { computeDigest } from './content-digest.js';
export type { DestinationClass, EgressContext, EgressVerdict } from './egress-policy.js';
export {
  checkDestination,
  checkRedirect,
  checkResolvedAddresses,
  classifyAddress,
  classifyHostname,
  isLoopbackRegistryHost,
} from './egress-policy.js';
export type { RegistryLimits } from './limits.js';
export { DEFAULT_REGISTRY_LIMITS } from './limits.js';
export { parseNextLink } from './link-header.js';
export { parseManifest, toMediaType } from './manifest.js';
export {
  ALL_MANIFEST_MEDIA_TYPES,
  ARTIFACT_TYPES,
  IMAGE_MANIFEST_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  MEDIA_TYPES,
} from './media-types.js';
export type { RetryPolicy } from './retry.js';
export { DEFAULT_RETRY_POLICY, computeBackoffMs, parseRetryAfter } from './retry.js';
export type { CosignTagKind } from './tags.js';
export type { HostResolver, ResolvedAddress } from './transport.js';
export { toCosignTag, toReferrersFallbackTag } from './tags.js';
export type {
  BlobCallOptions,
  Descriptor,
  FetchedManifest,
  ImageIndex,
  ImageManifest,
  Manifest,
  ManifestCallOptions,
  Platform,
  ReferrersCallOptions,
  ReferrersListing,
  RegistryCallOptions,
  RegistryClient,
  RegistryClientOptions,
  RegistryRequestEvent,
} from './registry.types.js';
