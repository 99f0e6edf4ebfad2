// signet for the benchmark: built once per run into dist-bench/ as production builds it (plain
// `node dist-bench/cli.js serve`, so neither tsx's loader nor its transforms count in signet's RSS and CPU) and
// started on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { buildDist } from '../deploy/build-dist.js';
import { performance } from 'node:perf_hooks';
import { freePort, REPO_ROOT, waitForHttp } from '../test/helpers/process.js';

export const BENCH_DIST = join(REPO_ROOT, 'dist-bench');

/**
 * The production build (deploy/build-dist.ts, what `npm run build` and the image ship) into dist-bench/; the
 * seconds it took.
 */
export async function buildSignet(): Promise<number> {
  const started = performance.now();
  await buildDist(BENCH_DIST, REPO_ROOT);
  return (performance.now() - started) / 1000;
}

export interface StartedSignet {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly verifyUrl: string;
  /** The plain-HTTP ops port: /metrics, /readyz. */
  readonly metricsUrl: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * `node <nodeArgs> dist-bench/cli.js serve --insecure-http` on 127.0.0.1 with `args`; ready when /readyz answers (30 s max).
 * `nodeArgs` go to node itself (`--cpu-prof --cpu-prof-dir <dir>` to profile it under the bench's load).
 */
export async function startSignet(
  args: readonly string[],
  nodeArgs: readonly string[] = [],
): Promise<StartedSignet> {
  const port = await freePort();
  const metricsPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      join(BENCH_DIST, 'cli.js'),
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--metrics-port',
      String(metricsPort),
      '--insecure-http',
      ...args,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    if (output.length < 256 * 1024) output += chunk.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    })();
    return stopped;
  };
  try {
    await Promise.race([
      waitForHttp(`http://127.0.0.1:${metricsPort}/readyz`, 30_000),
      exited.then(() => {
        throw new Error('signet serve exited before it was ready');
      }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nsignet output:\n${output}`);
  }
  if (child.pid === undefined) throw new Error('signet serve has no pid');
  const url = `http://127.0.0.1:${port}`;
  return {
    process: child,
    pid: child.pid,
    url,
    verifyUrl: `${url}/ratify/gatekeeper/v1/verify`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    output: () => output,
    stop,
  };
}
