// The cluster side of `signet assign` / `unassign` / `assignments`: server-side apply through
// @kubernetes/client-node (loaded only by these commands: ~50 MiB resident the others never need), Kubernetes
// errors turned into SignetErrors naming the verb and resource, and bounded waits for Gatekeeper.
import type {
  ConfigurationOptions,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObject as ClientObject,
  KubernetesObjectApi,
  V1ManagedFieldsEntry,
} from '@kubernetes/client-node';
import { setTimeout as delay } from 'node:timers/promises';
import { SignetError } from '../../errors.js';
import { templateKindOf, type ClusterObject } from './apply-plan.js';
import type { KubernetesObject } from './render-assignment.js';

export const TEMPLATE_API_VERSION = 'templates.gatekeeper.sh/v1';
export const CONSTRAINT_GROUP = 'constraints.gatekeeper.sh';
export const CONSTRAINT_API_VERSION = `${CONSTRAINT_GROUP}/v1beta1`;
const TEMPLATE_GROUP = 'templates.gatekeeper.sh';
/** Objects read per list page, and pages per listing: an assignment has a handful of objects. */
const PAGE_SIZE = 250;
const MAX_PAGES = 20;
/** Constraint kinds looked at (one per ConstraintTemplate in the cluster). */
const MAX_CONSTRAINT_KINDS = 500;
const POLL_INTERVAL_MS = 250;

export interface ClusterOptions {
  /** A kubeconfig file; default as kubectl: $KUBECONFIG, ~/.kube/config, then the pod's service account. */
  readonly kubeconfig?: string;
  /** Bound on every single API call. */
  readonly requestTimeoutMs: number;
}

/** What a Gatekeeper constraint reports about itself. */
export interface ConstraintState {
  readonly kind: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly enforcementAction: string | undefined;
  readonly totalViolations: number | undefined;
  readonly auditTimestamp: string | undefined;
}

/** One API operation, for error messages: `list constrainttemplates.templates.gatekeeper.sh`. */
interface Operation {
  readonly verb: 'get' | 'list' | 'patch' | 'delete';
  readonly resource: string;
  readonly name?: string;
  readonly namespace?: string;
}

function describeOperation(operation: Operation): string {
  const target = operation.name === undefined ? '' : ` ${operation.name}`;
  const where = operation.namespace === undefined ? '' : ` in namespace ${operation.namespace}`;
  return `${operation.verb} ${operation.resource}${target}${where}`;
}

function resourceOf(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const plural =
    kind === 'ConfigMap' ? 'configmaps' : `${kind.toLowerCase()}${kind === 'ConstraintTemplate' ? 's' : ''}`;
  return group === '' ? plural : `${plural}.${group}`;
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

export function isNotFound(error: unknown): boolean {
  return httpStatusOf(error) === 404;
}

export class AssignmentCluster {
  private constructor(
    /** The loaded kubeconfig, for other clients of the same command (the compliance report's). */
    readonly kubeConfig: KubeConfig,
    /** The API server's URL, for messages. */
    readonly server: string,
    private readonly objects: KubernetesObjectApi,
    private readonly customObjects: CustomObjectsApi,
    private readonly discoverGroups: () => Promise<readonly string[]>,
    private readonly requestTimeoutMs: number,
    /** Request options sending a body as a JSON patch. */
    private readonly jsonPatch: ConfigurationOptions,
  ) {}

  static async connect(options: ClusterOptions): Promise<AssignmentCluster> {
    // Loaded here only, so `signet serve` with a config file and the other commands stay light.
    const client = await import('@kubernetes/client-node');
    const kubeConfig = new client.KubeConfig();
    try {
      if (options.kubeconfig === undefined) kubeConfig.loadFromDefault();
      else kubeConfig.loadFromFile(options.kubeconfig);
    } catch (error) {
      throw new SignetError('CONFIG_INVALID', {
        stage: 'config',
        remediation: 'Give a readable kubeconfig with --kubeconfig or $KUBECONFIG.',
        reason: `cannot load the kubeconfig${options.kubeconfig === undefined ? '' : ` ${options.kubeconfig}`}: ${(error as Error).message}`,
      });
    }
    const server = kubeConfig.getCurrentCluster()?.server;
    if (server === undefined || server === '')
      throw new SignetError('CONFIG_INVALID', {
        stage: 'config',
        remediation: 'Set a current context (kubectl config use-context) or give --kubeconfig.',
        reason: 'the kubeconfig names no cluster (no current context)',
      });
    const apis = kubeConfig.makeApiClient(client.ApisApi);
    return new AssignmentCluster(
      kubeConfig,
      server,
      client.KubernetesObjectApi.makeApiClient(kubeConfig),
      kubeConfig.makeApiClient(client.CustomObjectsApi),
      async () => (await apis.getAPIVersions()).groups.map((group) => group.name),
      options.requestTimeoutMs,
      client.setHeaderOptions('Content-Type', client.PatchStrategy.JsonPatch),
    );
  }

  /** One API call, bounded in time, its failure a SignetError naming what was attempted. */
  private async call<T>(operation: Operation, run: () => Promise<T>): Promise<T> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const timedOut = new Promise<never>((_, reject) => {
      timeout.addEventListener('abort', () =>
        reject(
          new SignetError('TIMEOUT', {
            stage: 'config',
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
    const status = httpStatusOf(error);
    const said = statusMessageOf(error);
    const what = describeOperation(operation);
    if (status === 401)
      return new SignetError('CLUSTER_FORBIDDEN', {
        stage: 'config',
        reason: `the Kubernetes API server ${this.server} refused the credentials (401) for ${what}`,
        remediation: 'Check the kubeconfig user (certificate, token or exec plugin) for this cluster.',
        cause: error,
      });
    if (status === 403)
      return new SignetError('CLUSTER_FORBIDDEN', {
        stage: 'config',
        reason: `RBAC forbids ${what}: ${said ?? 'forbidden'}`,
        details: { verb: operation.verb, resource: operation.resource },
        cause: error,
      });
    if (status === 404)
      return new SignetError('CONFIG_INVALID', {
        stage: 'config',
        reason: `${what}: ${said ?? 'not found'}`,
        remediation:
          'Create what the message names (e.g. the record namespace, or pass --record-namespace), then retry.',
        cause: error,
      });
    if (status === 409)
      return new SignetError('CLUSTER_CONFLICT', {
        stage: 'config',
        reason: `${what} conflicts: ${said ?? 'conflict'}`,
        cause: error,
      });
    if (status !== undefined)
      return new SignetError('CLUSTER_UNREACHABLE', {
        stage: 'config',
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
      stage: 'config',
      reason: `cannot reach the Kubernetes API server ${this.server} (${what}): ${network ?? (error instanceof Error ? error.message : String(error))}`,
      cause: error,
    });
  }

  /** Fails with GATEKEEPER_NOT_INSTALLED when the API server serves no ConstraintTemplate kind. */
  async requireGatekeeper(): Promise<void> {
    const groups = await this.call({ verb: 'get', resource: '/apis (discovery)' }, this.discoverGroups);
    if (!groups.includes(TEMPLATE_GROUP))
      throw new SignetError('GATEKEEPER_NOT_INSTALLED', {
        stage: 'config',
        reason: `the cluster at ${this.server} has no ConstraintTemplate CRD (API group ${TEMPLATE_GROUP} is not served)`,
      });
  }

  /** Every object of `apiVersion`/`kind` matching `labelSelector`, page by page, bounded. */
  async list(
    apiVersion: string,
    kind: string,
    options: { readonly namespace?: string; readonly labelSelector?: string } = {},
  ): Promise<ClientObject[]> {
    const items: ClientObject[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const listing = await this.call(
        {
          verb: 'list',
          resource: resourceOf(apiVersion, kind),
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
            PAGE_SIZE,
            token,
          ),
      );
      items.push(...listing.items);
      token = listing.metadata?._continue;
      if (token === undefined || token === '') return items;
    }
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'config',
      reason: `more than ${PAGE_SIZE * MAX_PAGES} ${resourceOf(apiVersion, kind)} match ${options.labelSelector ?? 'the listing'}`,
      remediation: 'Narrow the listing; an assignment should not have this many objects.',
    });
  }

  /** The object, or undefined when it does not exist. */
  async read<T extends ClientObject = ClientObject>(object: KubernetesObject): Promise<T | undefined> {
    const namespace = typeof object.metadata.namespace === 'string' ? object.metadata.namespace : undefined;
    try {
      return await this.call(
        {
          verb: 'get',
          resource: resourceOf(object.apiVersion, object.kind),
          name: object.metadata.name,
          ...(namespace === undefined ? {} : { namespace }),
        },
        () =>
          this.objects.read<T>({
            apiVersion: object.apiVersion,
            kind: object.kind,
            metadata: { name: object.metadata.name, ...(namespace === undefined ? {} : { namespace }) },
          }),
      );
    } catch (error) {
      if (error instanceof SignetError && isNotFound(error.cause)) return undefined;
      throw error;
    }
  }

  /** The constraint kinds Gatekeeper serves now (one per established ConstraintTemplate). */
  async constraintKinds(): Promise<string[]> {
    let resources: { name: string; kind: string }[];
    try {
      resources = (
        await this.call({ verb: 'get', resource: `/apis/${CONSTRAINT_API_VERSION} (discovery)` }, () =>
          this.customObjects.getAPIResources({ group: CONSTRAINT_GROUP, version: 'v1beta1' }),
        )
      ).resources;
    } catch (error) {
      // No ConstraintTemplate has been created yet: the group does not exist.
      if (error instanceof SignetError && isNotFound(error.cause)) return [];
      throw error;
    }
    const kinds = resources
      .filter((resource) => !resource.name.includes('/'))
      .map((resource) => resource.kind);
    if (kinds.length > MAX_CONSTRAINT_KINDS)
      throw new SignetError('LIMIT_EXCEEDED', {
        stage: 'config',
        reason: `the cluster serves ${kinds.length} constraint kinds, more than ${MAX_CONSTRAINT_KINDS}`,
      });
    return kinds;
  }

  /** Server-side apply as `fieldManager`. */
  async apply(object: KubernetesObject, fieldManager: string, force: boolean): Promise<ClientObject> {
    return this.call(
      { verb: 'patch', resource: resourceOf(object.apiVersion, object.kind), name: object.metadata.name },
      () =>
        this.objects.patch(
          object as unknown as ClientObject,
          undefined,
          undefined,
          fieldManager,
          force,
          'application/apply-patch+yaml',
        ),
    );
  }

  /**
   * Deletes the object; gone already is fine. A ConstraintTemplate only as it was read (a changed one — another
   * assignment claiming it meanwhile — is left alone: HTTP 409); constraints change status with every audit.
   */
  async delete(object: ClusterObject): Promise<void> {
    const target = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: {
        name: object.name,
        ...(object.namespace === undefined ? {} : { namespace: object.namespace }),
      },
    };
    try {
      await this.call(
        {
          verb: 'delete',
          resource: resourceOf(object.apiVersion, object.kind),
          name: object.name,
          ...(object.namespace === undefined ? {} : { namespace: object.namespace }),
        },
        () =>
          this.objects.delete(
            target,
            undefined,
            undefined,
            undefined,
            undefined,
            'Background',
            object.kind === 'ConstraintTemplate'
              ? { preconditions: { resourceVersion: object.resourceVersion } }
              : undefined,
          ),
      );
    } catch (error) {
      if (error instanceof SignetError && isNotFound(error.cause)) return;
      throw error;
    }
  }

  /**
   * Takes `fieldManager`'s claim off a ConstraintTemplate that something else keeps using: its claim label and its
   * managedFields entry go, every field stays as it is (a JSON patch, guarded by the resourceVersion read).
   */
  async dropClaim(template: ClusterObject, claim: string, fieldManager: string): Promise<void> {
    const current = await this.read({
      apiVersion: template.apiVersion,
      kind: template.kind,
      metadata: { name: template.name, labels: {}, annotations: {} },
    });
    if (current === undefined) return;
    const managed = current.metadata?.managedFields ?? [];
    const operations: object[] = [
      { op: 'test', path: '/metadata/resourceVersion', value: current.metadata?.resourceVersion },
    ];
    if (Object.hasOwn(current.metadata?.labels ?? {}, claim))
      operations.push({
        op: 'remove',
        path: `/metadata/labels/${claim.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      });
    const kept = managed.filter((entry: V1ManagedFieldsEntry) => entry.manager !== fieldManager);
    // An empty list would make the API server keep the old entries; only write it when something remains.
    if (kept.length !== managed.length && kept.length > 0)
      operations.push({ op: 'replace', path: '/metadata/managedFields', value: kept });
    if (operations.length === 1) return;
    const [group, version] = template.apiVersion.split('/');
    await this.call(
      { verb: 'patch', resource: resourceOf(template.apiVersion, template.kind), name: template.name },
      async () => {
        await this.customObjects.patchClusterCustomObject(
          {
            group: group ?? '',
            version: version ?? '',
            plural: 'constrainttemplates',
            name: template.name,
            body: operations,
          },
          this.jsonPatch,
        );
      },
    );
  }

  /**
   * Waits until the API server serves the constraint kind of `template` (Gatekeeper created and established its
   * CRD); fails at once when Gatekeeper reports the template broken, and at `deadline` naming what it saw.
   */
  async waitForConstraintKind(template: KubernetesObject, deadline: number): Promise<void> {
    const kind = templateKindOf(template);
    if (kind === undefined) return;
    for (;;) {
      const [kinds, current] = await Promise.all([this.constraintKinds(), this.read(template)]);
      const errors = templateErrors(current);
      if (errors.length > 0)
        throw new SignetError('CONFIG_INVALID', {
          stage: 'config',
          reason: `Gatekeeper rejects ConstraintTemplate ${template.metadata.name}: ${errors.join('; ')}`,
          remediation: 'Fix the template (templates/<name>/src.rego) or upgrade Gatekeeper to 3.19 or later.',
        });
      if (kinds.includes(kind)) return;
      if (Date.now() >= deadline)
        throw new SignetError('TIMEOUT', {
          stage: 'config',
          reason: `Gatekeeper did not create the CRD of constraint kind ${kind} (ConstraintTemplate ${template.metadata.name}) in time; template status: ${JSON.stringify((current as { status?: unknown } | undefined)?.status ?? {})}`,
          remediation:
            'Check that Gatekeeper is running (its controller creates the CRDs), or raise --timeout.',
        });
      await delay(POLL_INTERVAL_MS);
    }
  }

  /** Waits until every Gatekeeper pod reporting on `constraint` enforces its current generation. */
  async waitForEnforced(constraint: KubernetesObject, deadline: number): Promise<void> {
    for (;;) {
      const current = await this.read<ConstraintWithStatus>(constraint);
      const generation = current?.metadata?.generation;
      const pods = current?.status?.byPod ?? [];
      if (
        pods.length > 0 &&
        pods.every((pod) => pod.enforced === true && pod.observedGeneration === generation)
      )
        return;
      if (Date.now() >= deadline)
        throw new SignetError('TIMEOUT', {
          stage: 'config',
          reason: `Gatekeeper does not enforce ${constraint.kind} ${constraint.metadata.name} generation ${generation ?? '?'} in time; byPod: ${JSON.stringify(pods)}`,
          remediation: 'Check that Gatekeeper is running, or raise --timeout.',
        });
      await delay(POLL_INTERVAL_MS);
    }
  }

  /** Every constraint of `kinds` matching `labelSelector`, with what Gatekeeper's audit reports on it. */
  async constraintStates(kinds: readonly string[], labelSelector: string): Promise<ConstraintState[]> {
    const lists = await Promise.all(
      kinds.map(async (kind) =>
        (await this.list(CONSTRAINT_API_VERSION, kind, { labelSelector })).map((item) => ({ kind, item })),
      ),
    );
    return lists.flat().map(({ kind, item }) => {
      const spec = (item as { spec?: { enforcementAction?: unknown } }).spec;
      const status = (item as { status?: { totalViolations?: unknown; auditTimestamp?: unknown } }).status;
      return {
        kind,
        name: item.metadata?.name ?? '',
        labels: item.metadata?.labels ?? {},
        annotations: item.metadata?.annotations ?? {},
        enforcementAction: typeof spec?.enforcementAction === 'string' ? spec.enforcementAction : undefined,
        totalViolations: typeof status?.totalViolations === 'number' ? status.totalViolations : undefined,
        auditTimestamp: typeof status?.auditTimestamp === 'string' ? status.auditTimestamp : undefined,
      };
    });
  }
}

type ConstraintWithStatus = ClientObject & { readonly status?: { readonly byPod?: readonly PodStatus[] } };

interface PodStatus {
  readonly enforced?: boolean;
  readonly observedGeneration?: number;
  readonly errors?: readonly { readonly message?: string }[];
}

function templateErrors(template: ClientObject | undefined): string[] {
  const pods = (template as { status?: { byPod?: readonly PodStatus[] } } | undefined)?.status?.byPod ?? [];
  return pods.flatMap((pod) => (pod.errors ?? []).map((error) => error.message ?? JSON.stringify(error)));
}

/**
 * The plan's view of a listed object; `fieldManager` is this assignment's (not an "other" manager). List items of
 * built-in kinds carry no apiVersion and kind, so the listing's are given.
 */
export function toClusterObject(
  object: ClientObject,
  fieldManager: string,
  apiVersion: string,
  kind: string,
): ClusterObject {
  const managers = (object.metadata?.managedFields ?? [])
    .filter((entry) => entry.manager !== fieldManager && entry.subresource !== 'status')
    .map((entry) => entry.manager ?? '(unnamed)');
  const constraintKind = kind === 'ConstraintTemplate' ? templateKindOf(object) : undefined;
  return {
    apiVersion,
    kind,
    name: object.metadata?.name ?? '',
    ...(object.metadata?.namespace === undefined ? {} : { namespace: object.metadata.namespace }),
    labels: object.metadata?.labels ?? {},
    resourceVersion: object.metadata?.resourceVersion ?? '',
    otherManagers: [...new Set(managers)].sort(),
    ...(constraintKind === undefined ? {} : { constraintKind }),
  };
}
