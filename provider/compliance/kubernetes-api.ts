// The Kubernetes API as signet's cluster commands use it (assign / unassign / assignments / report and the periodic
// report in serve): one client on @kubernetes/client-node's generic object API, loaded only by these commands
// (~50 MiB resident the others never need). Every call is bounded in time and its failure is a SignetError naming
// the verb and resource; every listing is paged and bounded in objects.
import type {
  ConfigurationOptions,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { SignetError, type Stage } from '../errors.js';

export type { KubernetesObject } from '@kubernetes/client-node';

/** Objects read per list page. */
const PAGE_SIZE = 500;

export interface KubernetesApiOptions {
  /** A kubeconfig file; default as kubectl: $KUBECONFIG, ~/.kube/config, then the pod's service account. */
  readonly kubeconfig?: string;
  /** Bound on every single API call. */
  readonly requestTimeoutMs: number;
  /** The stage failures are labelled with (`config` for assign, `report` for the compliance report). */
  readonly stage: Stage;
}

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
  /** The most objects the listing may return (all pages); past it LIMIT_EXCEEDED with `remediation`. */
  readonly maxObjects: number;
  readonly remediation: string;
}

/** Where an object is: enough to read or delete it. */
export interface ObjectCoordinates {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/** One API operation, for error messages: `list constrainttemplates.templates.gatekeeper.sh`. */
interface Operation {
  readonly verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';
  readonly resource: string;
  readonly name?: string;
  readonly namespace?: string;
}

function describeOperation(operation: Operation): string {
  const target = operation.name === undefined ? '' : ` ${operation.name}`;
  const where = operation.namespace === undefined ? '' : ` in namespace ${operation.namespace}`;
  return `${operation.verb} ${operation.resource}${target}${where}`;
}

/** `pods`, `constrainttemplates.templates.gatekeeper.sh`, … for messages (kubectl's naming). */
function resourceOf(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const lower = kind.toLowerCase();
  const plural = lower.endsWith('s')
    ? `${lower}es`
    : lower.endsWith('y')
      ? `${lower.slice(0, -1)}ies`
      : `${lower}s`;
  return group === '' ? plural : `${plural}.${group}`;
}

function operationOn(verb: Operation['verb'], at: ObjectCoordinates): Operation {
  return {
    verb,
    resource: resourceOf(at.apiVersion, at.kind),
    name: at.name,
    ...(at.namespace === undefined ? {} : { namespace: at.namespace }),
  };
}

function headerOf(
  at: ObjectCoordinates,
): KubernetesObject & { metadata: { name: string; namespace?: string } } {
  return {
    apiVersion: at.apiVersion,
    kind: at.kind,
    metadata: { name: at.name, ...(at.namespace === undefined ? {} : { namespace: at.namespace }) },
  };
}

function coordinatesOf(object: WritableObject): ObjectCoordinates {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace === undefined ? {} : { namespace: object.metadata.namespace }),
  };
}

/** The HTTP status of a client error (ApiException), if it is one. */
function httpStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The apiserver's own message (a Status body), if it sent one. */
function statusMessageOf(error: unknown): string | undefined {
  const body = (error as { body?: unknown } | null)?.body;
  const parsed = typeof body === 'string' ? safeParse(body) : body;
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A network error's code (ECONNREFUSED, ENOTFOUND, …) from undici's `fetch failed` and its causes. */
function networkCodeOf(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 5) return undefined;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  return typeof code === 'string' ? code : networkCodeOf(cause, depth + 1);
}

/** True when `error` (a SignetError from this client, or the client's own) is the API server's 404 / 409. */
export function isNotFound(error: unknown): boolean {
  return httpStatusOf(error instanceof SignetError ? error.cause : error) === 404;
}
function isConflict(error: unknown): boolean {
  return httpStatusOf(error instanceof SignetError ? error.cause : error) === 409;
}

export class KubernetesApi {
  private constructor(
    /** The loaded kubeconfig. */
    readonly kubeConfig: KubeConfig,
    /** The API server's URL, for messages. */
    readonly server: string,
    private readonly objects: KubernetesObjectApi,
    private readonly customObjects: CustomObjectsApi,
    private readonly discoverGroups: () => Promise<readonly string[]>,
    private readonly requestTimeoutMs: number,
    private readonly stage: Stage,
    /** Request options sending a body as a JSON patch. */
    private readonly jsonPatch: ConfigurationOptions,
    /** The content type of a server-side apply patch. */
    private readonly applyPatch: PatchStrategy,
  ) {}

  static async connect(options: KubernetesApiOptions): Promise<KubernetesApi> {
    // Loaded here only, so `signet serve` with a config file and the other commands stay light.
    const client = await import('@kubernetes/client-node');
    const kubeConfig = new client.KubeConfig();
    try {
      if (options.kubeconfig === undefined) kubeConfig.loadFromDefault();
      else kubeConfig.loadFromFile(options.kubeconfig);
    } catch (error) {
      throw new SignetError('CONFIG_INVALID', {
        stage: options.stage,
        remediation: 'Give a readable kubeconfig with --kubeconfig or $KUBECONFIG.',
        reason: `cannot load the kubeconfig${options.kubeconfig === undefined ? '' : ` ${options.kubeconfig}`}: ${(error as Error).message}`,
      });
    }
    const server = kubeConfig.getCurrentCluster()?.server;
    if (server === undefined || server === '')
      throw new SignetError('CONFIG_INVALID', {
        stage: options.stage,
        remediation: 'Set a current context (kubectl config use-context) or give --kubeconfig.',
        reason: 'the kubeconfig names no cluster (no current context)',
      });
    const apis = kubeConfig.makeApiClient(client.ApisApi);
    return new KubernetesApi(
      kubeConfig,
      server,
      client.KubernetesObjectApi.makeApiClient(kubeConfig),
      kubeConfig.makeApiClient(client.CustomObjectsApi),
      async () => (await apis.getAPIVersions()).groups.map((group) => group.name),
      options.requestTimeoutMs,
      options.stage,
      client.setHeaderOptions('Content-Type', client.PatchStrategy.JsonPatch),
      client.PatchStrategy.ServerSideApply,
    );
  }

  /** One API call, bounded in time, its failure a SignetError naming what was attempted. */
  private async call<T>(operation: Operation, run: () => Promise<T>): Promise<T> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const timedOut = new Promise<never>((_, reject) => {
      timeout.addEventListener('abort', () =>
        reject(
          new SignetError('TIMEOUT', {
            stage: this.stage,
            reason: `the Kubernetes API server ${this.server} did not answer ${describeOperation(operation)} within ${this.requestTimeoutMs} ms`,
            remediation: 'Check that the cluster is reachable, or raise --timeout.',
          }),
        ),
      );
    });
    try {
      return await Promise.race([run(), timedOut]);
    } catch (error) {
      throw this.toClusterError(error, operation);
    }
  }

  private toClusterError(error: unknown, operation: Operation): unknown {
    if (error instanceof SignetError) return error;
    const stage = this.stage;
    const status = httpStatusOf(error);
    const said = statusMessageOf(error);
    const what = describeOperation(operation);
    if (status === 401)
      return new SignetError('CLUSTER_FORBIDDEN', {
        stage,
        reason: `the Kubernetes API server ${this.server} refused the credentials (401) for ${what}`,
        remediation: 'Check the kubeconfig user (certificate, token or exec plugin) for this cluster.',
        cause: error,
      });
    if (status === 403)
      return new SignetError('CLUSTER_FORBIDDEN', {
        stage,
        reason: `RBAC forbids ${what}: ${said ?? 'forbidden'}`,
        details: { verb: operation.verb, resource: operation.resource },
        cause: error,
      });
    if (status === 404)
      return new SignetError('CONFIG_INVALID', {
        stage,
        reason: `${what}: ${said ?? 'not found'}`,
        remediation:
          'Create what the message names (e.g. the record namespace, or pass --record-namespace), then retry.',
        cause: error,
      });
    if (status === 409)
      return new SignetError('CLUSTER_CONFLICT', {
        stage,
        reason: `${what} conflicts: ${said ?? 'conflict'}`,
        cause: error,
      });
    if (status !== undefined)
      return new SignetError('CLUSTER_UNREACHABLE', {
        stage,
        reason: `${what} failed with HTTP ${status}: ${said ?? (error as Error).message.split('\n')[0] ?? ''}`,
        remediation: 'Check the message; the API server refused the request.',
        cause: error,
      });
    const causeMessage = (error as { cause?: { message?: unknown } } | null)?.cause?.message;
    const network =
      networkCodeOf(error) ??
      (typeof causeMessage === 'string' && error instanceof Error
        ? `${error.message}: ${causeMessage}`
        : undefined);
    return new SignetError('CLUSTER_UNREACHABLE', {
      stage,
      reason: `cannot reach the Kubernetes API server ${this.server} (${what}): ${network ?? (error instanceof Error ? error.message : String(error))}`,
      cause: error,
    });
  }

  /** The API groups the server serves (discovery). */
  apiGroups(): Promise<readonly string[]> {
    return this.call({ verb: 'get', resource: '/apis (discovery)' }, this.discoverGroups);
  }

  /** The resources of `group`/`version` (discovery); NotFound when the group is not served. */
  async apiResources(group: string, version: string): Promise<{ name: string; kind: string }[]> {
    const list = await this.call({ verb: 'get', resource: `/apis/${group}/${version} (discovery)` }, () =>
      this.customObjects.getAPIResources({ group, version }),
    );
    return list.resources;
  }

  /**
   * Every object of `apiVersion`/`kind` matching the selector, page by page, at most `maxObjects`. List items of
   * built-in kinds carry no apiVersion and kind, so the listing's are set on each.
   */
  async list(apiVersion: string, kind: string, options: ListOptions): Promise<KubernetesObject[]> {
    const items: KubernetesObject[] = [];
    const resource = resourceOf(apiVersion, kind);
    let token: string | undefined;
    do {
      const listing = await this.call(
        {
          verb: 'list',
          resource,
          ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
        },
        () =>
          this.objects.list(
            apiVersion,
            kind,
            options.namespace,
            undefined,
            undefined,
            undefined,
            undefined,
            options.labelSelector,
            Math.min(PAGE_SIZE, options.maxObjects + 1),
            token,
          ),
      );
      for (const item of listing.items) items.push({ ...item, apiVersion, kind });
      if (items.length > options.maxObjects)
        throw new SignetError('LIMIT_EXCEEDED', {
          stage: this.stage,
          reason: `more than ${options.maxObjects} ${resource} match ${options.labelSelector ?? 'the listing'}`,
          remediation: options.remediation,
        });
      token = listing.metadata?._continue;
    } while (token !== undefined && token !== '');
    return items;
  }

  /** The object, or undefined when it does not exist. */
  async read<T extends KubernetesObject = KubernetesObject>(at: ObjectCoordinates): Promise<T | undefined> {
    try {
      return await this.call(operationOn('get', at), () => this.objects.read<T>(headerOf(at)));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Server-side apply as `fieldManager`; `force` takes over fields another manager set. */
  apply(object: WritableObject, fieldManager: string, force: boolean): Promise<KubernetesObject> {
    return this.call(operationOn('patch', coordinatesOf(object)), () =>
      this.objects.patch(
        object as KubernetesObject,
        undefined,
        undefined,
        fieldManager,
        force,
        this.applyPatch,
      ),
    );
  }

  /** Creates the object; resolves false when it already exists (someone else created it first). */
  async create(object: WritableObject, fieldManager: string): Promise<boolean> {
    try {
      await this.call(operationOn('create', coordinatesOf(object)), () =>
        this.objects.create(object as KubernetesObject, undefined, undefined, fieldManager),
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** Replaces the object at `metadata.resourceVersion`; resolves false on a conflict (it changed meanwhile). */
  async replace(object: WritableObject, fieldManager: string): Promise<boolean> {
    try {
      await this.call(operationOn('update', coordinatesOf(object)), () =>
        this.objects.replace(object as KubernetesObject, undefined, undefined, fieldManager),
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /**
   * Deletes the object in the background; gone already is fine. With `resourceVersion` only as it was read (a
   * changed one is left alone: CLUSTER_CONFLICT).
   */
  async delete(at: ObjectCoordinates, resourceVersion?: string): Promise<void> {
    try {
      await this.call(operationOn('delete', at), () =>
        this.objects.delete(
          headerOf(at),
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
          resourceVersion === undefined ? undefined : { preconditions: { resourceVersion } },
        ),
      );
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
  }

  /** A JSON patch (RFC 6902) of a cluster-scoped custom object. */
  async jsonPatchClusterObject(
    at: ObjectCoordinates & { readonly plural: string },
    operations: readonly object[],
  ): Promise<void> {
    const [group, version] = at.apiVersion.split('/');
    await this.call(operationOn('patch', at), async () => {
      await this.customObjects.patchClusterCustomObject(
        { group: group ?? '', version: version ?? '', plural: at.plural, name: at.name, body: operations },
        this.jsonPatch,
      );
    });
  }
}
