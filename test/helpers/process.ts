// Process helpers shared by integration tests, the demo and the benchmark: free loopback ports,
// readiness polling and the signet provider started as its own process (as it runs in production).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Ports for test servers come from below the kernel's ephemeral range (32768+ on Linux): a port the OS
// hands out for `listen(0)` can be taken again by any outgoing connection before the peer binds it
// (seen as "address already in use" from kube-apiserver on a busy run), a port below that range cannot.
const TEST_PORT_RANGE = { first: 20_000, last: 32_767 } as const;
const portsHandedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo;
      server.close(() => resolve(bound === port));
    });
  });
}

/** A TCP port free on 127.0.0.1 right now, outside the ephemeral range and not handed out before by this process. */
export async function freePort(): Promise<number> {
  const span = TEST_PORT_RANGE.last - TEST_PORT_RANGE.first + 1;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = TEST_PORT_RANGE.first + Math.floor(Math.random() * span);
    if (portsHandedOut.has(port) || !(await canListen(port))) continue;
    portsHandedOut.add(port);
    return port;
  }
  throw new Error(
    `no free TCP port on 127.0.0.1 in ${TEST_PORT_RANGE.first}-${TEST_PORT_RANGE.last} after 200 tries`,
  );
}

/** Polls `url` until it answers 2xx, or fails after `timeoutMs` naming the URL and the last error. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${last}`);
}

export interface StartedProvider {
  /** The signet process itself (node runs signet in this process: `--import tsx` loads no child). */
  readonly process: ChildProcess;
  /** Base URL of the verify/mutate listener, e.g. `https://127.0.0.1:PORT`. */
  readonly url: string;
  readonly metricsUrl: string;
  /** The `signet` arguments the process was started with (after `provider/cli.ts`), starting with `serve`. */
  readonly argv: readonly string[];
  readonly output: () => string;
  stop(): Promise<void>;
}

/** The node arguments before signet's own: signet run from source, as `signet` (the image's entrypoint) runs it. */
export const SIGNET_FROM_SOURCE = ['--import', 'tsx', 'provider/cli.ts'] as const;

/**
 * Starts `signet serve` from source as a child process with the given extra arguments and waits for
 * readiness. Ports are chosen here; pass `--insecure-http` or TLS flags in `args`.
 */
export async function startProvider(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  entry?: SignetProcessOptions['entry'],
): Promise<StartedProvider> {
  const port = await freePort();
  const metricsPort = await freePort();
  return startSignetProcess(
    ['serve', '--port', String(port), '--metrics-port', String(metricsPort), ...args],
    { port, metricsPort, env, ...(entry === undefined ? {} : { entry }) },
  );
}

export interface SignetProcessOptions {
  /** The provider port `argv` makes signet listen on (127.0.0.1). */
  readonly port: number;
  /** The metrics port `argv` makes signet listen on; readiness is polled there. */
  readonly metricsPort: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Replace the environment instead of adding to this process's (default false). */
  readonly replaceEnv?: boolean;
  /** What node runs before `argv` (default SIGNET_FROM_SOURCE); e.g. `['<dist>/cli.js']` for a build. */
  readonly entry?: readonly string[];
}

/**
 * Starts signet from source with exactly `argv` (its own arguments, e.g. `serve --port=...`), which must make it
 * listen on `options.port` and `options.metricsPort`, and waits for /readyz.
 */
export async function startSignetProcess(
  argv: readonly string[],
  options: SignetProcessOptions,
): Promise<StartedProvider> {
  const { port, metricsPort } = options;
  const env = options.replaceEnv ? { ...options.env } : { ...process.env, ...options.env };
  const child = spawn(process.execPath, [...(options.entry ?? SIGNET_FROM_SOURCE), ...argv], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const scheme = argv.includes('--insecure-http') ? 'http' : 'https';
  try {
    await Promise.race([
      waitForHttp(`http://127.0.0.1:${metricsPort}/readyz`, 30_000),
      exited.then(() => {
        throw new Error(`signet serve exited before it was ready:\n${output}`);
      }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nsignet output:\n${output}`);
  }
  return {
    process: child,
    url: `${scheme}://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    argv: [...argv],
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * Resident set size in bytes of process `pid` (`VmRSS` in `/proc/<pid>/status`; Linux only). For a started
 * provider pass `provider.process.pid`, or use `providerRssBytes`.
 */
export function rssBytesOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (match?.[1] === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** The started signet process's resident set size in bytes (see `rssBytesOf`). */
export function providerRssBytes(provider: Pick<StartedProvider, 'process'>): number {
  const { pid } = provider.process;
  if (pid === undefined) throw new Error('the signet process has no pid (it failed to spawn)');
  return rssBytesOf(pid);
}

export const MIB = 1024 * 1024;
