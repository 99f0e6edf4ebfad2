// The Kubernetes API as the report needs it: paged, bounded lists; server-side apply; delete; and the
// optimistic-concurrency read / create / replace a Lease needs. One implementation on @kubernetes/client-node's
// generic object API (discovery maps a kind to its resource), loaded only by the commands that use it.
import type { KubeConfig } from '@kubernetes/client-node';
import { SignetError } from '../../errors.js';
import type { ListedObject } from './scope.js';

/** An object to write: apiVersion, kind, metadata.name (and namespace) at least. */
export interface WritableObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
}

export interface ClusterClient {
  /** Every object of the kind (all pages); fails with LIMIT_EXCEEDED past `maxObjectsPerList`. */
  list(apiVersion: string, kind: string, options?: ListOptions): Promise<ListedObject[]>;
  /** Server-side apply as field manager `signet`, taking over fields another manager set (force). */
  apply(object: WritableObject): Promise<void>;
  delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void>;
  /** The object, or undefined when it does not exist. */
  read(apiVersion: string, kind: string, name: string, namespace?: string): Promise<ListedObject | undefined>;
  /** Creates the object; resolves false when it already exists (someone else created it first). */
  create(object: WritableObject): Promise<boolean>;
  /** Replaces the object at `metadata.resourceVersion`; resolves false on a conflict (it changed meanwhile). */
  replace(object: WritableObject): Promise<boolean>;
}

export const FIELD_MANAGER = 'signet';
/** Objects per list page, and the most one list may return (the report holds them all in memory). */
const PAGE_SIZE = 500;
export const DEFAULT_MAX_OBJECTS_PER_LIST = 100_000;

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function apiError(action: string, error: unknown): SignetError {
  const status = statusOf(error);
  const body = (error as { body?: unknown } | null)?.body;
  const message =
    typeof body === 'string'
      ? ((): string => {
          try {
            const parsed = JSON.parse(body) as { message?: unknown };
            return typeof parsed.message === 'string' ? parsed.message : body.slice(0, 300);
          } catch {
            return body.slice(0, 300);
          }
        })()
      : error instanceof Error
        ? error.message
        : String(error);
  return new SignetError(status === 401 || status === 403 ? 'CLUSTER_FORBIDDEN' : 'CLUSTER_UNREACHABLE', {
    stage: 'report',
    reason: `${action}: ${status === undefined ? '' : `HTTP ${status}: `}${message}`,
    ...(status === undefined ? {} : { details: { status } }),
    cause: error,
  });
}

function describe(kind: string, name: string, namespace?: string): string {
  return `${kind} ${namespace === undefined || namespace === '' ? '' : `${namespace}/`}${name}`;
}

/** A ClusterClient on a kubeconfig (the default chain: KUBECONFIG, ~/.kube/config, in-cluster). */
export async function createClusterClient(
  kubeConfig?: KubeConfig,
  maxObjectsPerList = DEFAULT_MAX_OBJECTS_PER_LIST,
): Promise<ClusterClient> {
  // Loaded here only: the Kubernetes client costs ~50 MiB resident that `signet serve` without it never needs.
  const k8s = await import('@kubernetes/client-node');
  const config =
    kubeConfig ??
    ((): KubeConfig => {
      const loaded = new k8s.KubeConfig();
      loaded.loadFromDefault();
      return loaded;
    })();
  const api = k8s.KubernetesObjectApi.makeApiClient(config);
  const header = (apiVersion: string, kind: string, name: string, namespace?: string) => ({
    apiVersion,
    kind,
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
  });
  return {
    async list(apiVersion, kind, options = {}) {
      const objects: ListedObject[] = [];
      let continueToken: string | undefined;
      do {
        let page;
        try {
          page = await api.list(
            apiVersion,
            kind,
            options.namespace,
            undefined,
            undefined,
            undefined,
            undefined,
            options.labelSelector,
            PAGE_SIZE,
            continueToken,
          );
        } catch (error) {
          throw apiError(`listing ${kind} (${apiVersion})`, error);
        }
        for (const item of page.items) objects.push({ ...(item as ListedObject), apiVersion, kind });
        if (objects.length > maxObjectsPerList)
          throw new SignetError('LIMIT_EXCEEDED', {
            stage: 'report',
            reason: `more than ${maxObjectsPerList} ${kind} objects: the report holds every listed object in memory`,
            remediation: 'Report per assignment with fewer namespaces in scope, or raise --max-objects.',
          });
        continueToken = page.metadata?._continue;
      } while (continueToken !== undefined && continueToken !== '');
      return objects;
    },
    async apply(object) {
      try {
        await api.patch(object, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
      } catch (error) {
        throw apiError(
          `applying ${describe(object.kind, object.metadata.name, object.metadata.namespace)}`,
          error,
        );
      }
    },
    async delete(apiVersion, kind, name, namespace) {
      try {
        await api.delete(header(apiVersion, kind, name, namespace));
      } catch (error) {
        if (statusOf(error) === 404) return;
        throw apiError(`deleting ${describe(kind, name, namespace)}`, error);
      }
    },
    async read(apiVersion, kind, name, namespace) {
      try {
        return (await api.read(header(apiVersion, kind, name, namespace))) as ListedObject;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw apiError(`reading ${describe(kind, name, namespace)}`, error);
      }
    },
    async create(object) {
      try {
        await api.create(object, undefined, undefined, FIELD_MANAGER);
        return true;
      } catch (error) {
        if (statusOf(error) === 409) return false;
        throw apiError(
          `creating ${describe(object.kind, object.metadata.name, object.metadata.namespace)}`,
          error,
        );
      }
    },
    async replace(object) {
      try {
        await api.replace(object, undefined, undefined, FIELD_MANAGER);
        return true;
      } catch (error) {
        if (statusOf(error) === 409) return false;
        throw apiError(
          `replacing ${describe(object.kind, object.metadata.name, object.metadata.namespace)}`,
          error,
        );
      }
    },
  };
}
