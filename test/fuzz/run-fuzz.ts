/**
 * Runs the Jazzer.js (libFuzzer) fuzz targets of test/fuzz/targets against the provider's parsers.
 *
 * Jazzer instruments ECMAScript modules through a loader hook but cannot load TypeScript, so the targets (and
 * the provider modules they import) are compiled with tsc into a temporary directory that resolves packages
 * from this project's node_modules. Each target runs in its own `jazzer` process with its seed corpus
 * (test/fuzz/corpus/<target>, read only) plus a scratch corpus; a crash leaves its input as an artifact.
 *
 *   npm run fuzz                     every target for FUZZ_SECONDS (default 60) seconds
 *   npm run fuzz -- der config       only those targets
 *   FUZZ_RUNS=2000 npm run fuzz      a fixed number of executions per target instead of a time
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureFuzzerAddon } from './addon-compat.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const MAX_LEN = 64 * 1024;
/** Per execution; libFuzzer reports a slower one as a timeout (a hang). */
const EXECUTION_TIMEOUT_SECONDS = 10;

const INSTRUMENTED_PACKAGES: readonly string[] = ['@sigstore/bundle', '@sigstore/protobuf-specs'];

export const TARGETS: readonly string[] = readdirSync(path.join(here, 'targets'))
  .filter((file) => file.endsWith('.ts') && file !== 'property.ts')
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

export interface FuzzBuild {
  readonly dir: string;
}

export interface FuzzLimit {
  readonly runs?: number;
  readonly seconds?: number;
  readonly seed?: number;
}

export interface FuzzResult {
  readonly target: string;
  readonly ok: boolean;
  readonly executions: number;
  readonly coverage: number;
  readonly features: number;
  readonly corpus: number;
  readonly seconds: number;
  /** The crashing (or hanging) input, when the fuzzer found one. */
  readonly crash?: { readonly file: string; readonly input: Buffer };
  readonly output: string;
}

/** Compiles the targets with their provider imports into a temporary ESM tree. */
export async function buildTargets(): Promise<FuzzBuild> {
  ensureFuzzerAddon();
  const dir = mkdtempSync(path.join(tmpdir(), 'signet-fuzz-'));
  await run(
    process.execPath,
    [
      path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      path.join(here, 'tsconfig.fuzz.json'),
      '--outDir',
      dir,
    ],
    { cwd: root },
  );
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { dir };
}

function lastMatch(output: string, pattern: RegExp): RegExpExecArray | undefined {
  let last: RegExpExecArray | undefined;
  for (const match of output.matchAll(new RegExp(pattern.source, 'g'))) last = match;
  return last;
}

/** Fuzzes one target; never throws for a finding (see `ok` and `crash`). */
export async function fuzzTarget(build: FuzzBuild, target: string, limit: FuzzLimit): Promise<FuzzResult> {
  const work = path.join(build.dir, 'work', target);
  const scratch = path.join(work, 'corpus');
  const artifacts = path.join(work, 'artifacts');
  mkdirSync(scratch, { recursive: true });
  mkdirSync(artifacts, { recursive: true });
  // Seeds, then every input that once failed (test/fuzz/crashes/<target>), so each run replays those too.
  const seeds = [path.join(here, 'corpus', target), path.join(here, 'crashes', target)].filter((dir) =>
    existsSync(dir),
  );
  const libFuzzer = [
    `-max_len=${MAX_LEN}`,
    `-timeout=${EXECUTION_TIMEOUT_SECONDS}`,
    `-artifact_prefix=${artifacts}/`,
    `-seed=${limit.seed ?? 0}`,
    ...(limit.runs !== undefined ? [`-runs=${limit.runs}`] : []),
    ...(limit.seconds !== undefined ? [`-max_total_time=${limit.seconds}`] : []),
  ];
  const args = [
    path.join(root, 'node_modules', '@jazzer.js', 'core', 'dist', 'cli.js'),
    path.join(build.dir, 'test', 'fuzz', 'targets', `${target}.js`),
    scratch,
    ...seeds,
    '--sync',
    ...['--includes', `${build.dir}/`],
    // The Sigstore bundle parser signet delegates to counts as coverage too (yaml is left out: instrumented,
    // it runs ten times slower).
    ...INSTRUMENTED_PACKAGES.flatMap((name) => ['--includes', `node_modules/${name}/`]),
    ...['--excludes', `${build.dir}/node_modules/`],
    '--disableBugDetectors',
    '.*',
    '--',
    ...libFuzzer,
  ];
  const started = Date.now();
  let output: string;
  let ok: boolean;
  try {
    const { stdout, stderr } = await run(process.execPath, args, {
      cwd: work,
      maxBuffer: 64 * 1024 * 1024,
      // A fuzzer that does not stop by itself is a failure too, not a stuck test run.
      timeout: ((limit.seconds ?? 0) + (limit.runs !== undefined ? 150 : 60)) * 1000,
      killSignal: 'SIGKILL',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    output = stdout + stderr;
    ok = true;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    output = (failed.stdout ?? '') + (failed.stderr ?? '') || failed.message;
    ok = false;
  }
  const stats = lastMatch(output, /#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/);
  const done = lastMatch(output, /Done (\d+) runs/);
  const crashFile = readdirSync(artifacts)
    .map((file) => path.join(artifacts, file))
    .find((file) => /\/(crash|timeout|oom|leak)-/.test(file));
  return {
    target,
    ok: ok && crashFile === undefined,
    executions: Number(done?.[1] ?? stats?.[1] ?? 0),
    coverage: Number(stats?.[2] ?? 0),
    features: Number(stats?.[3] ?? 0),
    corpus: Number(stats?.[4] ?? 0),
    seconds: (Date.now() - started) / 1000,
    ...(crashFile !== undefined ? { crash: { file: crashFile, input: readFileSync(crashFile) } } : {}),
    output,
  };
}

const PRINTED_INPUT_BYTES = 4096;

export function describeCrash(result: FuzzResult): string {
  const lines = [`${result.target}: the fuzzer found a failing input`];
  if (result.crash !== undefined) {
    const { file, input } = result.crash;
    lines.push(`  artifact: ${file} (${input.length} bytes)`);
    const shown = input.subarray(0, PRINTED_INPUT_BYTES).toString('base64');
    lines.push(
      `  input (base64${input.length > PRINTED_INPUT_BYTES ? `, first ${PRINTED_INPUT_BYTES} bytes` : ''}): ${shown}`,
    );
  }
  const finding = result.output
    .split('\n')
    .filter((line) => line !== '' && !/^(#\d|INFO:|Skip loading bug detector)/.test(line));
  lines.push(...finding.slice(-30).map((line) => `  | ${line.slice(0, 500)}`));
  return lines.join('\n');
}

function positive(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new Error(`${name} must be a positive integer`);
  return number;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((target) => !TARGETS.includes(target));
  if (unknown.length > 0)
    throw new Error(`unknown fuzz targets ${unknown.join(', ')}; known: ${TARGETS.join(', ')}`);
  const runs = positive('FUZZ_RUNS');
  const limit: FuzzLimit = runs !== undefined ? { runs } : { seconds: positive('FUZZ_SECONDS') ?? 60 };
  const build = await buildTargets();
  console.log(`fuzz: targets compiled into ${build.dir}`);
  const results: FuzzResult[] = [];
  for (const target of wanted.length > 0 ? wanted : TARGETS) {
    const result = await fuzzTarget(build, target, limit);
    results.push(result);
    console.log(
      `fuzz: ${target.padEnd(20)} ${result.ok ? 'ok     ' : 'FAILED '} ${String(result.executions).padStart(9)} execs` +
        `  cov ${result.coverage}  ft ${result.features}  corpus ${result.corpus}  ${result.seconds.toFixed(0)} s`,
    );
    if (!result.ok) console.log(describeCrash(result));
  }
  if (results.some((result) => !result.ok)) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
