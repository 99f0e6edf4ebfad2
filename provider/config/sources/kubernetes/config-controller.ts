import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { V1ServiceAccount } from '@kubernetes/client-node';
import { toSignetError } from '../../../errors.js';
import { isRecord } from '../../schema/reader.js';
import { buildKubernetesSnapshot } from './build-snapshot.js';
import type { KubernetesConfigWatcher, WatchKubernetesConfigOptions } from './kubernetes-source.types.js';
import { ResilientInformer } from './resilient-informer.js';
import type { Listing } from './resilient-informer.js';
import { KUBERNETES_KINDS, toApiVersion, toListedObjectKey } from './resource-kinds.js';
import type { KubernetesKind } from './resource-kinds.js';
import { StatusWriter } from './status-writer.js';

/**
 * Reconciles the watched resources into configuration snapshots: every change (debounced) and every
 * resync rebuilds the snapshot from the informers' caches, publishes it if it differs, and has the
 * status writer report each resource's outcome.
 */
export class KubernetesConfigController implements KubernetesConfigWatcher {
  private readonly customObjects: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly kindInformers: { readonly kind: KubernetesKind; readonly informer: ResilientInformer }[];
  private readonly secretInformer: ResilientInformer;
  /** For `k8Secrets`: the ServiceAccounts of signet's namespace and their `imagePullSecrets`. */
  private readonly serviceAccountInformer: ResilientInformer;
  private readonly statusWriter: StatusWriter;
  private readonly source: string;
  private generation: number;
  private lastFingerprint: string | undefined;
  private lastErrorMessage: string | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private closed = false;
  private firstBuild: (() => void) | undefined;
  private stopKeyVaultWatch: (() => void) | undefined;
  readonly firstBuildDone: Promise<void>;

  constructor(private readonly options: WatchKubernetesConfigOptions) {
    const { kubeConfig, log } = options;
    this.customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.statusWriter = new StatusWriter({
      customObjects: this.customObjects,
      core: this.core,
      ...(log === undefined ? {} : { log }),
    });
    this.source = `kubernetes ${kubeConfig.getCurrentCluster()?.server ?? '(no cluster)'}`;
    this.generation = options.firstGeneration ?? 1;
    this.firstBuildDone = new Promise((resolve) => (this.firstBuild = resolve));
    const common = {
      kubeConfig,
      onChange: (): void => this.schedule(),
      ...(log === undefined ? {} : { log }),
    };
    this.kindInformers = KUBERNETES_KINDS.map((kind) => ({
      kind,
      informer: new ResilientInformer({
        ...common,
        description: kind.plural,
        path: `/apis/${toApiVersion(kind)}/${kind.plural}`,
        list: async () =>
          (await this.customObjects.listClusterCustomObject({
            group: kind.group,
            version: kind.version,
            plural: kind.plural,
          })) as Listing,
      }),
    }));
    this.secretInformer = new ResilientInformer({
      ...common,
      description: `secrets in ${options.namespace}`,
      path: `/api/v1/namespaces/${options.namespace}/secrets`,
      list: () => this.core.listNamespacedSecret({ namespace: options.namespace }),
    });
    this.serviceAccountInformer = new ResilientInformer({
      ...common,
      description: `serviceaccounts in ${options.namespace}`,
      path: `/api/v1/namespaces/${options.namespace}/serviceaccounts`,
      list: () => this.core.listNamespacedServiceAccount({ namespace: options.namespace }),
    });
  }

  start(): void {
    this.stopKeyVaultWatch = this.options.keyVault?.onChange(() => this.schedule());
    for (const { informer } of this.kindInformers) informer.start();
    this.secretInformer.start();
    this.serviceAccountInformer.start();
    this.resyncTimer = setInterval(() => {
      this.statusWriter.forgetWritten();
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
    const build = () =>
      buildKubernetesSnapshot(
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
          ...(this.options.keyVault === undefined ? {} : { keyVault: this.options.keyVault }),
        },
      );
    let result = await build();
    if (this.options.keyVault !== undefined) {
      // Vault material is fetched here, off the request path, for providers new or changed since the last build.
      await this.options.keyVault.prepare(result.keyVaultProviders);
      if (this.closed) return;
      result = await build();
    }
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
    this.statusWriter.forgetAbsent(new Set(objects.map(({ object }) => object.metadata?.uid)));
    await Promise.all(
      objects.map(({ kind, object }) => {
        const outcome = result.outcomes.get(toListedObjectKey(kind, object));
        return outcome === undefined ? Promise.resolve() : this.statusWriter.report(kind, object, outcome);
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

  async close(): Promise<void> {
    this.closed = true;
    this.stopKeyVaultWatch?.();
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
