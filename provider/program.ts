/** The `signet` command line: one commander program, each command registered from `commands/`. */
import { Command } from 'commander';
import { addAssignCommand } from './commands/assign.js';
import { addAssignmentsCommand } from './commands/assignments.js';
import { addConfigCommand } from './commands/config.js';
import { addImportCommand } from './commands/import.js';
import { addProviderResourceCommand } from './commands/provider-resource.js';
import { addReportCommand } from './commands/report.js';
import { addServeCommand } from './commands/serve.js';
import { addUnassignCommand } from './commands/unassign.js';
import { addVerifyCommand } from './commands/verify.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('signet')
    .description(
      'Gatekeeper external-data provider that verifies container image signatures (drop-in for Ratify)',
    )
    .version(VERSION);
  addServeCommand(program);
  addVerifyCommand(program);
  addConfigCommand(program);
  addImportCommand(program);
  addProviderResourceCommand(program);
  addAssignCommand(program);
  addUnassignCommand(program);
  addAssignmentsCommand(program);
  addReportCommand(program);
  return program;
}
