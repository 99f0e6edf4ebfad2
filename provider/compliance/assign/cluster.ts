// The Gatekeeper side of `signet assign` / `unassign` / `assignments` on the shared Kubernetes client
// (provider/compliance/kubernetes-api.ts): Gatekeeper's presence, its constraint kinds and their audit status, the
// assignment's objects (a handful: bounded listings), claims on shared templates, and bounded waits for Gatekeeper.
import type { KubernetesObject as ClientObject, V1ManagedFieldsEntry } from '@kubernetes/client-node';
import { setTimeout as delay } from 'node:timers/promises';
import { SignetError } from '../../errors.js';
import { isNotFound, KubernetesApi } from '../kubernetes-api.js';
import { templateKindOf, type ClusterObject } from './apply-plan.js';
import type { KubernetesObject } from './render-assignment.js';

export const TEMPLATE_API_VERSION = 'templates.gatekeeper.sh/v1';
export const CONSTRAINT_GROUP = 'constraints.gatekeeper.sh';
export const CONSTRAINT_API_VERSION = `${CONSTRAINT_GROUP}/v1beta1`;
const TEMPLATE_GROUP = 'templates.gatekeeper.sh';
/** Objects one listing may return: an assignment has a handful of objects. */
const MAX_LISTED_OBJECTS = 5_000;
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

export class AssignmentCluster {
  private constructor(
    /** The Kubernetes client, for other parts of the same command (the compliance report's). */
    readonly api: KubernetesApi,
  ) {}

  static async connect(options: ClusterOptions): Promise<AssignmentCluster> {
    return new AssignmentCluster(await KubernetesApi.connect({ ...options, stage: 'config' }));
  }

  /** Fails with GATEKEEPER_NOT_INSTALLED when the API server serves no ConstraintTemplate kind. */
  async requireGatekeeper(): Promise<void> {
    const groups = await this.api.apiGroups();
    if (!groups.includes(TEMPLATE_GROUP))
      throw new SignetError('GATEKEEPER_NOT_INSTALLED', {
        stage: 'config',
        reason: `the cluster at ${this.api.server} has no ConstraintTemplate CRD (API group ${TEMPLATE_GROUP} is not served)`,
      });
  }

  /** Every object of `apiVersion`/`kind` matching `labelSelector` (all pages, bounded). */
  list(
    apiVersion: string,
    kind: string,
    options: { readonly namespace?: string; readonly labelSelector?: string } = {},
  ): Promise<ClientObject[]> {
    return this.api.list(apiVersion, kind, {
      ...options,
      maxObjects: MAX_LISTED_OBJECTS,
      remediation: 'Narrow the listing; an assignment should not have this many objects.',
    });
  }

  /** The object, or undefined when it does not exist. */
  read<T extends ClientObject = ClientObject>(object: KubernetesObject): Promise<T | undefined> {
    const namespace = typeof object.metadata.namespace === 'string' ? object.metadata.namespace : undefined;
    return this.api.read<T>({
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name,
      ...(namespace === undefined ? {} : { namespace }),
    });
  }

  /** The constraint kinds Gatekeeper serves now (one per established ConstraintTemplate). */
  async constraintKinds(): Promise<string[]> {
    let resources: { name: string; kind: string }[];
    try {
      resources = await this.api.apiResources(CONSTRAINT_GROUP, 'v1beta1');
    } catch (error) {
      // No ConstraintTemplate has been created yet: the group does not exist.
      if (isNotFound(error)) return [];
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
  apply(object: KubernetesObject, fieldManager: string, force: boolean): Promise<ClientObject> {
    return this.api.apply(object, fieldManager, force);
  }

  /**
   * Deletes the object; gone already is fine. A ConstraintTemplate only as it was read (a changed one — another
   * assignment claiming it meanwhile — is left alone: HTTP 409); constraints change status with every audit.
   */
  delete(object: ClusterObject): Promise<void> {
    return this.api.delete(
      {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.name,
        ...(object.namespace === undefined ? {} : { namespace: object.namespace }),
      },
      object.kind === 'ConstraintTemplate' ? object.resourceVersion : undefined,
    );
  }

  /**
   * Takes `fieldManager`'s claim off a ConstraintTemplate that something else keeps using: its claim label and its
   * managedFields entry go, every field stays as it is (a JSON patch, guarded by the resourceVersion read).
   */
  async dropClaim(template: ClusterObject, claim: string, fieldManager: string): Promise<void> {
    const current = await this.api.read({
      apiVersion: template.apiVersion,
      kind: template.kind,
      name: template.name,
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
    await this.api.jsonPatchClusterObject(
      {
        apiVersion: template.apiVersion,
        kind: template.kind,
        name: template.name,
        plural: 'constrainttemplates',
      },
      operations,
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
