import { Command } from 'commander';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SignetError } from '../errors.js';

/**
 * `signet import kyverno`: notes go to stderr (and into the output as comments); exit 1 only when no trust
 * policy could be converted. With `-o dir` the configuration and the constraints are written as two files.
 */
export async function importKyvernoCommand(file: string, options: { output?: string }): Promise<void> {
  // Loaded when the command runs, so that `signet serve` does not carry the converter.
  const { MAX_KYVERNO_POLICY_BYTES, formatImportNote, importKyverno } = await import('../import/index.js');
  const size = (await stat(file)).size;
  if (size > MAX_KYVERNO_POLICY_BYTES) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: `${file} is larger than ${MAX_KYVERNO_POLICY_BYTES} bytes`,
    });
  }
  const result = importKyverno(await readFile(file, 'utf8'), basename(file));
  for (const note of result.conversion.notes) process.stderr.write(`${formatImportNote(note)}\n`);
  if (result.conversion.trustPolicies === 0) {
    process.stderr.write(
      `signet: nothing usable in ${file} could be converted (no verifyImages rule with a supported attestor)\n`,
    );
    process.exitCode = 1;
    return;
  }
  if (options.output === undefined) {
    process.stdout.write(`${result.configYaml}---\n${result.constraintsYaml}`);
    return;
  }
  await mkdir(options.output, { recursive: true });
  const configPath = join(options.output, 'signet-config.yaml');
  const constraintsPath = join(options.output, 'constraints.yaml');
  await writeFile(configPath, result.configYaml);
  await writeFile(constraintsPath, result.constraintsYaml);
  process.stdout.write(`${configPath}\n${constraintsPath}\n`);
}

export function addImportCommand(program: Command): void {
  program
    .command('import')
    .description('convert other admission policies into signet configuration and Gatekeeper constraints')
    .command('kyverno')
    .description(
      'convert Kyverno ClusterPolicy/Policy verifyImages rules; lists what cannot be converted; exit 1 when nothing converts',
    )
    .argument('<policy>', 'Kyverno policy YAML file')
    .option(
      '-o, --output <dir>',
      'write signet-config.yaml and constraints.yaml here (default: both to stdout)',
    )
    .action((policy: string, options: { output?: string }) => importKyvernoCommand(policy, options));
}
