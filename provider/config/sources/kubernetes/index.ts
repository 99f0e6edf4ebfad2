/**
 * Kubernetes configuration source: Ratify's custom resources (and Secrets in signet's namespace),
 * watched and built into the same snapshot the file source builds; status and Events per resource.
 */
export { buildKubernetesSnapshot } from './build-snapshot.js';
export type {
  KeyInventory,
  KubernetesSnapshotOptions,
  KubernetesSnapshotResult,
  ResourceOutcome,
} from './build-snapshot.js';
export { KUBERNETES_KINDS, RATIFY_GROUP, RATIFY_VERSION, toObjectKey } from './resource-kinds.js';
export type { KubernetesKind } from './resource-kinds.js';
export { MAX_BRIEF_ERROR_LENGTH, isStatusCurrent, toResourceStatus } from './resource-status.js';
export type { ResourceStatus } from './resource-status.js';
export { resolveSecretReferences } from './resolve-secrets.js';
export type { SecretContext, SecretLookup, SecretProblem } from './resolve-secrets.js';
export { watchKubernetesConfig } from './watch-kubernetes-config.js';
export type {
  KubernetesConfigWatcher,
  KubernetesSourceLog,
  WatchKubernetesConfigOptions,
} from './kubernetes-source.types.js';
