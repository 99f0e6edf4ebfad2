// signet serve as a separate process, called as Gatekeeper calls it (HTTPS + mTLS), in front of a real
// olareg registry (and the fault proxy for failures): the whole foundation, no stubs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/fault-proxy.js';
import { callProvider, type ProviderAnswer } from '../helpers/gatekeeper-client.js';
import { pushImage, tagImage } from '../helpers/images.js';
import { createMtlsMaterial, mtlsServeArgs, type MtlsMaterial } from '../helpers/pki.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { notationConfig } from '../helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const VERIFY = '/ratify/gatekeeper/v1/verify';
const MUTATE = '/ratify/gatekeeper/v1/mutate';

let dir: string;
let pki: MtlsMaterial;
let registry: TestRegistry;
let proxy: FaultProxy;
let provider: StartedProvider;

function call(path: string, keys: readonly string[]): Promise<ProviderAnswer> {
  return callProvider(`${provider.url}${path}`, keys, { ca: pki.ca.cert, client: pki.client });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-provider-'));
  pki = await createMtlsMaterial(dir);
  registry = await startRegistry({ auth: 'basic' });
  proxy = await startFaultProxy(registry.url);
  const configPath = join(dir, 'config.yaml');
  await writeFile(
    configPath,
    notationConfig({
      trust: { $case: 'paths', paths: [dir] },
      credentials: { [proxy.host]: { username: registry.username ?? '', password: registry.password ?? '' } },
    }),
  );
  provider = await startProvider([
    '--config',
    configPath,
    ...mtlsServeArgs(pki),
    '--deadline-ms',
    '1500',
    '--log-level',
    'warn',
  ]);
});

afterAll(async () => {
  await provider?.stop();
  await proxy?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => proxy.setFault({ $case: 'none' }));

describe('signet provider against a real registry', () => {
  describe('verdicts', () => {
    it('answers an unsigned image as a cached verdict with the seed wording, one item per key in order', async () => {
      const image = await pushImage(registry, 'app/unsigned', 'v1');
      const key = image.reference.replace(registry.host, proxy.host);
      const answer = await call(VERIFY, [key, `[team-a]${key}`, 'Not A Reference']);
      expect(answer.status).toBe(200);
      const items = answer.body.response?.items ?? [];
      expect(items.map((i) => i.key)).toEqual([key, `[team-a]${key}`, 'Not A Reference']);
      expect(items[0]?.value?.isSuccess).toBe(false);
      expect(items[0]?.value?.verifierReports?.[0]?.message).toBe(
        `image verification failed for ${key}: signature not found`,
      );
      expect(items[0]?.value?.verifierReports?.[0]?.subject).toBe(
        `${proxy.host}/app/unsigned@${image.digest}`,
      );
      expect(items[2]?.value?.isSuccess).toBe(false);
      expect(String(items[2]?.value?.verifierReports?.[0]?.message)).toContain('Not A Reference');
      expect(answer.body.response?.systemError ?? '').toBe('');
      expect(answer.body.response?.idempotent).toBe(true);
    });

    it('never reuses a verdict for a tag that moved to another image (keyed by digest)', async () => {
      const first = await pushImage(registry, 'app/moving', 'v1');
      const second = await pushImage(registry, 'app/moving', 'next');
      const key = first.reference.replace(registry.host, proxy.host);
      const before = await call(VERIFY, [key]);
      expect(before.body.response?.items?.[0]?.value?.verifierReports?.[0]?.subject).toContain(first.digest);
      await tagImage(registry, second.reference, 'v1');
      // The tag→digest resolution is cached briefly (30 s); a digest reference is always exact.
      const pinned = `${proxy.host}/app/moving@${second.digest}`;
      const after = await call(VERIFY, [pinned]);
      expect(after.body.response?.items?.[0]?.value?.verifierReports?.[0]?.subject).toContain(second.digest);
    });
  });

  describe('mutate', () => {
    it('answers the digest-pinned reference', async () => {
      const image = await pushImage(registry, 'app/mutate', 'v1');
      const key = image.reference.replace(registry.host, proxy.host);
      const answer = await call(MUTATE, [key]);
      expect(answer.body.response?.items?.[0]).toEqual({
        key,
        value: `${proxy.host}/app/mutate@${image.digest}`,
      });
    });
  });

  describe('transient failures are left for Gatekeeper to retry', () => {
    it.each([
      ['503', { $case: 'status', code: 503 } as const, 'REGISTRY_UNAVAILABLE'],
      ['reset', { $case: 'reset' } as const, 'REGISTRY_UNAVAILABLE'],
      ['stall', { $case: 'stall' } as const, 'TIMEOUT'],
    ])('%s → no item, systemError naming the code, batch still answered', (name, fault, code) =>
      expectTransientFailureLeftOut(name, fault, code),
    );

    it('answers a verdict again once the registry recovers', async () => {
      const image = await pushImage(registry, 'app/recovers', 'v1');
      const key = image.reference.replace(registry.host, proxy.host);
      proxy.setFault({ $case: 'status', code: 502, match: /recovers/ });
      expect((await call(VERIFY, [key])).body.response?.items).toEqual([]);
      proxy.setFault({ $case: 'none' });
      const answer = await call(VERIFY, [key]);
      expect(answer.body.response?.items?.[0]?.value?.isSuccess).toBe(false);
      expect(answer.body.response?.systemError ?? '').toBe('');
    });

    it.each([
      ['altered manifest body', { $case: 'alterBody', match: /manifests\/sha256/ } as const],
      ['truncated manifest', { $case: 'truncate', bytes: 10, match: /manifests/ } as const],
    ])('%s never becomes an allow', async (_name, fault) => {
      const image = await pushImage(registry, 'app/tamper', _name.startsWith('altered') ? 'a' : 't');
      const key = `${proxy.host}/app/tamper@${image.digest}`;
      proxy.setFault(fault);
      const answer = await call(VERIFY, [key]);
      const item = answer.body.response?.items?.[0];
      expect(item?.value?.isSuccess === true).toBe(false);
      expect(answer.status).toBe(200);
    });
  });

  describe('duplicates and concurrency', () => {
    it('verifies a key repeated in a batch and across concurrent batches once', async () => {
      const image = await pushImage(registry, 'app/popular', 'v1');
      const key = `${proxy.host}/app/popular@${image.digest}`;
      proxy.clearRequests();
      const answers = await Promise.all(Array.from({ length: 8 }, () => call(VERIFY, [key, key, key])));
      for (const answer of answers) expect(answer.body.response?.items).toHaveLength(3);
      const referrerCalls = proxy.requests.filter((r) => r.path.includes('/referrers/'));
      expect(referrerCalls.length).toBe(1);
    });
  });
});

// Last: a Retry-After pauses every request to the host (signet honours it per host), which would fail the cases after it.
describe('a rate-limited registry', () => {
  it('429 with Retry-After → no item, REGISTRY_RATE_LIMITED at once, batch still answered', () =>
    expectTransientFailureLeftOut(
      '429',
      { $case: 'status', code: 429, retryAfter: 5 },
      'REGISTRY_RATE_LIMITED',
    ));
});

/** A batch of a cached good key and a key whose registry requests meet `fault`: the good one answered, the other left for retry. */
async function expectTransientFailureLeftOut(name: string, fault: Fault, code: string): Promise<void> {
  const good = await pushImage(registry, 'app/good', 'v1');
  const bad = await pushImage(registry, `app/fault-${name}`, 'v1');
  const goodKey = `${proxy.host}/app/good@${good.digest}`;
  await call(VERIFY, [goodKey]); // cached verdict: answered without the registry
  proxy.setFault({ ...fault, match: /fault-/ });
  const badKey = bad.reference.replace(registry.host, proxy.host);
  // A stalled registry never answers: the answer itself proves the request deadline cut the work off.
  const answer = await call(VERIFY, [goodKey, badKey]);
  expect(answer.status).toBe(200);
  expect(answer.body.response?.items?.map((i) => i.key)).toEqual([goodKey]);
  expect(answer.body.response?.systemError).toContain(code);
  expect(answer.body.response?.systemError).toContain(badKey);
}
