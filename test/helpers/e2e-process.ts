// Long-running peers of the e2e test bed (etcd, kube-apiserver, Gatekeeper): started in their own process group,
// output appended to a log file whose tail goes into every failure message, killed when the test process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PeerProcess {
  readonly name: string;
  readonly logPath: string;
  /** True once the process has exited. */
  readonly exited: () => boolean;
  /** Resolves when the process exits. */
  readonly exit: Promise<void>;
  stop(): Promise<void>;
}

export interface StartPeerOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Appended to, so a restarted peer keeps one log. */
  readonly logPath: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

const stopTimeoutMs = 10_000;
const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Negative pid: the child's whole process group (it was spawned detached, so it leads one).
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

let exitHooksInstalled = false;
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = () => {
    for (const child of running) killGroup(child, 'SIGKILL');
    running.clear();
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** The last `lines` lines of a peer's log, for failure messages. */
export async function logTail(logPath: string, lines = 40): Promise<string> {
  try {
    const text = await readFile(logPath, 'utf8');
    return text
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch {
    return `(no log at ${logPath})`;
  }
}

export function startPeer(options: StartPeerOptions): PeerProcess {
  installExitHooks();
  const log = createWriteStream(options.logPath, { flags: 'a' });
  log.write(`--- ${new Date().toISOString()} ${options.command} ${options.args.join(' ')}\n`);
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let hasExited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      running.delete(child);
      log.end(`--- exited (${String(code ?? signal)})\n`);
      resolve();
    });
    child.once('error', (error) => {
      hasExited = true;
      running.delete(child);
      log.end(`--- could not start: ${error.message}\n`);
      resolve();
    });
  });
  // A forgotten peer must not keep jest alive; the exit hooks still kill it.
  child.unref();
  return {
    name: options.name,
    logPath: options.logPath,
    exited: () => hasExited,
    exit,
    async stop() {
      if (hasExited) return;
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), stopTimeoutMs);
      killGroup(child, 'SIGTERM');
      await exit;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `check` (true when ready) every `intervalMs` until `timeoutMs`; fails early when the peer exits. The error
 * names what was awaited, the last check error and the peer's log tail.
 */
export async function waitForPeer(
  peer: PeerProcess,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not ready';
  while (Date.now() < deadline) {
    if (peer.exited()) {
      throw new Error(
        `${peer.name} exited before ${what}; last lines of ${peer.logPath}:\n${await logTail(peer.logPath)}`,
      );
    }
    try {
      if (await check()) return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `${peer.name}: ${what} not reached after ${timeoutMs} ms (${last}); last lines of ${peer.logPath}:\n${await logTail(peer.logPath)}`,
  );
}
