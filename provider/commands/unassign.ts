// `signet unassign <name>`: removes exactly what assignment <name> created (its constraints, its record, the
// ConstraintTemplates nothing else uses) and releases its claim on the templates others still use.
import type { Command } from 'commander';
import { SignetError } from '../errors.js';
import {
  connectCluster,
  loadAssignModule,
  withClusterOptions,
  type ClusterCommandOptions,
} from './assign.js';

export async function unassignCommand(name: string, options: ClusterCommandOptions): Promise<void> {
  const { syncAssignment } = await loadAssignModule();
  const found = await syncAssignment(await connectCluster(options), {
    assignment: name,
    recordNamespace: options.recordNamespace,
    deadline: Date.now() + options.timeout * 1000,
    report: (line) => process.stdout.write(`${line}\n`),
  });
  if (!found)
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: `no assignment ${name} in the cluster: nothing carries the label assignment.signet.dev/${name}`,
      remediation: 'List the assignments with `signet assignments`.',
    });
}

/** Registers `signet unassign` on the program. */
export function addUnassignCommand(program: Command): Command {
  const command = program
    .command('unassign')
    .description('remove an assignment: exactly the objects it created; templates other assignments use stay')
    .argument('<name>', 'assignment name (as given to signet assign --name)');
  return withClusterOptions(command).action((name: string, options: ClusterCommandOptions) =>
    unassignCommand(name, options),
  );
}
