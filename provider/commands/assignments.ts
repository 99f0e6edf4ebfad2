// `signet assignments [-o table|json]`: the assignments recorded in the cluster, each with its initiative,
// effects, parameters, Gatekeeper's audit counts on its constraints and its compliance summary, computed by
// `signet report`'s module from the audit alone (no provider call: `signet report` can also evaluate images).
import { Option, type Command } from 'commander';
import type { AssignmentCluster, AssignmentListing, ComplianceTally } from '../compliance/assign/index.js';
import {
  connectCluster,
  loadAssignModule,
  withClusterOptions,
  type ClusterCommandOptions,
} from './assign.js';

export interface AssignmentsOptions extends ClusterCommandOptions {
  readonly output: 'table' | 'json';
}

/** An audit older than this counts as stale in the report (signet report's default). */
const STALE_AFTER_SECONDS = 600;

/** Each assignment's compliance tally; empty when no assignment has a constraint (nothing to judge). */
async function complianceOf(
  cluster: AssignmentCluster,
  listing: AssignmentListing,
): Promise<Map<string, ComplianceTally>> {
  if (listing.assignments.every((assignment) => assignment.constraints.length === 0)) return new Map();
  const { buildReport, createClusterClient } = await import('../compliance/report/index.js');
  const report = await buildReport(createClusterClient(cluster.api), {
    mode: 'never',
    staleAfterSeconds: STALE_AFTER_SECONDS,
  });
  return new Map(report.byAssignment.map((summary) => [summary.assignment, summary]));
}

export async function assignmentsCommand(options: AssignmentsOptions): Promise<void> {
  const cluster = await connectCluster(options);
  const { listAssignments, toAssignmentTable } = await loadAssignModule();
  const listing = await listAssignments(cluster, options.recordNamespace);
  const compliance = await complianceOf(cluster, listing);
  for (const problem of listing.unreadable) process.stderr.write(`signet: ${problem}\n`);
  if (options.output === 'json') {
    const assignments = listing.assignments.map((assignment) => ({
      ...assignment,
      compliance: compliance.get(assignment.name) ?? null,
    }));
    process.stdout.write(`${JSON.stringify(assignments, null, 2)}\n`);
  } else {
    process.stdout.write(`${toAssignmentTable(listing, compliance)}\n`);
  }
}

/** Registers `signet assignments` on the program. */
export function addAssignmentsCommand(program: Command): Command {
  const command = program
    .command('assignments')
    .description('list the assignments in the cluster: initiative, effects, parameters and compliance')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    );
  return withClusterOptions(command).action((options: AssignmentsOptions) => assignmentsCommand(options));
}
