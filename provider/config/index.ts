/**
 * Configuration: Ratify `config.ratify.deislabs.io/v1beta1` resources → one immutable
 * ConfigSnapshot. Sources (file, Kubernetes) validate each resource with
 * `parseConfigResource` and build snapshots only with `createSnapshot`.
 */
export type * from './config.types.js';
export { ConfigSecret } from './config-secret.js';
export { createConfigStore } from './config-store.js';
export type { ConfigStore, SnapshotListener } from './config-store.js';
export { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_URL, loadDefaultConfig } from './default-config.js';
export { DEFAULT_REKOR_URL } from './schema/cosign.js';
export { MAX_INLINE_VALUE_BYTES } from './schema/key-provider.js';
export { KRITIS_API_VERSION, RATIFY_API_VERSION, isNamespacedKind } from './schema/kinds.js';
export { KRITIS_DEFAULT_NAMESPACE } from './schema/kritis.js';
export { parseConfigResource } from './schema/parse-resource.js';
export type { ResourceParseResult } from './schema/parse-resource.js';
export { POLICY_NAME } from './schema/policy.js';
export { describeResource, formatProblem, toConfigError } from './schema/problems.js';
export type { ConfigProblem, ResourceLocator } from './schema/problems.js';
export { createSnapshot, findSnapshotProblems } from './snapshot/create-snapshot.js';
export type { SnapshotOptions } from './snapshot/create-snapshot.js';
export { DEFAULT_POLICY, toNamespaceView } from './snapshot/namespace-view.js';
export { toTrustStoreProviders } from './snapshot/trust-store-providers.js';
export {
  describeConfigFile,
  loadConfigFile,
  MAX_CONFIG_FILE_BYTES,
} from './sources/file/load-config-file.js';
export type { ConfigFileOptions } from './sources/file/load-config-file.js';
export { watchConfigFile } from './sources/file/watch-config-file.js';
export type { ConfigFileWatcher, WatchConfigFileOptions } from './sources/file/watch-config-file.js';
export { MAX_CONFIG_DOCUMENTS, parseConfigYaml } from './sources/parse-config-yaml.js';
export {
  createAzureKeyVaultSource,
  createKeyVaultFetcher,
  createKeyVaultMaterialSource,
  DEFAULT_REFRESH_INTERVAL_MS,
  withKeyVaultMaterial,
} from './sources/azure-key-vault/index.js';
export type {
  AzureKeyVaultSourceOptions,
  KeyVaultFetcher,
  KeyVaultMaterial,
  KeyVaultMaterialSource,
  RefreshScheduler,
} from './sources/azure-key-vault/index.js';
// The Kubernetes watcher (and with it @kubernetes/client-node, ~50 MiB resident) is not re-exported here: the CLI
// loads `./sources/kubernetes/index.js` only for `--config-source kubernetes`.
export { buildKubernetesSnapshot } from './sources/kubernetes/build-snapshot.js';
export { KUBERNETES_KINDS } from './sources/kubernetes/resource-kinds.js';
