import { execFile, type ExecFileException } from 'node:child_process';
import { SignetError } from '../../errors.js';
import { DOCKER_HUB_REGISTRY } from '../../reference/index.js';
import { createSemaphore, type Release } from '../semaphore.js';
import type { Credential } from './credentials.js';

/**
 * docker credential helpers (`credHelpers` / `credsStore` of a docker config): `docker-credential-<name> get`
 * with the registry on stdin and `{ServerURL, Username, Secret}` JSON on stdout, the protocol of
 * github.com/docker/docker-credential-helpers. Run without a shell, with a minimal environment, bounded in
 * time, output and concurrency; answers are cached for a bounded time.
 */

/** What a helper's name may be: it becomes part of a file name looked up on PATH, so no path separators. */
export const CREDENTIAL_HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** What Ratify's `awsEcrBasic` auth provider becomes: amazon-ecr-credential-helper as a Store's default helper. */
export const AWS_ECR_CREDENTIAL_HELPER = 'ecr-login';

/** The helper protocol's "no credentials for this server" answer (credentials.errCredentialsNotFoundMessage). */
const CREDENTIALS_NOT_FOUND = 'credentials not found in native keychain';
/** The Username a helper answers when Secret is an identity (refresh) token, as docker's credentials.tokenUsername. */
const IDENTITY_TOKEN_USERNAME = '<token>';
/** The server URL docker hands helpers for Docker Hub (its config key); other registries go as `host[:port]`. */
const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';

/**
 * Environment variables a helper is started with, besides PATH and HOME: the cloud SDKs' settings
 * (AWS_* for ecr-login and IRSA, GOOGLE_* / CLOUDSDK_* / GCE_* for gcr and gcloud, AZURE_* for acr-env and
 * workload identity), proxies and extra CA bundles. Nothing else of signet's environment reaches a helper.
 */
const PASSED_VARIABLE =
  /^(?:AWS_|GOOGLE_|CLOUDSDK_|GCE_|AZURE_)|^(?:HTTPS?_PROXY|NO_PROXY|SSL_CERT_FILE|SSL_CERT_DIR)$/i;

export interface CredentialHelperOptions {
  /** Bound on one helper run (the process is killed after it); default 10 s. */
  readonly timeoutMs?: number;
  /** Bound on a helper's stdout and stderr each (the process is killed beyond it); default 64 KiB. */
  readonly maxOutputBytes?: number;
  /** How long an answer (credentials or "none") is reused; default 5 minutes. */
  readonly cacheTtlMs?: number;
  /** Cached answers kept at most (registry names come from image references); default 256. */
  readonly maxCacheEntries?: number;
  /** Helpers running at once; further calls wait up to `timeoutMs` for a slot; default 4. */
  readonly maxConcurrent?: number;
  /** The environment helpers' variables are taken from; default `process.env`. */
  readonly environment?: NodeJS.ProcessEnv;
  readonly now?: () => number;
}

export interface CredentialHelpers {
  /**
   * The credential `docker-credential-<helper> get` gives for a registry (its `toCredentialKey`, e.g.
   * `docker.io`, `host:port`), or undefined when the helper has none. Throws CREDENTIAL_HELPER_FAILED
   * naming helper and registry.
   */
  get(helper: string, registry: string): Promise<Credential | undefined>;
}

/** The variables a helper runs with: PATH, HOME and `PASSED_VARIABLE`s of `environment`. */
export function credentialHelperEnvironment(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const passed: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(environment)) {
    if (value !== undefined && (name === 'PATH' || name === 'HOME' || PASSED_VARIABLE.test(name)))
      passed[name] = value;
  }
  return passed;
}

function helperFailed(helper: string, registry: string, reason: string): SignetError {
  return new SignetError('CREDENTIAL_HELPER_FAILED', {
    stage: 'resolve',
    reason: `credential helper docker-credential-${helper} for registry ${registry} ${reason}`,
    details: { helper, registry },
  });
}

/** A helper's own failure message, for the error: one line, printable, short, and never a JSON answer. */
function describeFailureOutput(output: string): string {
  const line = (output.trim().split('\n')[0] ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
  return line === '' || line.startsWith('{') ? '' : `: ${line}`;
}

/**
 * Reads a helper's successful answer. Docker ignores the answer's ServerURL, and so does signet: the
 * credential is for the registry it was asked about.
 */
export function parseCredentialHelperAnswer(
  stdout: string,
  helper: string,
  registry: string,
): Credential | undefined {
  if (stdout.trim() === CREDENTIALS_NOT_FOUND) return undefined;
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch {
    throw helperFailed(helper, registry, 'answered something that is not JSON');
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer))
    throw helperFailed(helper, registry, 'answered JSON that is not an object');
  const { Username: username, Secret: secret } = answer as Record<string, unknown>;
  if (typeof username !== 'string' || username === '' || typeof secret !== 'string' || secret === '')
    throw helperFailed(helper, registry, 'answered without a non-empty Username and Secret');
  return username === IDENTITY_TOKEN_USERNAME
    ? { $case: 'identityToken', identityToken: secret }
    : { $case: 'basic', username, password: secret };
}

function runFailure(error: ExecFileException, stdout: string, stderr: string, timeoutMs: number): string {
  if (error.code === 'ENOENT') return 'is not installed (not found on PATH)';
  if (error.code === 'EACCES') return 'is not executable';
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return 'wrote more output than allowed (killed)';
  // `killed`: signet ended it, which (output bounds aside) only the timeout does.
  if (error.killed === true) return `did not answer within ${timeoutMs} ms (killed)`;
  if (typeof error.signal === 'string') return `was ended by ${error.signal}`;
  const exit = typeof error.code === 'number' ? `exited with status ${error.code}` : 'could not be run';
  return `${exit}${describeFailureOutput(stdout === '' ? stderr : stdout)}`;
}

interface CachedAnswer {
  readonly expiresAt: number;
  readonly credential: Credential | undefined;
}

export function createCredentialHelpers(options: CredentialHelperOptions = {}): CredentialHelpers {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxOutputBytes = options.maxOutputBytes ?? 64 * 1024;
  const cacheTtlMs = options.cacheTtlMs ?? 5 * 60_000;
  const maxCacheEntries = options.maxCacheEntries ?? 256;
  const now = options.now ?? Date.now;
  const slots = createSemaphore(options.maxConcurrent ?? 4);
  const environment = credentialHelperEnvironment(options.environment ?? process.env);
  const answers = new Map<string, CachedAnswer>();
  const running = new Map<string, Promise<Credential | undefined>>();

  function run(helper: string, registry: string, serverUrl: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        `docker-credential-${helper}`,
        ['get'],
        {
          env: environment,
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: maxOutputBytes,
          encoding: 'utf8',
          windowsHide: true,
        },
        (error, stdout, stderr) => {
          if (error === null) resolve(stdout);
          else if (typeof error.code === 'number' && stdout.trim() === CREDENTIALS_NOT_FOUND) resolve(stdout);
          else reject(helperFailed(helper, registry, runFailure(error, stdout, stderr, timeoutMs)));
        },
      );
      // A helper that exits without reading stdin makes the write fail with EPIPE; its exit status tells.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(`${serverUrl}\n`);
    });
  }

  async function lookUp(helper: string, registry: string): Promise<Credential | undefined> {
    let release: Release;
    try {
      release = await slots.acquire(AbortSignal.timeout(timeoutMs));
    } catch {
      throw helperFailed(
        helper,
        registry,
        `could not start within ${timeoutMs} ms (too many helpers running)`,
      );
    }
    try {
      const serverUrl = registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_SERVER_URL : registry;
      return parseCredentialHelperAnswer(await run(helper, registry, serverUrl), helper, registry);
    } finally {
      release();
    }
  }

  function remember(key: string, credential: Credential | undefined): void {
    answers.delete(key);
    // The oldest answer goes first: Maps iterate in insertion order.
    while (answers.size >= maxCacheEntries) {
      const oldest = answers.keys().next();
      if (oldest.done === true) break;
      answers.delete(oldest.value);
    }
    answers.set(key, { expiresAt: now() + cacheTtlMs, credential });
  }

  return {
    get(helper, registry) {
      if (!CREDENTIAL_HELPER_NAME.test(helper))
        return Promise.reject(helperFailed(helper.slice(0, 64), registry, 'has an invalid name'));
      const key = `${helper}\n${registry}`;
      const cached = answers.get(key);
      if (cached !== undefined && cached.expiresAt > now()) return Promise.resolve(cached.credential);
      let pending = running.get(key);
      if (pending === undefined) {
        // Failures are not cached: the next lookup runs the helper again (a cloud API may be back).
        pending = lookUp(helper, registry)
          .then((credential) => {
            remember(key, credential);
            return credential;
          })
          .finally(() => running.delete(key));
        running.set(key, pending);
      }
      return pending;
    },
  };
}
