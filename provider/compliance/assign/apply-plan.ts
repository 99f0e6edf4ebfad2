// What `signet assign` / `signet unassign` change in a cluster, decided from what is there: pure, so the
// ownership rules are unit-tested without a cluster. The cluster side (provider/compliance/assign/cluster.ts)
// lists the objects, runs the plan and waits for Gatekeeper.
//
// Ownership: a Constraint (and the assignment's record) belongs to exactly one assignment (label
// `signet.dev/assignment=<name>`). A ConstraintTemplate may serve several: each assignment that applies it adds its
// own claim label `assignment.signet.dev/<name>` with its own field manager, so two assignments co-own the
// template's fields. An assignment that no longer renders a template releases its claim (its field manager applies
// nothing, which drops its label and the fields nobody else owns); the template is deleted only when nothing else
// holds it: no other assignment's claim, no other field manager (kubectl, Helm) and no constraint of its kind that
// is not this assignment's — deleting a template deletes its CRD and with it every constraint of that kind.
import {
  ASSIGNMENT_LABEL as OWNER_LABEL,
  CLAIM_LABEL_PREFIX,
  claimLabel,
  type KubernetesObject,
} from './render-assignment.js';

/** The server-side apply field manager of one assignment (its claims are its own, never another's). */
export function fieldManagerOf(assignment: string): string {
  return `signet-assign/${assignment}`;
}

/** An object as found in the cluster: what the plan needs of it. */
export interface ClusterObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly resourceVersion: string;
  /** Field managers other than this assignment's that own fields outside `status` (kubectl, Helm, …). */
  readonly otherManagers: readonly string[];
  /** For a ConstraintTemplate: the constraint kind it defines. */
  readonly constraintKind?: string;
}

export interface PlanInput {
  readonly assignment: string;
  /** What the assignment renders now (templates, constraints, its record); empty to unassign. */
  readonly desired: readonly KubernetesObject[];
  /** Objects carrying this assignment's claim label, and the desired objects that already exist. */
  readonly current: readonly ClusterObject[];
  /** Per constraint kind of a current template: how many constraints of that kind are not this assignment's. */
  readonly foreignConstraints: ReadonlyMap<string, number>;
}

export interface ApplyStep {
  readonly object: KubernetesObject;
  /** Forced where the object is this assignment's alone; templates are shared, so conflicts there surface. */
  readonly force: boolean;
}

export type PruneStep =
  | { readonly $case: 'delete'; readonly object: ClusterObject }
  | { readonly $case: 'release'; readonly object: ClusterObject; readonly keptBecause: string };

export interface ApplyPlan {
  readonly templates: readonly ApplyStep[];
  readonly constraints: readonly ApplyStep[];
  readonly records: readonly ApplyStep[];
  /**
   * Constraints, then templates (a template's deletion takes its constraints with it), then the record, so the
   * assignment stays listed until its last object is gone.
   */
  readonly prune: readonly PruneStep[];
}

/** A desired object is in the way: it exists and belongs to something other than this assignment. */
export interface PlanConflict {
  readonly object: ClusterObject;
  readonly owner: string | undefined;
}

export type PlanOutcome =
  | { readonly $case: 'plan'; readonly plan: ApplyPlan }
  | { readonly $case: 'conflict'; readonly conflicts: readonly PlanConflict[] };

function keyOf(object: { apiVersion: string; kind: string; namespace?: string; name: string }): string {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  return `${group}/${object.kind}/${object.namespace ?? ''}/${object.name}`;
}

function desiredKey(object: KubernetesObject): string {
  const namespace = object.metadata.namespace;
  return keyOf({
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(typeof namespace === 'string' ? { namespace } : {}),
  });
}

export function isTemplate(object: { readonly kind: string }): boolean {
  return object.kind === 'ConstraintTemplate';
}

/** The constraint kind a ConstraintTemplate object defines (`spec.crd.spec.names.kind`). */
export function templateKindOf(template: object): string | undefined {
  const spec = (template as { spec?: unknown }).spec as
    { crd?: { spec?: { names?: { kind?: unknown } } } } | undefined;
  const kind = spec?.crd?.spec?.names?.kind;
  return typeof kind === 'string' ? kind : undefined;
}

/** Why a template that this assignment no longer renders must stay, or undefined when it may be deleted. */
function reasonToKeep(template: ClusterObject, input: PlanInput): string | undefined {
  const others = Object.keys(template.labels)
    .filter((label) => label.startsWith(CLAIM_LABEL_PREFIX) && label !== claimLabel(input.assignment))
    .map((label) => label.slice(CLAIM_LABEL_PREFIX.length))
    .sort();
  if (others.length > 0) return `assignment ${others.join(', ')} uses it`;
  if (template.otherManagers.length > 0) return `it is also managed by ${template.otherManagers.join(', ')}`;
  const kind = template.constraintKind;
  const foreign = kind === undefined ? 0 : (input.foreignConstraints.get(kind) ?? 0);
  if (foreign > 0) return `${foreign} ${kind ?? ''} constraint(s) of other owners depend on it`;
  return undefined;
}

/**
 * The plan that makes the cluster hold exactly `desired` for this assignment: apply every desired object, prune
 * every object carrying this assignment's claim that is no longer desired. A desired constraint or record that
 * exists with another owner (or none) is a conflict: signet never takes over what it did not create.
 */
export function planAssignment(input: PlanInput): PlanOutcome {
  const current = new Map(input.current.map((object) => [keyOf(object), object]));
  const desiredKeys = new Set(input.desired.map(desiredKey));
  const conflicts: PlanConflict[] = [];
  const templates: ApplyStep[] = [];
  const constraints: ApplyStep[] = [];
  const records: ApplyStep[] = [];
  for (const object of input.desired) {
    if (isTemplate(object)) {
      templates.push({ object, force: false });
      continue;
    }
    const existing = current.get(desiredKey(object));
    const owner = existing?.labels[OWNER_LABEL];
    if (existing !== undefined && owner !== input.assignment) conflicts.push({ object: existing, owner });
    (object.kind === 'ConfigMap' ? records : constraints).push({ object, force: true });
  }
  if (conflicts.length > 0) return { $case: 'conflict', conflicts };

  const claim = claimLabel(input.assignment);
  const stale = input.current.filter(
    (object) => Object.hasOwn(object.labels, claim) && !desiredKeys.has(keyOf(object)),
  );
  const prune: PruneStep[] = [];
  const isRecord = (object: ClusterObject) => object.kind === 'ConfigMap';
  for (const object of stale.filter((candidate) => !isTemplate(candidate) && !isRecord(candidate)))
    prune.push(
      object.labels[OWNER_LABEL] === input.assignment
        ? { $case: 'delete', object }
        : {
            $case: 'release',
            object,
            keptBecause: `it is labelled for ${object.labels[OWNER_LABEL] ?? 'no assignment'}`,
          },
    );
  for (const object of stale.filter(isTemplate)) {
    const keptBecause = reasonToKeep(object, input);
    prune.push(
      keptBecause === undefined ? { $case: 'delete', object } : { $case: 'release', object, keptBecause },
    );
  }
  for (const object of stale.filter(isRecord)) prune.push({ $case: 'delete', object });
  return { $case: 'plan', plan: { templates, constraints, records, prune } };
}
