// Starts Debian's `docker-registry` (CNCF distribution 2.8, no referrers API) on 127.0.0.1 with a scratch
// filesystem store, for the side-by-side benchmark's tag-schema case. Install: `apt-get install -y docker-registry`.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/helpers/process.js';

export const DOCKER_REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface DockerRegistry {
  /** '127.0.0.1:PORT' */
  readonly host: string;
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export async function dockerRegistryInstalled(): Promise<boolean> {
  try {
    await access(DOCKER_REGISTRY_BINARY, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Starts the registry and waits (at most 15 s) until `GET /v2/` answers 200. */
export async function startDockerRegistry(): Promise<DockerRegistry> {
  const root = await mkdtemp(join(tmpdir(), 'signet-bench-distribution-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(root, 'config.yml');
  // JSON is YAML. No auth, no health checker, loopback only; errors-only logs.
  await writeFile(
    config,
    JSON.stringify({
      version: 0.1,
      log: { level: 'error', accesslog: { disabled: true } },
      storage: {
        filesystem: { rootdirectory: join(root, 'store') },
        delete: { enabled: true },
        cache: { blobdescriptor: 'inmemory' },
      },
      http: { addr: host },
    }),
  );
  const child = spawn(DOCKER_REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 64 * 1024) stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(root, { recursive: true, force: true });
  };
  const url = `http://${host}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return { host, url, process: child, stop };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`docker-registry did not answer on ${url}/v2/ within 15 s: ${stderr.trim()}`);
}
