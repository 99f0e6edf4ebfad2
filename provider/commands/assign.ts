// `signet assign <initiative> --name N [--param k=v …] [--namespaces a,b] [--dry-run -o yaml|json]`: renders the
// Gatekeeper objects an assignment of an Azure-Policy-style initiative creates (the ConstraintTemplates and one
// Constraint per member that is not Disabled) and applies them to the cluster by server-side apply, pruning what
// the assignment no longer renders (provider/compliance/assign/sync-assignment.ts); --dry-run prints them instead.
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { DEFAULT_RECORD_NAMESPACE } from '../compliance/assign/record-namespace.js';
import type { AssignmentCluster, InitiativeFile, KubernetesObject } from '../compliance/assign/index.js';
import type { Initiative } from '../compliance/initiatives/index.js';
import { SignetError } from '../errors.js';
import { integer } from './options.js';

/**
 * Where a bare initiative name is looked up: constraints/initiatives/ of the nearest directory above this module
 * that has one — the repository, whether signet runs from provider/ or from the bundle in dist/ — else of the
 * nearest one with a package.json (the install root, so a missing file is named where it was expected).
 */
function shippedInitiativesDir(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  let packageRoot: string | undefined;
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'constraints', 'initiatives');
    if (existsSync(candidate)) return candidate;
    packageRoot ??= existsSync(join(dir, 'package.json')) ? dir : undefined;
    if (dirname(dir) === dir) return join(packageRoot ?? start, 'constraints', 'initiatives');
  }
}
const MAX_INITIATIVE_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The assignment code (and its JSON Schema validator) is loaded when an assignment command runs, so that
 * `signet serve` does not carry it.
 */
export const loadAssignModule = () => import('../compliance/assign/index.js');

/** Options every command that talks to the cluster about assignments takes. */
export interface ClusterCommandOptions {
  readonly kubeconfig?: string;
  readonly recordNamespace: string;
  /** Seconds to wait for Gatekeeper (and for each API call). */
  readonly timeout: number;
}

export interface AssignOptions extends ClusterCommandOptions {
  readonly name: string;
  readonly param: readonly string[];
  readonly namespaces?: string;
  readonly definitions?: string;
  readonly dryRun: boolean;
  readonly output: 'yaml' | 'json';
}

/** Connects as kubectl would: --kubeconfig, else $KUBECONFIG, ~/.kube/config, the pod's service account. */
export async function connectCluster(options: ClusterCommandOptions): Promise<AssignmentCluster> {
  const { AssignmentCluster } = await loadAssignModule();
  return AssignmentCluster.connect({
    ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
    requestTimeoutMs: Math.min(options.timeout, 30) * 1000,
  });
}

/** Adds --kubeconfig, --record-namespace and --timeout to an assignment command. */
export function withClusterOptions(command: Command): Command {
  return command
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option(
      '--record-namespace <namespace>',
      'namespace of the assignment records (ConfigMaps signet-assignment-<name>)',
      DEFAULT_RECORD_NAMESPACE,
    )
    .option('--timeout <seconds>', 'how long to wait for Gatekeeper', integer(1, 3600), 120);
}

function invalid(reason: string, remediation?: string): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason,
    remediation:
      remediation ??
      'Give the path of a policy set definition JSON file or the name of a shipped initiative.',
  });
}

async function readJson(path: string): Promise<InitiativeFile> {
  let text: string;
  try {
    if ((await stat(path)).size > MAX_INITIATIVE_FILE_BYTES)
      throw invalid(`${path} is larger than ${MAX_INITIATIVE_FILE_BYTES} bytes`);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof SignetError) throw error;
    throw invalid(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return { source: path, json: JSON.parse(text) as unknown };
  } catch (error) {
    throw invalid(`${path} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * Loads a policy set definition (a path, or the name of one in constraints/initiatives/) and the member
 * definitions it references, each from `<definitions>/<name>.json` (default: definitions/ beside the set file).
 */
export async function loadInitiative(initiative: string, definitionsDir?: string): Promise<Initiative> {
  const path =
    initiative.endsWith('.json') || initiative.includes('/')
      ? initiative
      : join(shippedInitiativesDir(), `${initiative}.json`);
  const [{ parseInitiative }, { definitionNameOf }] = await Promise.all([
    loadAssignModule(),
    import('../compliance/initiatives/index.js'),
  ]);
  const setFile = await readJson(path);
  const references = (setFile.json as { properties?: { policyDefinitions?: unknown } } | null)?.properties
    ?.policyDefinitions;
  const names = new Set(
    (Array.isArray(references) ? references : []).flatMap((reference: unknown) => {
      const id = (reference as { policyDefinitionId?: unknown } | null)?.policyDefinitionId;
      const name = typeof id === 'string' ? definitionNameOf(id) : undefined;
      return name === undefined ? [] : [name];
    }),
  );
  const dir = definitionsDir ?? join(dirname(path), 'definitions');
  const definitionFiles = await Promise.all([...names].map((name) => readJson(join(dir, `${name}.json`))));
  return parseInitiative(setFile, definitionFiles);
}

/** A YAML multi-document stream; YAML 1.1 quoting so kubectl reads `on`, `yes` and friends as strings. */
export function toYamlStream(objects: readonly KubernetesObject[]): string {
  return objects
    .map((object) => stringify(object, { lineWidth: 0, blockQuote: 'literal', version: '1.1' }))
    .join('---\n');
}

export async function assignCommand(initiative: string, options: AssignOptions): Promise<void> {
  const loaded = await loadInitiative(initiative, options.definitions);
  const { renderAssignment, syncAssignment } = await loadAssignModule();
  const rendered = renderAssignment({
    initiative: loaded,
    name: options.name,
    parameters: options.param,
    ...(options.namespaces === undefined
      ? {}
      : {
          namespaces: options.namespaces
            .split(',')
            .map((namespace) => namespace.trim())
            .filter((namespace) => namespace !== ''),
        }),
  });
  for (const referenceId of rendered.disabled)
    process.stderr.write(`signet: ${referenceId} is Disabled: no constraint created\n`);
  if (!options.dryRun) {
    const started = Date.now();
    await syncAssignment(await connectCluster(options), {
      assignment: options.name,
      desired: {
        rendered,
        initiative: { name: loaded.setDefinition.name, version: loaded.setDefinition.properties.version },
      },
      recordNamespace: options.recordNamespace,
      deadline: started + options.timeout * 1000,
      report: (line) => process.stdout.write(`${line}\n`),
    });
    return;
  }
  if (options.output === 'json') {
    const list = { apiVersion: 'v1', kind: 'List', items: rendered.objects };
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  } else {
    process.stdout.write(toYamlStream(rendered.objects));
  }
}

/** Registers `signet assign` on the program. */
export function addAssignCommand(program: Command): Command {
  const command = program
    .command('assign')
    .description(
      'assign an Azure-Policy-style initiative: server-side apply its ConstraintTemplates and Constraints (Audit → dryrun, Deny → deny, Disabled → none), pruning what it no longer renders',
    )
    .argument(
      '<initiative>',
      'policy set definition JSON file, or the name of one in constraints/initiatives/',
    )
    .requiredOption(
      '--name <name>',
      'assignment name (a DNS label); every object gets the label assignment.signet.dev/<name>',
    )
    .option(
      '--param <name=value>',
      'initiative parameter; the value is JSON when it parses, else text (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--namespaces <a,b>', 'only these namespaces (the namespaces parameter)')
    .option(
      '--definitions <dir>',
      'member policy definitions directory (default: definitions/ beside the initiative)',
    )
    .option('--dry-run', 'print the objects instead of applying them', false)
    .addOption(
      new Option('-o, --output <format>', 'output format of --dry-run')
        .choices(['yaml', 'json'])
        .default('yaml'),
    );
  return withClusterOptions(command).action((initiative: string, options: AssignOptions) =>
    assignCommand(initiative, options),
  );
}
