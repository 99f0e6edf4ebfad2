// The Kubernetes API as the report needs it — listings of every workload in scope, PolicyReports written by
// server-side apply, and the optimistic-concurrency read / create / replace of its Lease — on the shared client
// (provider/compliance/kubernetes-api.ts). An interface, so the report and the Lease are tested without a cluster.
import type { KubernetesApi, ListOptions as ApiListOptions, WritableObject } from '../kubernetes-api.js';
import type { ListedObject } from './scope.js';

export type { WritableObject } from '../kubernetes-api.js';

export type ListOptions = Omit<ApiListOptions, 'maxObjects' | 'remediation'>;

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
/** The most objects one listing may return (the report holds them all in memory). */
export const DEFAULT_MAX_OBJECTS_PER_LIST = 100_000;

/** The report's view of a connected client. */
export function createClusterClient(
  api: KubernetesApi,
  maxObjectsPerList = DEFAULT_MAX_OBJECTS_PER_LIST,
): ClusterClient {
  const at = (apiVersion: string, kind: string, name: string, namespace?: string) => ({
    apiVersion,
    kind,
    name,
    ...(namespace === undefined ? {} : { namespace }),
  });
  return {
    list: (apiVersion, kind, options = {}) =>
      api.list(apiVersion, kind, {
        ...options,
        maxObjects: maxObjectsPerList,
        remediation: 'Report one assignment at a time (--assignment), or narrow its namespaces.',
      }) as Promise<ListedObject[]>,
    apply: async (object) => {
      await api.apply(object, FIELD_MANAGER, true);
    },
    delete: (apiVersion, kind, name, namespace) => api.delete(at(apiVersion, kind, name, namespace)),
    read: (apiVersion, kind, name, namespace) =>
      api.read(at(apiVersion, kind, name, namespace)) as Promise<ListedObject | undefined>,
    create: (object) => api.create(object, FIELD_MANAGER),
    replace: (object) => api.replace(object, FIELD_MANAGER),
  };
}
