import { hostname } from 'node:os';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type {
  Informer,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  ObjectCache,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { SignetError, toSignetError } from '../../../errors.js';
import type { ConfigSnapshot, VerifierConfig } from '../../config.types.js';
import { isRecord } from '../../schema/reader.js';
import { buildKubernetesSnapshot } from './build-snapshot.js';
import type { ResourceOutcome } from './build-snapshot.js';
import { KUBERNETES_KINDS, toApiVersion, toObjectKey } from './resource-kinds.js';
import type { KubernetesKind } from './resource-kinds.js';
import { isStatusCurrent, toResourceStatus } from './resource-status.js';

/** The part of a pino logger the controller uses. */
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
  readonly verifierProblem?: (verifier: VerifierConfig) => string | undefined;
  readonly log?: KubernetesSourceLog;
  /** Coalesces a burst of changes (`kubectl apply -f` of many resources) into one snapshot. Default 200 ms. */
  readonly debounceMs?: number;
  /** Rebuilds from the watch caches and rewrites drifted statuses this often. Default 60 s. */
  readonly resyncMs?: number;
  /** How long `watchKubernetesConfig` waits for the first complete listing. Default 15 s. */
  readonly initialSyncTimeoutMs?: number;
  readonly firstGeneration?: number;
}

export interface KubernetesConfigWatcher {
  /** Stops every watch and timer; no callback runs after the returned promise resolves. */
  close(): Promise<void>;
}

const MIN_BACKOFF_MS = 500;
// Short enough that an API server restart costs seconds, not minutes, of stale configuration.
const MAX_BACKOFF_MS = 8_000;

type Listing = KubernetesListObject<KubernetesObject>;

/** One informer (list + watch) that restarts itself with exponential backoff after errors. */
class ResilientInformer {
  private readonly informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** True once a listing succeeded: before that, an empty cache does not mean "no resources". */
  synced = false;

  constructor(
    kubeConfig: KubeConfig,
    readonly description: string,
    path: string,
    list: () => Promise<Listing>,
    onChange: () => void,
    private readonly log: KubernetesSourceLog | undefined,
  ) {
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

function describeOutcomeKey(kind: KubernetesKind, object: KubernetesObject): string {
  return toObjectKey(kind.kind, object.metadata?.namespace, object.metadata?.name ?? '');
}

class KubernetesConfigController implements KubernetesConfigWatcher {
  private readonly customObjects: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly kindInformers: { readonly kind: KubernetesKind; readonly informer: ResilientInformer }[];
  private readonly secretInformer: ResilientInformer;
  /** For `k8Secrets`: the ServiceAccounts of signet's namespace and their `imagePullSecrets`. */
  private readonly serviceAccountInformer: ResilientInformer;
  private readonly source: string;
  private generation: number;
  private lastFingerprint: string | undefined;
  private lastErrorMessage: string | undefined;
  /** Desired status last written per object (uid + content), so a lagging cache does not cause rewrites. */
  private readonly written = new Map<string, string>();
  /** Rejection message last announced per object uid, so one problem makes one Event. */
  private readonly announced = new Map<string, string>();
  private debounceTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private closed = false;
  private firstBuild: (() => void) | undefined;
  readonly firstBuildDone: Promise<void>;

  constructor(private readonly options: WatchKubernetesConfigOptions) {
    const { kubeConfig, log } = options;
    this.customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.source = `kubernetes ${kubeConfig.getCurrentCluster()?.server ?? '(no cluster)'}`;
    this.generation = options.firstGeneration ?? 1;
    this.firstBuildDone = new Promise((resolve) => (this.firstBuild = resolve));
    const schedule = (): void => this.schedule();
    this.kindInformers = KUBERNETES_KINDS.map((kind) => ({
      kind,
      informer: new ResilientInformer(
        kubeConfig,
        kind.plural,
        `/apis/${toApiVersion(kind)}/${kind.plural}`,
        async () =>
          (await this.customObjects.listClusterCustomObject({
            group: kind.group,
            version: kind.version,
            plural: kind.plural,
          })) as Listing,
        schedule,
        log,
      ),
    }));
    this.secretInformer = new ResilientInformer(
      kubeConfig,
      `secrets in ${options.namespace}`,
      `/api/v1/namespaces/${options.namespace}/secrets`,
      () => this.core.listNamespacedSecret({ namespace: options.namespace }),
      schedule,
      log,
    );
    this.serviceAccountInformer = new ResilientInformer(
      kubeConfig,
      `serviceaccounts in ${options.namespace}`,
      `/api/v1/namespaces/${options.namespace}/serviceaccounts`,
      () => this.core.listNamespacedServiceAccount({ namespace: options.namespace }),
      schedule,
      log,
    );
  }

  start(): void {
    for (const { informer } of this.kindInformers) informer.start();
    this.secretInformer.start();
    this.serviceAccountInformer.start();
    this.resyncTimer = setInterval(() => {
      this.written.clear();
      this.schedule();
    }, this.options.resyncMs ?? 60_000);
    this.resyncTimer.unref();
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.reconcile(), this.options.debounceMs ?? 200);
    this.debounceTimer.unref();
  }

  private reconcile(): Promise<void> {
    if (this.running !== undefined) {
      this.rerun = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.rerun = false;
        try {
          await this.reconcileOnce();
        } catch (error) {
          // Never an unhandled rejection in the server process: report it, the next change retries.
          this.deliver(() => this.options.onError(toSignetError(error, 'config')));
        }
      } while (this.rerun && !this.closed);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private secretData(namespace: string, name: string): Readonly<Record<string, string>> | undefined {
    if (namespace !== this.options.namespace) return undefined;
    const secret = this.secretInformer.list().find((candidate) => candidate.metadata?.name === name);
    if (secret === undefined) return undefined;
    const data = (secret as { data?: unknown }).data;
    return isRecord(data) ? (data as Record<string, string>) : {};
  }

  private pullSecretsOf(name: string): readonly string[] | undefined {
    const account: V1ServiceAccount | undefined = this.serviceAccountInformer
      .list()
      .find((candidate) => candidate.metadata?.name === name);
    if (account === undefined) return undefined;
    return (account.imagePullSecrets ?? []).flatMap((ref) => (ref.name === undefined ? [] : [ref.name]));
  }

  private async reconcileOnce(): Promise<void> {
    // A partial listing would drop resources and publish a weaker configuration: wait for all.
    const namespaceInformers = [this.secretInformer, this.serviceAccountInformer];
    if (
      this.closed ||
      [...namespaceInformers, ...this.kindInformers.map(({ informer }) => informer)].some((i) => !i.synced)
    ) {
      return;
    }
    const objects = this.kindInformers.flatMap(({ kind, informer }) =>
      informer.list().map((object) => ({ kind, object })),
    );
    const result = buildKubernetesSnapshot(
      objects.map(({ kind, object }) => ({
        ...object,
        apiVersion: toApiVersion(kind),
        kind: kind.kind,
      })),
      {
        generation: this.generation,
        source: this.source,
        secrets: (namespace, name) => this.secretData(namespace, name),
        serviceAccountPullSecrets: (name) => this.pullSecretsOf(name),
        namespace: this.options.namespace,
        ...(this.options.verifierProblem === undefined
          ? {}
          : { verifierProblem: this.options.verifierProblem }),
      },
    );
    if (result.snapshot !== undefined) {
      this.lastErrorMessage = undefined;
      if (result.fingerprint !== this.lastFingerprint) {
        this.lastFingerprint = result.fingerprint;
        this.generation += 1;
        const snapshot = result.snapshot;
        this.deliver(() => this.options.onSnapshot(snapshot));
      }
    } else if (result.error !== undefined && result.error.message !== this.lastErrorMessage) {
      this.lastErrorMessage = result.error.message;
      const error = result.error;
      this.deliver(() => this.options.onError(error));
    }
    this.firstBuild?.();
    this.firstBuild = undefined;
    // Forget deleted objects, so a recreated one with the same problem is announced again.
    const present = new Set(objects.map(({ object }) => object.metadata?.uid));
    for (const uid of this.announced.keys()) if (!present.has(uid)) this.announced.delete(uid);
    await Promise.all(
      objects.map(({ kind, object }) => {
        const outcome = result.outcomes.get(describeOutcomeKey(kind, object));
        return outcome === undefined ? Promise.resolve() : this.reportOutcome(kind, object, outcome);
      }),
    );
  }

  private deliver(callback: () => void): void {
    if (this.closed) return;
    try {
      callback();
    } catch (error) {
      this.options.onError(toSignetError(error, 'config'));
    }
  }

  private async reportOutcome(
    kind: KubernetesKind,
    object: KubernetesObject,
    outcome: ResourceOutcome,
  ): Promise<void> {
    // Key providers and kritis authorities report the keys they hold (`status.properties`).
    const isKeyProvider =
      kind.kind.includes('KeyManagementProvider') ||
      kind.kind === 'CertificateStore' ||
      kind.kind === 'AttestationAuthority';
    const status = toResourceStatus(outcome, isKeyProvider, new Date());
    const key = describeOutcomeKey(kind, object);
    const written = `${object.metadata?.uid ?? ''} ${JSON.stringify({ ...status, lastfetchedtime: '' })}`;
    const current = (object as { status?: unknown }).status;
    if (!isStatusCurrent(current, status) && this.written.get(key) !== written) {
      this.written.set(key, written);
      await this.patchStatus(kind, object, status);
    }
    const uid = object.metadata?.uid ?? key;
    if (outcome.$case === 'accepted') {
      this.announced.delete(uid);
    } else if (this.announced.get(uid) !== outcome.message) {
      this.announced.set(uid, outcome.message);
      await this.createWarningEvent(kind, object, outcome.message);
    }
  }

  private async patchStatus(kind: KubernetesKind, object: KubernetesObject, status: object): Promise<void> {
    const name = object.metadata?.name ?? '';
    const namespace = object.metadata?.namespace;
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const common = {
      group: kind.group,
      version: kind.version,
      plural: kind.plural,
      name,
      body: { status },
    };
    try {
      if (kind.namespaced && namespace !== undefined) {
        await this.customObjects.patchNamespacedCustomObjectStatus({ ...common, namespace }, mergePatch);
      } else {
        await this.customObjects.patchClusterCustomObjectStatus(common, mergePatch);
      }
    } catch (error) {
      // Deleted meanwhile, or no RBAC: the configuration is still right, only its report is missing.
      this.options.log?.warn(
        {
          resource: toObjectKey(kind.kind, namespace, name),
          reason: error instanceof Error ? error.message : String(error),
        },
        'could not write resource status',
      );
      this.written.delete(toObjectKey(kind.kind, namespace, name));
    }
  }

  private async createWarningEvent(
    kind: KubernetesKind,
    object: KubernetesObject,
    message: string,
  ): Promise<void> {
    const name = object.metadata?.name ?? '';
    // The API server files Events about cluster-scoped objects under "default" (it refuses other namespaces).
    const namespace = object.metadata?.namespace ?? 'default';
    const now = new Date();
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: {
            apiVersion: toApiVersion(kind),
            kind: kind.kind,
            name,
            ...(object.metadata?.namespace === undefined ? {} : { namespace: object.metadata.namespace }),
            ...(object.metadata?.uid === undefined ? {} : { uid: object.metadata.uid }),
          },
          type: 'Warning',
          reason: 'ConfigurationRejected',
          // Events are capped at 1 KiB of message by convention; status.error keeps the whole text.
          message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
          source: { component: 'signet' },
          reportingComponent: 'signet',
          reportingInstance: hostname(),
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      this.options.log?.warn(
        {
          resource: toObjectKey(kind.kind, object.metadata?.namespace, name),
          reason: error instanceof Error ? error.message : String(error),
        },
        'could not record a Kubernetes Event',
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounceTimer);
    clearInterval(this.resyncTimer);
    await Promise.all([
      ...this.kindInformers.map(({ informer }) => informer.stop()),
      this.secretInformer.stop(),
      this.serviceAccountInformer.stop(),
    ]);
    await this.running;
  }
}

/**
 * Watches Ratify's configuration kinds, kritis' attestation kinds (and Secrets in signet's namespace) and publishes a snapshot
 * whenever they make a different configuration. Rejected resources are skipped, reported in their
 * `status` and by a Warning Event; the rest still apply. Resolves once the first complete listing
 * was built (or after `initialSyncTimeoutMs`, leaving signet not ready until it arrives).
 */
export async function watchKubernetesConfig(
  options: WatchKubernetesConfigOptions,
): Promise<KubernetesConfigWatcher> {
  if (options.kubeConfig.getCurrentCluster() === null) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: 'no Kubernetes cluster is configured (in-cluster service account or KUBECONFIG)',
    });
  }
  const controller = new KubernetesConfigController(options);
  controller.start();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    controller.firstBuildDone,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.initialSyncTimeoutMs ?? 15_000);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  return controller;
}
