// Starts a real redis-server (Debian package `redis-server`, see test/tools/setup.sh) on 127.0.0.1 for integration
// tests: a free port from process.ts, no persistence (`--save '' --appendonly no`), readiness by polling PING.
// Optional AUTH (`--requirepass`, ACL users) and TLS (the server certificate from pki.ts). It can be stopped,
// restarted on the same port (empty again) and paused (SIGSTOP: connections stay open, nothing answers).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls } from 'node:tls';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { freePort } from './process.js';

export interface RedisAclUser {
  readonly name: string;
  readonly password: string;
  /** ACL rules after `on >password`, e.g. ['~signet:*', '+@all'] (the default). */
  readonly rules?: readonly string[];
}

export interface StartRedisOptions {
  /** `--requirepass`: the default user's password. */
  readonly password?: string;
  readonly users?: readonly RedisAclUser[];
  /** Serve TLS only (`--port 0 --tls-port`), with this certificate; clients are not asked for one. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
}

export interface TestRedis {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:PORT`, or `rediss://` with TLS. */
  readonly url: string;
  /** A client as the default user (with the password), for tests that look at or plant values. Closed by stop(). */
  client(): Redis;
  /** Stops the server (and the clients made by client()); restart() brings it back on the same port, empty. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that accepts nothing and answers nothing, then one that resumes. */
  pause(): void;
  resume(): void;
  /** The server's own log (stdout/stderr). */
  output(): string;
}

const startTimeoutMs = 15_000;
const stopTimeoutMs = 5_000;
const running = new Set<ChildProcess>();

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });
}

/** Whether something on host:port answers a RESP PING at all (+PONG, or -NOAUTH when a password is required). */
function ping(port: number, tls: StartRedisOptions['tls']): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket =
      tls === undefined
        ? connectTcp({ host: '127.0.0.1', port })
        : connectTls({ host: '127.0.0.1', port, ca: readFileSync(tls.ca), servername: 'localhost' });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => socket.write('PING\r\n'));
    socket.once('data', (data: Buffer) => done(/^[+-]/.test(data.toString('latin1'))));
  });
}

function serverArgs(port: number, dir: string, options: StartRedisOptions): string[] {
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (options.tls === undefined) args.push('--port', String(port));
  else {
    args.push('--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no');
    args.push('--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key);
    args.push('--tls-ca-cert-file', options.tls.ca);
  }
  if (options.password !== undefined) args.push('--requirepass', options.password);
  for (const user of options.users ?? [])
    args.push('--user', user.name, 'on', `>${user.password}`, ...(user.rules ?? ['~signet:*', '+@all']));
  return args;
}

export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'signet-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';
  const clients: Redis[] = [];

  const launch = async (): Promise<void> => {
    await mkdir(dir, { recursive: true });
    const started = spawn('redis-server', serverArgs(port, dir, options), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    running.add(started);
    const append = (chunk: Buffer) => {
      if (log.length < 256 * 1024) log += chunk.toString();
    };
    started.stdout?.on('data', append);
    started.stderr?.on('data', append);
    let exited = false;
    started.once('exit', () => {
      exited = true;
      running.delete(started);
    });
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`redis-server exited before answering PING:\n${log}`);
      if (await ping(port, options.tls)) return;
      await sleep(25);
    }
    started.kill('SIGKILL');
    throw new Error(
      `redis-server on 127.0.0.1:${port} did not answer PING within ${startTimeoutMs} ms:\n${log}`,
    );
  };

  const halt = async (): Promise<void> => {
    for (const client of clients.splice(0)) client.disconnect();
    const current = child;
    child = undefined;
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => current.kill('SIGKILL'), stopTimeoutMs);
      current.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      current.kill('SIGCONT');
      current.kill('SIGTERM');
    });
  };

  try {
    await launch();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    url: `${options.tls === undefined ? 'redis' : 'rediss'}://127.0.0.1:${port}`,
    client() {
      const client = new Redis({
        host: '127.0.0.1',
        port,
        ...(options.password === undefined ? {} : { password: options.password }),
        ...(options.tls === undefined ? {} : { tls: { ca: readFileSync(options.tls.ca) } }),
        connectionName: 'signet-test',
        maxRetriesPerRequest: 1,
      });
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    },
    stop: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await halt();
      await launch();
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    output: () => log,
  };
}
