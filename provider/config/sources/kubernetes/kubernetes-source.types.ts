import type { KubeConfig } from '@kubernetes/client-node';
import type { SignetError } from '../../../errors.js';
import type { ConfigSnapshot, VerifierConfig } from '../../config.types.js';
import type { KeyVaultMaterialSource } from '../azure-key-vault/index.js';

/** The part of a pino logger the Kubernetes source uses. */
export interface KubernetesSourceLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface WatchKubernetesConfigOptions {
  readonly kubeConfig: KubeConfig;
  /** signet's own namespace: Secrets are read only here. */
  readonly namespace: string;
  readonly onSnapshot: (snapshot: ConfigSnapshot) => void;
  /** The resources in the cluster make no configuration (no Store or Verifier left); the last good one stays. */
  readonly onError: (error: SignetError) => void;
  readonly verifierProblem?: (verifier: VerifierConfig) => Promise<string | undefined>;
  readonly log?: KubernetesSourceLog;
  /** Coalesces a burst of changes (`kubectl apply -f` of many resources) into one snapshot. Default 200 ms. */
  readonly debounceMs?: number;
  /** Rebuilds from the watch caches and rewrites drifted statuses this often. Default 60 s. */
  readonly resyncMs?: number;
  /** How long `watchKubernetesConfig` waits for the first complete listing. Default 15 s. */
  readonly initialSyncTimeoutMs?: number;
  readonly firstGeneration?: number;
  /** Fetches `azurekeyvault` providers' material before a build, and asks for a rebuild when a refresh changes it. */
  readonly keyVault?: KeyVaultMaterialSource;
}

export interface KubernetesConfigWatcher {
  /** Stops every watch and timer; no callback runs after the returned promise resolves. */
  close(): Promise<void>;
}
