// Runs Ratify v1.4.6 (`ratify serve`, built by `bash test/tools/setup.sh ratify`) out of cluster beside signet, as
// /work/shared/ratify-bench.md describes: a scratch HOME (it writes ~/.ratify otherwise), a config.json with the oras
// store over plain HTTP and the notation verifier with signet's trust certificate and trust policy, the in-process
// result cache, no metrics (that listener binds every interface), logs to a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/helpers/process.js';
import { toolPath } from '../test/helpers/tools.js';

export interface RatifyOptions {
  /** Directories or files with the trusted root certificates (notation `verificationCerts`). */
  readonly verificationCerts: readonly string[];
  /** notation trust policies (default: one statement, strict, every registry, `ca:certs`, any identity). */
  readonly trustPolicies?: readonly object[];
  /** `--cache-ttl` in seconds (default 300); the result cache is always on. */
  readonly cacheTtlSeconds?: number;
  /** Ratify's executor `verificationRequestTimeout` in ms (default 3000, Gatekeeper's default provider timeout). */
  readonly verificationTimeoutMs?: number;
  /** Ready within this long (default 15 s). */
  readonly startTimeoutMs?: number;
}

export interface StartedRatify {
  readonly process: ChildProcess;
  readonly pid: number;
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  readonly verifyUrl: string;
  /** Ratify's log (stdout and stderr), kept until stop(). */
  readonly logPath: string;
  /** SIGTERM (Ratify sleeps a fixed 5 s before it exits), SIGKILL after 15 s; removes the scratch directory. */
  stop(): Promise<void>;
}

export const RATIFY_VERIFY_PATH = '/ratify/gatekeeper/v1/verify';

export const DEFAULT_TRUST_POLICIES: readonly object[] = [
  {
    name: 'default',
    registryScopes: ['*'],
    signatureVerification: { level: 'strict' },
    trustStores: ['ca:certs'],
    trustedIdentities: ['*'],
  },
];

/** Ratify's file-mode config.json for notation against loopback plain-HTTP registries. */
export function ratifyConfig(scratch: string, options: RatifyOptions): object {
  return {
    executor: {
      verificationRequestTimeout: options.verificationTimeoutMs ?? 3000,
      mutationRequestTimeout: 1000,
    },
    store: {
      version: '1.0.0',
      plugins: [{ name: 'oras', useHttp: true, localCachePath: join(scratch, 'oras-cache') }],
    },
    // No artifactVerificationPolicies: every type listed there becomes required (see the recipe's trap).
    policy: { version: '1.0.0', plugin: { name: 'configPolicy' } },
    verifier: {
      version: '1.0.0',
      plugins: [
        {
          name: 'notation',
          artifactTypes: 'application/vnd.cncf.notary.signature',
          verificationCerts: options.verificationCerts,
          trustPolicyDoc: { version: '1.0', trustPolicies: options.trustPolicies ?? DEFAULT_TRUST_POLICIES },
        },
      ],
    },
  };
}

/** POSTs `{}` to the verify endpoint: Ratify in file mode has no health endpoint and answers `{"response":{}}`. */
async function answersEmptyRequest(verifyUrl: string): Promise<boolean> {
  try {
    const response = await fetch(verifyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(1_000),
    });
    const body = (await response.json()) as { response?: unknown };
    return response.ok && typeof body.response === 'object' && body.response !== null;
  } catch {
    return false;
  }
}

/** Starts `ratify serve` with a fresh scratch HOME and cache (nothing carries over between starts). */
export async function startRatify(options: RatifyOptions): Promise<StartedRatify> {
  const scratch = await mkdtemp(join(tmpdir(), 'signet-bench-ratify-'));
  const home = join(scratch, 'home');
  await mkdir(home);
  const configPath = join(scratch, 'config.json');
  await writeFile(configPath, JSON.stringify(ratifyConfig(scratch, options), null, 2));
  const logPath = join(scratch, 'ratify.log');
  const log = await open(logPath, 'w');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ['serve', '--http', `127.0.0.1:${port}`, '-c', configPath, '--cache-enabled'];
  // Not used in file mode, but its default is ':9099' (every interface): keep it on loopback all the same.
  args.push('--health-port', `127.0.0.1:${await freePort()}`);
  args.push('--cache-ttl', `${options.cacheTtlSeconds ?? 300}s`);
  const child = spawn(toolPath('ratify'), args, {
    env: { ...process.env, HOME: home },
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      await rm(scratch, { recursive: true, force: true });
    })();
    return stopped;
  };
  const verifyUrl = `${url}${RATIFY_VERIFY_PATH}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  while (Date.now() < deadline && child.exitCode === null && child.pid !== undefined) {
    if (await answersEmptyRequest(verifyUrl)) {
      return { process: child, pid: child.pid, url, verifyUrl, logPath, stop };
    }
    await sleep(25);
  }
  const output = await readFile(logPath, 'utf8').catch(() => '');
  await stop();
  throw new Error(
    `ratify serve was not ready on ${url} (exit ${String(child.exitCode)}):\n${output.slice(-4000)}`,
  );
}
