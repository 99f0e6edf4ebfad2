// Reads what a report needs from the cluster (the assignments' constraints with their audit status, then every
// workload of the kinds they match), asks signet for the images the audit cannot settle, and computes the report.
import { SignetError } from '../../errors.js';
import { ASSIGNMENT_LABEL } from '../assign/index.js';
import { isNotFound } from '../kubernetes-api.js';
import type { ClusterClient } from './cluster.js';
import { computeReport, keysToEvaluate } from './compute-report.js';
import { parseConstraint, type AssignedConstraint } from './constraints.js';
import type { KeyAnswer } from './provider-answer.js';
import type { KeyEvaluator } from './provider-client.js';
import type { ComplianceReport, EvaluationMode } from './report.types.js';
import { matchedWorkloadKinds, type ListedObject, type WorkloadKind } from './scope.js';

export interface BuildReportOptions {
  readonly assignment?: string;
  readonly mode: EvaluationMode;
  readonly staleAfterSeconds: number;
  /** Asks the provider; without one, images the audit cannot settle stay Unknown. */
  readonly evaluate?: KeyEvaluator;
  readonly now?: () => Date;
}

/** The constraints labelled with the assignment (any assignment when none is given), of every template's kind. */
export async function readAssignedConstraints(
  client: ClusterClient,
  assignment?: string,
): Promise<AssignedConstraint[]> {
  const templates = await client.list('templates.gatekeeper.sh/v1', 'ConstraintTemplate');
  const kinds = new Set(
    templates.flatMap((template) => {
      const kind = (template.spec as { crd?: { spec?: { names?: { kind?: unknown } } } } | undefined)?.crd
        ?.spec?.names?.kind;
      return typeof kind === 'string' ? [kind] : [];
    }),
  );
  const labelSelector = assignment === undefined ? ASSIGNMENT_LABEL : `${ASSIGNMENT_LABEL}=${assignment}`;
  const constraints: AssignedConstraint[] = [];
  for (const kind of [...kinds].sort()) {
    let listed: ListedObject[];
    try {
      listed = await client.list('constraints.gatekeeper.sh/v1beta1', kind, { labelSelector });
    } catch (error) {
      // A template whose constraint CRD Gatekeeper has not created (yet) has no constraints.
      if (isNotFound(error)) continue;
      throw error;
    }
    constraints.push(...listed.map(parseConstraint));
  }
  return constraints;
}

/** Namespaces to list in, or undefined for cluster-wide (some constraint includes every or a wildcard namespace). */
function namespacesToList(constraints: readonly AssignedConstraint[]): string[] | undefined {
  const names = new Set<string>();
  for (const constraint of constraints) {
    const included = constraint.match.namespaces ?? [];
    if (included.length === 0 || included.some((pattern) => pattern.includes('*'))) return undefined;
    for (const namespace of included) names.add(namespace);
  }
  return [...names].sort();
}

/** Every workload of the kinds the constraints match, listed once per kind (per namespace when all name theirs). */
export async function readWorkloads(
  client: ClusterClient,
  constraints: readonly AssignedConstraint[],
): Promise<ListedObject[]> {
  const kinds = new Map<string, WorkloadKind>();
  for (const constraint of constraints)
    for (const kind of matchedWorkloadKinds(constraint.match)) kinds.set(kind.kind, kind);
  const namespaces = namespacesToList(constraints);
  const objects: ListedObject[] = [];
  for (const kind of kinds.values()) {
    const apiVersion = kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
    if (namespaces === undefined) objects.push(...(await client.list(apiVersion, kind.kind)));
    else
      for (const namespace of namespaces)
        objects.push(...(await client.list(apiVersion, kind.kind, { namespace })));
  }
  return objects;
}

/** The report for the assignment (or every assignment). */
export async function buildReport(
  client: ClusterClient,
  options: BuildReportOptions,
): Promise<ComplianceReport> {
  const constraints = await readAssignedConstraints(client, options.assignment);
  if (constraints.length === 0)
    throw new SignetError('CONFIG_INVALID', {
      stage: 'report',
      reason:
        options.assignment === undefined
          ? `no Gatekeeper constraint carries the ${ASSIGNMENT_LABEL} label`
          : `no Gatekeeper constraint is labelled ${ASSIGNMENT_LABEL}=${options.assignment}`,
      remediation: 'Assign an initiative first: signet assign <initiative> --name <assignment>.',
    });
  const objects = await readWorkloads(client, constraints);
  const input = {
    constraints,
    objects,
    now: (options.now ?? (() => new Date()))(),
    staleAfterSeconds: options.staleAfterSeconds,
    mode: options.mode,
    ...(options.assignment === undefined ? {} : { assignment: options.assignment }),
  };
  const keys = options.mode === 'never' ? [] : keysToEvaluate(input);
  const answers: Map<string, KeyAnswer> =
    keys.length > 0 && options.evaluate !== undefined
      ? await options.evaluate(keys)
      : new Map<string, KeyAnswer>();
  return computeReport({ ...input, answers });
}
