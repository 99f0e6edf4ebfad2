// Starts a real olareg registry on 127.0.0.1 (random port, storage in a temp dir) for integration tests.
//
// Auth modes, all olareg's own:
//  - none:  anonymous push and pull.
//  - basic: `--auth-basic` users file (bcrypt hashes made by `olareg hash`); a request without valid credentials gets
//           401 `WWW-Authenticate: Basic realm="olareg registry",scope="repository:<repo>:<action>"`.
//  - token: `--auth-token-opaque` users file plus olareg's built-in token server at `<url>/token`: 401
//           `WWW-Authenticate: Bearer realm="<url>/token",service="olareg registry",scope="..."`; GET /token with Basic
//           credentials (or none, for an anonymous token) answers `{"token","expires_in","issued_at"}`. Tokens are
//           opaque, not scoped (access is checked per user on each request) and expire after 5 minutes, although
//           `expires_in` says 300000000000 (olareg writes the Go duration in nanoseconds where the spec wants seconds).
//           A wrong password or `service` gets 403 from /token, not 401.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './process.js';
import { runTool, toolPath } from './tools.js';

export type RegistryAuth = 'none' | 'basic' | 'token';

export interface StartRegistryOptions {
  auth?: RegistryAuth;
  /** Default true; false starts olareg with `--api-referrer=false` (referrers GET answers 405 and manifests pushed
   * with a subject get no `OCI-Subject` header), so clients must use the `sha256-<hex>` tag-schema fallback. */
  referrersApi?: boolean;
  /** With auth: also let anonymous clients pull (push still needs credentials). Default false. */
  anonymousPull?: boolean;
}

export interface TestRegistry {
  /** '127.0.0.1:PORT' */
  host: string;
  /** 'http://127.0.0.1:PORT' */
  url: string;
  auth: RegistryAuth;
  referrersApi: boolean;
  username?: string;
  password?: string;
  /** A docker config.json holding this registry's credentials (no entries when auth is 'none'). */
  dockerConfigPath: string;
  /** Its directory, for tools that take DOCKER_CONFIG. */
  dockerConfigDir: string;
  stop(): Promise<void>;
}

const startTimeoutMs = 15_000;
const stopTimeoutMs = 5_000;
const portAttempts = 3;
const username = 'signet';

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Negative pid: the whole process group (the child was spawned detached, so it leads its own group).
    process.kill(-child.pid, signal);
  } catch {
    // Already gone: nothing to stop.
  }
}

function killAllRegistries(): void {
  for (const child of running) killGroup(child, 'SIGKILL');
  running.clear();
}

let exitHooksInstalled = false;
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once('exit', killAllRegistries);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllRegistries();
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Resolves with the HTTP status of GET <url>, or undefined when nothing answers. */
function probe(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
    req.end();
  });
}

async function writeAuthFiles(root: string, password: string, anonymousPull: boolean): Promise<string> {
  const { stdout } = await runTool('olareg', ['hash', '--pass', password]);
  const acls: object[] = [{ repo: '*', members: [username], access: ['*'] }];
  if (anonymousPull) acls.push({ repo: '*', anonymous: true, access: ['read'] });
  const authFile = join(root, 'auth.yaml');
  // JSON is YAML: olareg reads it as its users/acls file.
  await writeFile(authFile, JSON.stringify({ users: { [username]: { cred: stdout.trim() } }, acls }));
  return authFile;
}

async function writeDockerConfig(dir: string, host: string, password: string | undefined): Promise<string> {
  await mkdir(dir, { recursive: true });
  const auths =
    password === undefined
      ? {}
      : { [host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify({ auths }), { mode: 0o600 });
  return path;
}

async function launch(args: string[], url: string): Promise<{ child: ChildProcess } | { failed: string }> {
  const child = spawn(toolPath('olareg'), args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 64 * 1024) stderr += chunk;
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });
  // A forgotten registry must not keep the test process alive; the exit hooks still kill it.
  child.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();

  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) return { failed: stderr.trim() || `exit ${String(child.exitCode ?? child.signalCode)}` };
    if ((await probe(`${url}/v2/`)) !== undefined) return { child };
    await sleep(50);
  }
  killGroup(child, 'SIGKILL');
  return { failed: `no answer on ${url}/v2/ within ${startTimeoutMs} ms; stderr: ${stderr.trim()}` };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), stopTimeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    killGroup(child, 'SIGTERM');
  });
}

export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  const auth = options.auth ?? 'none';
  const referrersApi = options.referrersApi ?? true;
  installExitHooks();
  const root = await mkdtemp(join(tmpdir(), 'signet-registry-'));
  try {
    const password = auth === 'none' ? undefined : randomBytes(18).toString('base64url');
    const authFile =
      password === undefined
        ? undefined
        : await writeAuthFiles(root, password, options.anonymousPull ?? false);
    const storeDir = join(root, 'store');
    await mkdir(storeDir);

    const failures: string[] = [];
    for (let attempt = 1; attempt <= portAttempts; attempt++) {
      const port = await freePort();
      const host = `127.0.0.1:${port}`;
      const url = `http://${host}`;
      const args = ['serve', '--addr', '127.0.0.1', '--port', String(port), '--dir', storeDir];
      args.push('--gc-frequency', '-1s', '--api-delete', `--api-referrer=${String(referrersApi)}`);
      if (auth === 'basic') args.push('--auth-basic', authFile!);
      // The realm must be absolute for clients; olareg builds it from --external-url.
      if (auth === 'token') args.push('--auth-token-opaque', authFile!, '--external-url', url);

      const started = await launch(args, url);
      if ('failed' in started) {
        failures.push(started.failed);
        continue; // most likely the port was taken between probing and binding: try another
      }
      const dockerConfigDir = join(root, 'docker');
      const dockerConfigPath = await writeDockerConfig(dockerConfigDir, host, password);
      let stopped: Promise<void> | undefined;
      return {
        host,
        url,
        auth,
        referrersApi,
        ...(password === undefined ? {} : { username, password }),
        dockerConfigPath,
        dockerConfigDir,
        stop: () => {
          stopped ??= stopProcess(started.child).then(() => rm(root, { recursive: true, force: true }));
          return stopped;
        },
      };
    }
    throw new Error(`olareg did not start after ${portAttempts} attempts: ${failures.join(' | ')}`);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

export interface RegistryResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** olareg's token service name (the `service` of its Bearer challenge). */
const tokenService = 'olareg registry';

/**
 * A raw request to the registry as its configured user (Basic credentials, or a token from olareg's token server),
 * for tests that check what the registry itself holds. `anonymous` skips credentials.
 */
export async function registryRequest(
  registry: TestRegistry,
  path: string,
  init: { method?: string; headers?: Record<string, string>; anonymous?: boolean } = {},
): Promise<RegistryResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (!init.anonymous && registry.username !== undefined && registry.password !== undefined) {
    const basic = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
    if (registry.auth === 'token') {
      const tokenUrl = `${registry.url}/token?service=${encodeURIComponent(tokenService)}`;
      const tokenResponse = await fetch(tokenUrl, { headers: { Authorization: basic } });
      if (!tokenResponse.ok)
        throw new Error(`token request to ${registry.url}/token answered ${tokenResponse.status}`);
      const { token } = (await tokenResponse.json()) as { token: string };
      headers.Authorization = `Bearer ${token}`;
    } else {
      headers.Authorization = basic;
    }
  }
  const response = await fetch(`${registry.url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    redirect: 'manual',
  });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}
