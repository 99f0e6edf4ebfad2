// The shared verdict cache with a real redis-server: two real signet replicas (separate processes, each with its
// own in-process cache and its own configuration generation) behind one Redis, judging images signed by the real
// notation CLI in a real olareg registry. Registry traffic goes through a counting proxy, so "B answered from
// Redis" is checked as "B made no signature discovery request".
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../helpers/fault-proxy.js';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import { createNotationSigner, type NotationSigner } from '../helpers/notation.js';
import { createCa, issue } from '../helpers/pki.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { notationConfig } from '../helpers/ratify-config.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const PREFIX = 'signet:v1:verdict:';
/** signet's default per-request deadline; every answer must come within it (plus process and HTTP overhead). */
const DEADLINE_MS = 2_500;

let dir: string;
let registry: TestRegistry;
let proxy: FaultProxy;
let signer: NotationSigner;
let config: string;
const providers: StartedProvider[] = [];
const servers: TestRedis[] = [];

interface Answer {
  readonly item: ProviderItem | undefined;
  readonly systemError: string | undefined;
  readonly ms: number;
  /** Registry requests made while answering (through the proxy). */
  readonly requests: readonly ProxiedRequest[];
}

async function ask(provider: StartedProvider, key: string): Promise<Answer> {
  proxy.clearRequests();
  const started = Date.now();
  const answer = await callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, [key]);
  const ms = Date.now() - started;
  return {
    item: answer.body.response?.items?.find((item) => item.key === key),
    systemError: answer.body.response?.systemError || undefined,
    ms,
    requests: proxy.requests,
  };
}

/** Requests beyond resolving the subject itself: referrers, signature manifests (incl. tag schema), blobs. */
function discoveryRequests(answer: Answer, image: PushedManifest, repository: string): ProxiedRequest[] {
  const tag = image.reference.slice(image.reference.lastIndexOf(':') + 1);
  const resolving = new Set([
    '/v2/',
    `/v2/${repository}/manifests/${image.digest}`,
    `/v2/${repository}/manifests/${tag}`,
  ]);
  return answer.requests.filter((request) => !resolving.has(request.path));
}

/** A pushed image named through the proxy (signet sees only the proxy), signed unless `signed` is false. */
async function image(
  repository: string,
  signed = true,
): Promise<{ pushed: PushedManifest; tagKey: string; digestKey: string }> {
  const pushed = await pushImage(registry, repository, 'v1');
  if (signed) await signer.sign(`${registry.host}/${repository}@${pushed.digest}`);
  return {
    pushed,
    tagKey: `${proxy.host}/${repository}:v1`,
    digestKey: `${proxy.host}/${repository}@${pushed.digest}`,
  };
}

async function provider(
  name: string,
  args: readonly string[],
  configText = config,
  env: NodeJS.ProcessEnv = {},
): Promise<StartedProvider> {
  const path = join(dir, `${name}.yaml`);
  await writeFile(path, configText);
  const started = await startProvider(
    ['--insecure-http', '--config', path, '--log-level', 'info', ...args],
    env,
  );
  providers.push(started);
  return started;
}

async function redisServer(options: Parameters<typeof startRedis>[0] = {}): Promise<TestRedis> {
  const server = await startRedis(options);
  servers.push(server);
  return server;
}

async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** signet clients (CLIENT SETNAME signet) connected to `server`. */
async function signetClients(client: Redis): Promise<number> {
  const list = String(await client.client('LIST'));
  return list.split('\n').filter((line) => / name=signet /.test(` ${line} `)).length;
}

async function keysFor(client: Redis, digest: string): Promise<string[]> {
  return (await client.keys(`${PREFIX}*`)).filter((key) => key.includes(digest));
}

async function metric(provider: StartedProvider, line: RegExp): Promise<number> {
  const text = await (await fetch(`${provider.metricsUrl}/metrics`)).text();
  const found = text.split('\n').find((candidate) => line.test(candidate));
  return found === undefined ? 0 : Number(found.slice(found.lastIndexOf(' ') + 1));
}

function expectAlive(...started: StartedProvider[]): void {
  for (const p of started)
    expect({ exitCode: p.process.exitCode, signal: p.process.signalCode }).toEqual({
      exitCode: null,
      signal: null,
    });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-redis-cache-'));
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  signer = await createNotationSigner(join(dir, 'signer'), 'signet-test');
  config = notationConfig({
    trust: { $case: 'inline', certificatePem: await readFile(signer.certificatePath, 'utf8') },
  });
});

afterAll(async () => {
  await Promise.all(providers.map((p) => p.stop()));
  await Promise.all(servers.map((s) => s.stop()));
  await proxy?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('two replicas sharing one redis-server', () => {
  let redis: TestRedis;
  let inspect: Redis;
  let a: StartedProvider;
  let b: StartedProvider;

  beforeAll(async () => {
    redis = await redisServer();
    inspect = redis.client();
    const args = ['--redis-url', redis.url];
    a = await provider('replica-a', args);
    // B loads another configuration first, then A's: the same configuration under generation 2, not 1.
    b = await provider(
      'replica-b',
      args,
      notationConfig({
        trust: { $case: 'inline', certificatePem: await readFile(signer.certificatePath, 'utf8') },
        trustedIdentity: 'x509.subject: CN=someone-else',
      }),
    );
    await writeFile(join(dir, 'replica-b.yaml'), config);
    await waitFor('replica B to load generation 2', () => /"generation":2/.test(b.output()));
    await waitFor('both replicas to connect to Redis', async () => (await signetClients(inspect)) === 2);
  });

  it('B answers an image A verified without discovering signatures (tag and digest keys)', async () => {
    const { pushed, tagKey, digestKey } = await image('shared/signed');
    const first = await ask(a, tagKey);
    expect(first.item?.value?.isSuccess).toBe(true);
    expect(discoveryRequests(first, pushed, 'shared/signed').length).toBeGreaterThan(0);
    await waitFor('the verdict in Redis', async () => (await keysFor(inspect, pushed.digest)).length === 1);

    const byTag = await ask(b, tagKey);
    expect(byTag.item?.value?.isSuccess).toBe(true);
    expect(byTag.item?.value?.verifierReports).toEqual(first.item?.value?.verifierReports);
    expect(discoveryRequests(byTag, pushed, 'shared/signed')).toEqual([]);
    // Only the tag resolution itself went to the registry.
    expect(byTag.requests.map((r) => r.path)).toEqual([`/v2/shared/signed/manifests/v1`]);

    const byDigest = await ask(b, digestKey);
    expect(byDigest.item?.value?.isSuccess).toBe(true);
    expect(discoveryRequests(byDigest, pushed, 'shared/signed')).toEqual([]);
    expect(await metric(b, /^signet_cache_hits_total\{cache="verdicts_redis"\}/)).toBeGreaterThanOrEqual(1);
    expect(await metric(a, /^signet_cache_writes_total\{cache="verdicts_redis"\}/)).toBeGreaterThanOrEqual(1);

    const [key] = await keysFor(inspect, pushed.digest);
    const ttl = await inspect.pttl(key!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300_000); // --verdict-ttl default
  });

  it("shares an unsigned image's denial too, with the failure TTL", async () => {
    const { pushed, digestKey } = await image('shared/unsigned', false);
    const first = await ask(a, digestKey);
    expect(first.item?.value?.isSuccess).toBe(false);
    await waitFor('the denial in Redis', async () => (await keysFor(inspect, pushed.digest)).length === 1);
    const [key] = await keysFor(inspect, pushed.digest);
    expect(await inspect.pttl(key!)).toBeLessThanOrEqual(60_000); // --failure-ttl default

    const second = await ask(b, digestKey);
    expect(second.item?.value?.isSuccess).toBe(false);
    expect(second.item?.value?.verifierReports?.[0]?.message).toBe(
      `image verification failed for ${digestKey}: signature not found`,
    );
    expect(discoveryRequests(second, pushed, 'shared/unsigned')).toEqual([]);
  });

  it('never writes a transient failure: B verifies for itself once the registry recovers', async () => {
    const { pushed, digestKey } = await image('shared/transient');
    proxy.setFault({ $case: 'status', code: 503, match: /\/referrers\// });
    try {
      const failed = await ask(a, digestKey);
      expect(failed.item).toBeUndefined();
      expect(failed.systemError).toMatch(/REGISTRY_UNAVAILABLE/);
    } finally {
      proxy.setFault({ $case: 'none' });
    }
    expect(await keysFor(inspect, pushed.digest)).toEqual([]);
    const recovered = await ask(b, digestKey);
    expect(recovered.item?.value?.isSuccess).toBe(true);
    expect(discoveryRequests(recovered, pushed, 'shared/transient').length).toBeGreaterThan(0);
  });

  it('never writes a failure of a stopped registry; both replicas answer it as transient', async () => {
    const gone = await startRegistry();
    const goneProxy = await startFaultProxy(gone.url);
    try {
      const pushed = await pushImage(gone, 'gone/app', 'v1');
      await signer.sign(`${gone.host}/gone/app@${pushed.digest}`);
      await gone.stop();
      const key = `${goneProxy.host}/gone/app@${pushed.digest}`;
      for (const replica of [a, b]) {
        const answer = await ask(replica, key);
        expect(answer.item).toBeUndefined();
        expect(answer.systemError).toMatch(/REGISTRY_UNAVAILABLE/);
      }
      expect(await keysFor(inspect, pushed.digest)).toEqual([]);
    } finally {
      await goneProxy.stop();
      await gone.stop();
    }
  });

  it('treats foreign or malformed values planted under the key as misses, never as allows', async () => {
    const signed = await image('planted/signed');
    expect((await ask(a, signed.digestKey)).item?.value?.isSuccess).toBe(true);
    await waitFor(
      'the verdict in Redis',
      async () => (await keysFor(inspect, signed.pushed.digest)).length === 1,
    );
    const [signedKey] = await keysFor(inspect, signed.pushed.digest);
    const genuineAllow = (await inspect.get(signedKey!))!;
    const keyFor = (repository: string, digest: string) => {
      const parts = JSON.parse(signedKey!.slice(PREFIX.length)) as unknown[];
      return PREFIX + JSON.stringify([...parts.slice(0, 4), repository, digest]);
    };
    const allowFor = (key: string) => JSON.stringify({ ...(JSON.parse(genuineAllow) as object), key });

    const plants: [string, (key: string) => Promise<unknown>][] = [
      ['garbage', (key) => inspect.set(key, 'allow', 'PX', 60_000)],
      ['a foreign JSON allow', (key) => inspect.set(key, JSON.stringify({ isSuccess: true }), 'PX', 60_000)],
      ['a genuine allow copied from another key', (key) => inspect.set(key, genuineAllow, 'PX', 60_000)],
      ['an allow without expiry', (key) => inspect.set(key, allowFor(key))],
      [
        'an allow with a malformed result',
        (key) => {
          const entry = JSON.parse(allowFor(key)) as { value: Record<string, unknown> };
          return inspect.set(
            key,
            JSON.stringify({ ...entry, value: { ...entry.value, isSuccess: 'true' } }),
            'PX',
            60_000,
          );
        },
      ],
      [
        'an oversized value',
        (key) => inspect.set(key, allowFor(key).padEnd(2 * 1024 * 1024, ' '), 'PX', 60_000),
      ],
      ['a hash', (key) => inspect.hset(key, 'isSuccess', 'true').then(() => inspect.pexpire(key, 60_000))],
    ];
    for (const [index, [what, plant]] of plants.entries()) {
      const repository = `planted/unsigned-${index}`;
      const { pushed, digestKey } = await image(repository, false);
      const key = keyFor(repository, pushed.digest);
      await plant(key);
      const answer = await ask(b, digestKey);
      expect({ what, isSuccess: answer.item?.value?.isSuccess }).toEqual({ what, isSuccess: false });
      expect(answer.item?.value?.verifierReports?.[0]?.message).toBe(
        `image verification failed for ${digestKey}: signature not found`,
      );
      expect(discoveryRequests(answer, pushed, repository).length).toBeGreaterThan(0);
      // The key now names exactly what B decided (written over the plant, except for the hash, which SET replaces too).
      await waitFor(`${what} replaced by B's denial`, async () => {
        const value = (await inspect.type(key)) === 'string' ? await inspect.get(key) : null;
        return value !== null && value.includes('"isSuccess":false') && value.length < 1024 * 1024;
      });
    }
    expect(
      await metric(
        b,
        /^signet_cache_errors_total\{cache="verdicts_redis",operation="read",reason="invalid"\}/,
      ),
    ).toBeGreaterThanOrEqual(5);
    expect(
      await metric(
        b,
        /^signet_cache_errors_total\{cache="verdicts_redis",operation="read",reason="too_large"\}/,
      ),
    ).toBe(1);
  });

  it('Redis paused (answers nothing): both replicas verify locally within the deadline', async () => {
    const { pushed, digestKey } = await image('slow/app');
    redis.pause();
    try {
      for (const replica of [a, b]) {
        const answer = await ask(replica, digestKey);
        expect(answer.item?.value?.isSuccess).toBe(true);
        expect(answer.ms).toBeLessThan(DEADLINE_MS);
        expect(discoveryRequests(answer, pushed, 'slow/app').length).toBeGreaterThan(0);
      }
    } finally {
      redis.resume();
    }
    expect(
      await metric(
        a,
        /^signet_cache_errors_total\{cache="verdicts_redis",operation="read",reason="timeout"\}/,
      ),
    ).toBeGreaterThanOrEqual(1);
    expectAlive(a, b);
  });

  it('Redis stopped: both replicas still answer correctly within the deadline, and do not crash', async () => {
    const before = await image('down/before');
    expect((await ask(a, before.digestKey)).item?.value?.isSuccess).toBe(true);
    await redis.stop();
    const signed = await image('down/signed');
    const unsigned = await image('down/unsigned', false);
    for (const replica of [a, b]) {
      const allowed = await ask(replica, signed.digestKey);
      expect(allowed.item?.value?.isSuccess).toBe(true);
      expect(allowed.ms).toBeLessThan(DEADLINE_MS);
      const denied = await ask(replica, unsigned.digestKey);
      expect(denied.item?.value?.isSuccess).toBe(false);
      expect(denied.ms).toBeLessThan(DEADLINE_MS);
    }
    // A's own verdict is still in its process cache.
    const local = await ask(a, before.digestKey);
    expect(local.item?.value?.isSuccess).toBe(true);
    expect(discoveryRequests(local, before.pushed, 'down/before')).toEqual([]);
    // Connection problems are logged, rate-limited: a handful of lines, not one per attempt or request.
    await sleep(1_000);
    const warnings = b
      .output()
      .split('\n')
      .filter((line) => line.includes('shared verdict cache'));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.length).toBeLessThan(10);
    expect(
      await metric(
        b,
        /^signet_cache_errors_total\{cache="verdicts_redis",operation="read",reason="unavailable"\}/,
      ),
    ).toBeGreaterThanOrEqual(2);
    expectAlive(a, b);
  });

  it('Redis restarted: the replicas reconnect and sharing resumes', async () => {
    await redis.restart();
    inspect = redis.client();
    await waitFor('both replicas to reconnect', async () => (await signetClients(inspect)) === 2);
    const { pushed, digestKey } = await image('restarted/app');
    expect((await ask(a, digestKey)).item?.value?.isSuccess).toBe(true);
    await waitFor('the verdict in Redis', async () => (await keysFor(inspect, pushed.digest)).length === 1);
    const shared = await ask(b, digestKey);
    expect(shared.item?.value?.isSuccess).toBe(true);
    expect(discoveryRequests(shared, pushed, 'restarted/app')).toEqual([]);
    expectAlive(a, b);
  });
});

describe('AUTH and TLS', () => {
  it('authenticates with --redis-password-file (default user and an ACL user) and never prints the password', async () => {
    const password = randomBytes(18).toString('base64url');
    const userPassword = randomBytes(18).toString('base64url');
    const redis = await redisServer({
      password,
      users: [
        {
          name: 'signet-acl',
          password: userPassword,
          // The least the README recommends: signet's keys and the commands it sends, nothing else.
          rules: [
            '~signet:*',
            '+getrange',
            '+pttl',
            '+set',
            '+multi',
            '+exec',
            '+ping',
            '+info',
            '+client',
            '+select',
          ],
        },
      ],
    });
    const inspect = redis.client();
    const passwordFile = join(dir, 'redis-password');
    const userPasswordFile = join(dir, 'redis-user-password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    await writeFile(userPasswordFile, userPassword, { mode: 0o600 });
    const wrongFile = join(dir, 'redis-wrong-password');
    await writeFile(wrongFile, 'not-the-password');

    const writer = await provider('auth-writer', [
      '--redis-url',
      redis.url,
      '--redis-password-file',
      passwordFile,
      '--log-level',
      'debug',
    ]);
    const aclReader = await provider('auth-acl', [
      '--redis-url',
      `redis://signet-acl@127.0.0.1:${redis.port}`,
      '--redis-password-file',
      userPasswordFile,
      '--log-level',
      'debug',
    ]);
    const refused = await provider('auth-wrong', [
      '--redis-url',
      redis.url,
      '--redis-password-file',
      wrongFile,
    ]);
    const anonymous = await provider('auth-none', ['--redis-url', redis.url]);
    await waitFor('the authenticated replicas to connect', async () => (await signetClients(inspect)) === 2);

    const { pushed, digestKey } = await image('auth/app');
    expect((await ask(writer, digestKey)).item?.value?.isSuccess).toBe(true);
    await waitFor('the verdict in Redis', async () => (await keysFor(inspect, pushed.digest)).length === 1);
    const shared = await ask(aclReader, digestKey);
    expect(shared.item?.value?.isSuccess).toBe(true);
    expect(discoveryRequests(shared, pushed, 'auth/app')).toEqual([]);

    // Refused by Redis: they verify for themselves, correctly.
    for (const replica of [refused, anonymous]) {
      const answer = await ask(replica, digestKey);
      expect(answer.item?.value?.isSuccess).toBe(true);
      expect(discoveryRequests(answer, pushed, 'auth/app').length).toBeGreaterThan(0);
    }
    await waitFor('the refusal to be logged', () => /shared verdict cache/.test(refused.output()));
    expectAlive(writer, aclReader, refused, anonymous);
    for (const replica of [writer, aclReader, refused, anonymous]) {
      expect(replica.output()).not.toContain(password);
      expect(replica.output()).not.toContain(userPassword);
    }
  });

  it('speaks TLS with rediss:// and --redis-tls-ca', async () => {
    const pki = join(dir, 'redis-pki');
    await mkdir(pki);
    const ca = await createCa(pki, 'redis-ca');
    const server = await issue(pki, ca, 'redis-server', 'serverAuth');
    const redis = await redisServer({ tls: { cert: server.cert, key: server.key, ca: ca.cert } });
    const inspect = redis.client();
    const replica = await provider('tls', ['--redis-url', redis.url, '--redis-tls-ca', ca.cert]);
    // Without the CA the server certificate is not trusted: no connection, local verification.
    const untrusting = await provider('tls-untrusted', ['--redis-url', redis.url]);
    await waitFor('the TLS replica to connect', async () => (await signetClients(inspect)) === 1);

    const { pushed, digestKey } = await image('tls/app');
    expect((await ask(replica, digestKey)).item?.value?.isSuccess).toBe(true);
    await waitFor(
      'the verdict in Redis over TLS',
      async () => (await keysFor(inspect, pushed.digest)).length === 1,
    );
    const local = await ask(untrusting, digestKey);
    expect(local.item?.value?.isSuccess).toBe(true);
    expect(discoveryRequests(local, pushed, 'tls/app').length).toBeGreaterThan(0);
    expectAlive(replica, untrusting);
  });
});
