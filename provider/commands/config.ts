// `signet config validate <files...>`: the provider's configuration checks, offline.
import { Command } from 'commander';
import { createSnapshot, describeConfigFile, loadConfigFile } from '../config/index.js';
import { toSignetError } from '../errors.js';
import { verifierProblems } from '../runtime.js';

export async function validateCommand(files: string[]): Promise<void> {
  let failed = false;
  for (const file of files) {
    try {
      const snapshot = createSnapshot(await loadConfigFile(file), {
        generation: 1,
        source: describeConfigFile(file),
      });
      const problems = await verifierProblems(snapshot);
      if (problems.length > 0) {
        failed = true;
        process.stdout.write(
          `${file}: loads, but verification will fail:\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
        );
        continue;
      }
      process.stdout.write(`${file}: valid\n`);
    } catch (error) {
      failed = true;
      process.stdout.write(`${file}: ${toSignetError(error, 'config').message}\n`);
    }
  }
  if (failed) process.exitCode = 1;
}

export function addConfigCommand(program: Command): void {
  const config = program.command('config').description('configuration tools');
  config
    .command('validate')
    .description('validate Ratify resource files offline with the messages the provider logs')
    .argument('<files...>', 'YAML files')
    .action((files: string[]) => validateCommand(files));
}
