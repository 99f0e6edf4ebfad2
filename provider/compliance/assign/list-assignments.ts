// `signet assignments`: every assignment recorded in the cluster with its initiative, effects, parameters and
// what Gatekeeper's audit reports on its constraints; the command adds the compliance figures of `signet report`.
import { ASSIGNMENT_LABEL, REFERENCE_ANNOTATION } from './render-assignment.js';
import { parseAssignmentRecord, type AssignmentRecord } from './assignment-record.js';
import { DEFAULT_RECORD_NAMESPACE } from './record-namespace.js';
import type { AssignmentCluster, ConstraintState } from './cluster.js';

export interface ConstraintSummary {
  readonly kind: string;
  readonly name: string;
  readonly referenceId: string | undefined;
  readonly enforcementAction: string | undefined;
  /** Undefined until Gatekeeper's audit has run on the constraint. */
  readonly totalViolations: number | undefined;
  readonly auditTimestamp: string | undefined;
}

export interface AssignmentSummary extends AssignmentRecord {
  readonly constraints: readonly ConstraintSummary[];
  /** Sum of Gatekeeper's audit violation counts; undefined while any constraint has not been audited. */
  readonly totalViolations: number | undefined;
  /** The latest audit of its constraints. */
  readonly lastAudit: string | undefined;
}

export interface AssignmentListing {
  readonly assignments: readonly AssignmentSummary[];
  /** Record ConfigMaps that could not be read, with why. */
  readonly unreadable: readonly string[];
}

function summarize(record: AssignmentRecord, states: readonly ConstraintState[]): AssignmentSummary {
  const constraints = states
    .filter((state) => state.labels[ASSIGNMENT_LABEL] === record.name)
    .map((state) => ({
      kind: state.kind,
      name: state.name,
      referenceId: state.annotations[REFERENCE_ANNOTATION],
      enforcementAction: state.enforcementAction,
      totalViolations: state.totalViolations,
      auditTimestamp: state.auditTimestamp,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const audited =
    constraints.length > 0 && constraints.every((constraint) => constraint.totalViolations !== undefined);
  const totalViolations = audited
    ? constraints.reduce((sum, constraint) => sum + (constraint.totalViolations ?? 0), 0)
    : undefined;
  const lastAudit = constraints
    .flatMap((constraint) => (constraint.auditTimestamp === undefined ? [] : [constraint.auditTimestamp]))
    .sort()
    .at(-1);
  return { ...record, constraints, totalViolations, lastAudit };
}

export async function listAssignments(
  cluster: AssignmentCluster,
  recordNamespace: string = DEFAULT_RECORD_NAMESPACE,
): Promise<AssignmentListing> {
  await cluster.requireGatekeeper();
  const [records, kinds] = await Promise.all([
    cluster.list('v1', 'ConfigMap', { namespace: recordNamespace, labelSelector: ASSIGNMENT_LABEL }),
    cluster.constraintKinds(),
  ]);
  const states = await cluster.constraintStates(kinds, ASSIGNMENT_LABEL);
  const assignments: AssignmentSummary[] = [];
  const unreadable: string[] = [];
  for (const configMap of records) {
    const parsed = parseAssignmentRecord(configMap);
    if (typeof parsed === 'string') unreadable.push(parsed);
    else assignments.push(summarize(parsed, states));
  }
  assignments.sort((a, b) => a.name.localeCompare(b.name));
  return { assignments, unreadable };
}

/** The compliance figures of one assignment, from `signet report`'s module (provider/compliance/report). */
export interface ComplianceTally {
  readonly total: number;
  readonly compliant: number;
  readonly nonCompliant: number;
  readonly compliancePercent: number | null;
}

/** The listing as a fixed-width table, one row per assignment, with each assignment's compliance when known. */
export function toAssignmentTable(
  listing: AssignmentListing,
  compliance: ReadonlyMap<string, ComplianceTally>,
): string {
  const header = [
    'NAME',
    'INITIATIVE',
    'EFFECTS',
    'CONSTRAINTS',
    'VIOLATIONS',
    'LAST AUDIT',
    'RESOURCES',
    'COMPLIANCE',
    'PARAMETERS',
  ];
  const rows = listing.assignments.map((assignment) => {
    const tally = compliance.get(assignment.name);
    return [
      assignment.name,
      `${assignment.initiative}@${assignment.initiativeVersion}`,
      Object.entries(assignment.effects)
        .map(([reference, effect]) => `${reference}=${effect}`)
        .join(','),
      String(assignment.constraints.length),
      assignment.totalViolations === undefined ? '-' : String(assignment.totalViolations),
      assignment.lastAudit ?? '-',
      tally === undefined ? '-' : String(tally.total),
      tally?.compliancePercent === undefined || tally.compliancePercent === null
        ? '-'
        : `${tally.compliancePercent.toFixed(1)}%`,
      JSON.stringify(assignment.parameters),
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  '),
    )
    .join('\n');
}
