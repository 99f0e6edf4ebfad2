import { hostname } from 'node:os';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CoreV1Api, CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import type { ResourceOutcome } from './build-snapshot.js';
import type { KubernetesSourceLog } from './kubernetes-source.types.js';
import { toApiVersion, toListedObjectKey, toObjectKey } from './resource-kinds.js';
import type { KubernetesKind } from './resource-kinds.js';
import { isStatusCurrent, toResourceStatus } from './resource-status.js';

export interface StatusWriterOptions {
  readonly customObjects: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly log?: KubernetesSourceLog;
  /** Stamps `status.lastfetchedtime` and Events. */
  readonly now?: () => Date;
}

// Key providers and kritis authorities report the keys they hold (`status.properties`).
function isKeyProvider(kind: KubernetesKind): boolean {
  return (
    kind.kind.includes('KeyManagementProvider') ||
    kind.kind === 'CertificateStore' ||
    kind.kind === 'AttestationAuthority'
  );
}

/**
 * Reports each resource's outcome in its `status` (Ratify's fields) and, for a rejection, by one
 * Warning Event per distinct problem. Writes only what changed, so reconciling often costs no API calls.
 */
export class StatusWriter {
  private readonly customObjects: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly log: KubernetesSourceLog | undefined;
  private readonly now: () => Date;
  /** Desired status last written per object (uid + content), so a lagging cache does not cause rewrites. */
  private readonly written = new Map<string, string>();
  /** Rejection message last announced per object uid, so one problem makes one Event. */
  private readonly announced = new Map<string, string>();

  constructor(options: StatusWriterOptions) {
    this.customObjects = options.customObjects;
    this.core = options.core;
    this.log = options.log;
    this.now = options.now ?? (() => new Date());
  }

  /** A resync rewrites every status that drifted, whatever signet wrote before. */
  forgetWritten(): void {
    this.written.clear();
  }

  /** Forgets deleted objects, so a recreated one with the same problem is announced again. */
  forgetAbsent(presentUids: ReadonlySet<string | undefined>): void {
    for (const uid of this.announced.keys()) if (!presentUids.has(uid)) this.announced.delete(uid);
  }

  async report(kind: KubernetesKind, object: KubernetesObject, outcome: ResourceOutcome): Promise<void> {
    const status = toResourceStatus(outcome, isKeyProvider(kind), this.now());
    const key = toListedObjectKey(kind, object);
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
      this.log?.warn(
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
    const now = this.now();
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
      this.log?.warn(
        {
          resource: toObjectKey(kind.kind, object.metadata?.namespace, name),
          reason: error instanceof Error ? error.message : String(error),
        },
        'could not record a Kubernetes Event',
      );
    }
  }
}
