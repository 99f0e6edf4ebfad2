// Makes a cluster hold exactly what one assignment renders (`signet assign`) or nothing of it (`signet unassign`):
// reads what the assignment has there, plans (apply-plan.ts), applies ConstraintTemplates first, waits for their
// constraint CRDs, applies the constraints, waits until Gatekeeper enforces them, then prunes.
import { SignetError } from '../../errors.js';
import {
  fieldManagerOf,
  isTemplate,
  planAssignment,
  type ClusterObject,
  type PruneStep,
} from './apply-plan.js';
import { toAssignmentRecord } from './assignment-record.js';
import { DEFAULT_RECORD_NAMESPACE } from './record-namespace.js';
import {
  CONSTRAINT_API_VERSION,
  TEMPLATE_API_VERSION,
  toClusterObject,
  type AssignmentCluster,
} from './cluster.js';
import {
  ASSIGNMENT_LABEL,
  claimLabel,
  type KubernetesObject,
  type RenderedAssignment,
} from './render-assignment.js';

export interface SyncRequest {
  readonly assignment: string;
  /** What to hold: the rendered assignment and its initiative; undefined to remove everything (unassign). */
  readonly desired?: {
    readonly rendered: RenderedAssignment;
    readonly initiative: { readonly name: string; readonly version: string };
  };
  readonly recordNamespace?: string;
  /** When the waits for Gatekeeper give up (epoch ms). */
  readonly deadline: number;
  /** One line per object changed, as kubectl prints them. */
  readonly report: (line: string) => void;
}

function displayName(object: { apiVersion: string; kind: string; name: string }): string {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  const kind = object.kind.toLowerCase();
  return `${group === '' ? kind : `${kind}.${group}`}/${object.name}`;
}

function displayObject(object: KubernetesObject): string {
  return displayName({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name });
}

/** Objects claimed by the assignment, the desired ones that exist, and foreign constraints per stale template. */
async function readCurrent(
  cluster: AssignmentCluster,
  assignment: string,
  desired: readonly KubernetesObject[],
  recordNamespace: string,
) {
  const manager = fieldManagerOf(assignment);
  const selector = claimLabel(assignment);
  const kinds = await cluster.constraintKinds();
  const [templates, records, ...constraintLists] = await Promise.all([
    cluster.list(TEMPLATE_API_VERSION, 'ConstraintTemplate', { labelSelector: selector }),
    cluster.list('v1', 'ConfigMap', { namespace: recordNamespace, labelSelector: selector }),
    ...kinds.map((kind) => cluster.list(CONSTRAINT_API_VERSION, kind, { labelSelector: selector })),
  ]);
  const current: ClusterObject[] = [
    ...templates.map((item) => toClusterObject(item, manager, TEMPLATE_API_VERSION, 'ConstraintTemplate')),
    ...records.map((item) => toClusterObject(item, manager, 'v1', 'ConfigMap')),
    ...constraintLists.flatMap((items, index) =>
      items.map((item) => toClusterObject(item, manager, CONSTRAINT_API_VERSION, kinds[index] ?? '')),
    ),
  ];
  const known = new Set(current.map((object) => `${object.kind}/${object.namespace ?? ''}/${object.name}`));
  // Desired constraints and records not claimed yet may still exist (made by hand, or by another assignment).
  const unclaimed = desired.filter(
    (object) =>
      !isTemplate(object) &&
      !known.has(
        `${object.kind}/${typeof object.metadata.namespace === 'string' ? object.metadata.namespace : ''}/${object.metadata.name}`,
      ),
  );
  for (const object of unclaimed) {
    const found = await cluster.read(object);
    if (found !== undefined) current.push(toClusterObject(found, manager, object.apiVersion, object.kind));
  }
  const desiredTemplates = new Set(desired.filter(isTemplate).map((object) => object.metadata.name));
  const foreignConstraints = new Map<string, number>();
  for (const template of current.filter(
    (object) => isTemplate(object) && !desiredTemplates.has(object.name),
  )) {
    const kind = template.constraintKind;
    if (kind === undefined || !kinds.includes(kind)) continue;
    const all = await cluster.list(CONSTRAINT_API_VERSION, kind);
    foreignConstraints.set(
      kind,
      all.filter((item) => item.metadata?.labels?.[ASSIGNMENT_LABEL] !== assignment).length,
    );
  }
  return { current, foreignConstraints };
}

async function prune(
  cluster: AssignmentCluster,
  assignment: string,
  steps: readonly PruneStep[],
  report: (line: string) => void,
) {
  for (const step of steps) {
    const name = displayName(step.object);
    switch (step.$case) {
      case 'delete':
        await cluster.delete(step.object);
        report(`${name} deleted`);
        break;
      case 'release':
        await cluster.dropClaim(step.object, claimLabel(assignment), fieldManagerOf(assignment));
        report(`${name} kept (${step.keptBecause}); released by ${assignment}`);
        break;
    }
  }
}

/** Returns false when the assignment had nothing in the cluster to remove (unassign of an unknown name). */
export async function syncAssignment(cluster: AssignmentCluster, request: SyncRequest): Promise<boolean> {
  const { assignment, report } = request;
  const recordNamespace = request.recordNamespace ?? DEFAULT_RECORD_NAMESPACE;
  await cluster.requireGatekeeper();
  const desired =
    request.desired === undefined
      ? []
      : [
          ...request.desired.rendered.objects,
          toAssignmentRecord(
            assignment,
            request.desired.initiative,
            request.desired.rendered,
            recordNamespace,
          ),
        ];
  const { current, foreignConstraints } = await readCurrent(cluster, assignment, desired, recordNamespace);
  if (request.desired === undefined && current.length === 0) return false;
  const outcome = planAssignment({ assignment, desired, current, foreignConstraints });
  if (outcome.$case === 'conflict') {
    throw new SignetError('CLUSTER_CONFLICT', {
      stage: 'config',
      reason: outcome.conflicts
        .map(
          ({ object, owner }) =>
            `${displayName(object)} exists and belongs to ${owner === undefined ? 'no signet assignment' : `assignment ${owner}`}, not ${assignment}`,
        )
        .join('; '),
    });
  }
  const { plan } = outcome;
  const manager = fieldManagerOf(assignment);
  // The record first: whatever happens next, the assignment can be listed and unassigned.
  for (const step of [...plan.records, ...plan.templates]) {
    await cluster.apply(step.object, manager, step.force);
    report(`${displayObject(step.object)} serverside-applied`);
  }
  for (const step of plan.templates) await cluster.waitForConstraintKind(step.object, request.deadline);
  for (const step of plan.constraints) {
    await cluster.apply(step.object, manager, step.force);
    report(`${displayObject(step.object)} serverside-applied`);
  }
  for (const step of plan.constraints) await cluster.waitForEnforced(step.object, request.deadline);
  await prune(cluster, assignment, plan.prune, report);
  return true;
}
