import { makeInformer } from '@kubernetes/client-node';
import type {
  Informer,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  ObjectCache,
} from '@kubernetes/client-node';
import type { KubernetesSourceLog } from './kubernetes-source.types.js';

const MIN_BACKOFF_MS = 500;
// Short enough that an API server restart costs seconds, not minutes, of stale configuration.
const MAX_BACKOFF_MS = 8_000;

export type Listing = KubernetesListObject<KubernetesObject>;

export interface ResilientInformerOptions {
  readonly kubeConfig: KubeConfig;
  /** Names the watch in logs (`verifiers`, `secrets in signet`). */
  readonly description: string;
  /** The watch path (`/apis/config.ratify.deislabs.io/v1beta1/verifiers`). */
  readonly path: string;
  readonly list: () => Promise<Listing>;
  /** After every listing and every watch event. */
  readonly onChange: () => void;
  readonly log?: KubernetesSourceLog;
}

/** One informer (list + watch) that restarts itself with exponential backoff after errors. */
export class ResilientInformer {
  private readonly informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  private readonly description: string;
  private readonly log: KubernetesSourceLog | undefined;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** True once a listing succeeded: before that, an empty cache does not mean "no resources". */
  synced = false;

  constructor({ kubeConfig, description, path, list, onChange, log }: ResilientInformerOptions) {
    this.description = description;
    this.log = log;
    this.informer = makeInformer(kubeConfig, path, async () => {
      const listing = await list();
      this.failures = 0;
      this.synced = true;
      onChange();
      return listing;
    });
    this.informer.on('change', () => {
      this.failures = 0;
      onChange();
    });
    this.informer.on('error', (error: unknown) => this.retry(error));
  }

  start(): void {
    this.informer.start().catch((error: unknown) => this.retry(error));
  }

  private retry(error: unknown): void {
    if (this.stopped) return;
    const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.failures);
    this.failures += 1;
    this.log?.warn(
      {
        watch: this.description,
        retryInMs: delay,
        reason: error instanceof Error ? error.message : String(error),
      },
      'kubernetes watch failed; reconnecting',
    );
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.start(), delay);
    this.retryTimer.unref();
  }

  list(): readonly KubernetesObject[] {
    return this.informer.list();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.informer.stop();
  }
}
