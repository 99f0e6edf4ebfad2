/** Ratify's `azurekeyvault` key management provider: certificates and keys fetched with the Azure SDKs. */
export { createAzureKeyVaultSource, withKeyVaultMaterial } from './azure-key-vault-source.js';
export type { AzureKeyVaultSourceOptions } from './azure-key-vault-source.js';
export { createKeyVaultFetcher, KEY_VAULT_FETCH_TIMEOUT_MS } from './fetch-key-vault.js';
export type {
  KeyVaultFetcher,
  KeyVaultFetcherOptions,
  KeyVaultMaterial,
  KeyVaultObjectStatus,
} from './fetch-key-vault.js';
export { toPublicKey } from './jwk-public-key.js';
export {
  createKeyVaultMaterialSource,
  DEFAULT_REFRESH_INTERVAL_MS,
  toRefreshIntervalMs,
} from './key-vault-material.js';
export type {
  KeyVaultMaterialSource,
  KeyVaultMaterialSourceOptions,
  RefreshScheduler,
} from './key-vault-material.js';
