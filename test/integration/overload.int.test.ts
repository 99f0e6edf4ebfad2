// signet serve under more work than its deadline allows: a real provider process (HTTPS + mTLS) in front
// of a real olareg registry made slow by the loopback fault proxy, called by 100 concurrent batches of
// 20 distinct images. Every answer must arrive before the request deadline (plus a small margin), keys
// not finished must be named in systemError (never an allow), keys already cached must still be
// answered, and the health probes must answer on both ports while the provider is loaded. Then the
// connection-level limits: a slowly sent body, a socket that never starts its TLS handshake, the
// connection cap. Times are measured and printed; the only time bounds asserted are the configured
// deadline and timeouts.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { callProvider, type ProviderAnswer } from '../helpers/gatekeeper-client.js';
import { pushImage } from '../helpers/images.js';
import { createNotationSigner } from '../helpers/notation.js';
import { createMtlsMaterial, mtlsServeArgs, type MtlsMaterial } from '../helpers/pki.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { notationConfig } from '../helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const VERIFY = '/ratify/gatekeeper/v1/verify';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

// The load: REQUESTS concurrent batches of KEYS keys each: CACHED_PER_REQUEST digest keys of signed
// images verified before (cached), the rest tags of distinct unsigned images nobody asked for yet.
const REQUESTS = 100;
const KEYS = 20;
const SIGNED_IMAGES = 4;
const CACHED_PER_REQUEST = 2;
const UNCACHED_PER_REQUEST = KEYS - CACHED_PER_REQUEST;
const REGISTRY_DELAY_MS = 250;

const DEADLINE_MS = 1500;
const MARGIN_MS = 500;
// What the load client sees also includes its own event loop, loaded by 100 concurrent requests in this process.
const CLIENT_MARGIN_MS = 1000;
const REQUEST_TIMEOUT_MS = 1000;
const HANDSHAKE_TIMEOUT_MS = 1000;
const MAX_CONNECTIONS = 4;
// Node checks request timeouts on an interval; signet keeps it below a quarter of the timeout.
const TIMEOUT_MARGIN_MS = 1000;

let dir: string;
let pki: MtlsMaterial;
let registry: TestRegistry;
let proxy: FaultProxy;
let configPath: string;
let tls: { ca: Buffer; cert: Buffer; key: Buffer };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-overload-'));
  pki = await createMtlsMaterial(dir);
  tls = {
    ca: await readFile(pki.ca.cert),
    cert: await readFile(pki.client.cert),
    key: await readFile(pki.client.key),
  };
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  const signer = await createNotationSigner(join(dir, 'notation'), 'signet-overload');
  configPath = join(dir, 'config.yaml');
  await writeFile(
    configPath,
    notationConfig({
      trust: { $case: 'inline', certificatePem: await readFile(signer.certificatePath, 'utf8') },
    }),
  );
  signedKeys = [];
  for (let i = 0; i < SIGNED_IMAGES; i += 1) {
    const image = await pushImage(registry, 'load/signed', `v${i}`);
    await signer.sign(image.digestReference);
    signedKeys.push(`${proxy.host}/load/signed@${image.digest}`);
  }
  unsignedKeys = await pushVariants(registry, 'load/unsigned', REQUESTS * UNCACHED_PER_REQUEST);
  unsignedKeys = unsignedKeys.map((reference) => reference.replace(registry.host, proxy.host));
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

let signedKeys: string[];
let unsignedKeys: string[];

/**
 * `count` distinct unsigned images as tags `u-<i>` of `repo`: one image pushed with crane, then manifests
 * differing only in an annotation PUT straight to the registry (so each has its own digest).
 */
async function pushVariants(target: TestRegistry, repo: string, count: number): Promise<string[]> {
  const base = await pushImage(target, repo, 'base');
  const response = await fetch(`${target.url}/v2/${repo}/manifests/base`, {
    headers: { Accept: OCI_MANIFEST },
  });
  const manifest = (await response.json()) as Record<string, unknown>;
  if (base.mediaType !== OCI_MANIFEST) throw new Error(`base image has media type ${base.mediaType}`);
  const tags = Array.from({ length: count }, (_unused, i) => `u-${i}`);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tags.length) {
      const tag = tags[next]!;
      next += 1;
      const body = JSON.stringify({ ...manifest, annotations: { 'signet.test/variant': tag } });
      const put = await fetch(`${target.url}/v2/${repo}/manifests/${tag}`, {
        method: 'PUT',
        headers: { 'Content-Type': OCI_MANIFEST },
        body,
      });
      if (put.status !== 201) throw new Error(`PUT ${repo}:${tag} answered ${put.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return tags.map((tag) => `${target.host}/${repo}:${tag}`);
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(values: readonly number[]): string {
  return `n=${values.length} p50=${Math.round(quantile(values, 0.5))} ms p90=${Math.round(quantile(values, 0.9))} ms max=${Math.round(Math.max(...values))} ms`;
}

/** GET `path`; plain HTTP, or HTTPS with the client certificate; resolves with status and milliseconds taken. */
function probe(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    };
    const req = url.startsWith('https:')
      ? httpsRequest(url, { agent: false, ...tls }, onResponse)
      : httpRequest(url, { agent: false }, onResponse);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Durations of the requests for `path` the provider logged ("request finished", JSON lines), in order. */
function serverDurations(output: string, path: string): number[] {
  const durations: number[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const record = JSON.parse(line) as { msg?: string; path?: string; durationMs?: number };
      if (record.msg === 'request finished' && record.path === path && typeof record.durationMs === 'number')
        durations.push(record.durationMs);
    } catch {
      // not a log record
    }
  }
  return durations;
}

const SYSTEM_ERROR_COUNT = /^(\d+) image\(s\) could not be verified now/;

describe('signet under overload', () => {
  describe('a slow registry and more keys than the deadline allows', () => {
    let provider: StartedProvider;

    beforeAll(async () => {
      provider = await startProvider([
        '--config',
        configPath,
        ...mtlsServeArgs(pki),
        '--deadline-ms',
        String(DEADLINE_MS),
        '--log-level',
        'info',
      ]);
    });

    afterAll(async () => {
      await provider?.stop();
    });

    it('answers every batch before the deadline, leaves unfinished keys to systemError and stays healthy', async () => {
      const url = `${provider.url}${VERIFY}`;
      const client = { ca: pki.ca.cert, client: pki.client };
      // Warm-up without delay: the signed images are verified, then served once from the cache.
      proxy.setFault({ $case: 'none' });
      for (let round = 0; round < 2; round += 1) {
        const warm = await callProvider(url, signedKeys, client);
        expect(warm.body.response?.items?.map((item) => item.value?.isSuccess)).toEqual(
          signedKeys.map(() => true),
        );
      }

      proxy.setFault({ $case: 'delay', ms: REGISTRY_DELAY_MS });
      // The provider logs a request when its socket closes, which may be after the client has its answer.
      const logged = async (count: number): Promise<void> => {
        for (let wait = 0; wait < 50 && serverDurations(provider.output(), VERIFY).length < count; wait += 1)
          await new Promise((resolve) => setTimeout(resolve, 100));
      };
      await logged(2);
      const warmUpLines = serverDurations(provider.output(), VERIFY).length;
      const batches = Array.from({ length: REQUESTS }, (_unused, r) => [
        ...Array.from({ length: CACHED_PER_REQUEST }, (_u, c) => signedKeys[(r + c) % SIGNED_IMAGES]!),
        ...unsignedKeys.slice(r * UNCACHED_PER_REQUEST, (r + 1) * UNCACHED_PER_REQUEST),
      ]);

      let loading = true;
      const health: Record<'ops' | 'main', number[]> = { ops: [], main: [] };
      const healthStatuses: number[] = [];
      const pollHealth = async (port: 'ops' | 'main', path: string): Promise<void> => {
        const base = port === 'ops' ? provider.metricsUrl : provider.url;
        while (loading) {
          const { status, ms } = await probe(`${base}${path}`);
          healthStatuses.push(status);
          health[port].push(ms);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const pollers = [
        pollHealth('ops', '/healthz'),
        pollHealth('ops', '/readyz'),
        pollHealth('main', '/healthz'),
        pollHealth('main', '/readyz'),
      ];

      const started = performance.now();
      const answers: Array<{ answer: ProviderAnswer; ms: number; keys: string[] }> = await Promise.all(
        batches.map(async (keys) => {
          const sent = performance.now();
          const answer = await callProvider(url, keys, client);
          return { answer, ms: performance.now() - sent, keys };
        }),
      );
      const loadMs = performance.now() - started;
      loading = false;
      await Promise.all(pollers);
      proxy.setFault({ $case: 'none' });

      const clientTimes = answers.map((a) => a.ms);
      await logged(warmUpLines + REQUESTS);
      const serverTimes = serverDurations(provider.output(), VERIFY).slice(warmUpLines);
      let answered = 0;
      let left = 0;
      const codes = new Map<string, number>();
      for (const { answer, keys } of answers) {
        expect(answer.status).toBe(200);
        const items = answer.body.response?.items ?? [];
        const byKey = new Map(items.map((item) => [item.key, item]));
        answered += items.length;
        // Cached keys never wait behind uncached work: they are answered in every batch.
        for (const key of keys.slice(0, CACHED_PER_REQUEST))
          expect(byKey.get(key)?.value?.isSuccess).toBe(true);
        // An unsigned image is never allowed, finished or not.
        for (const key of keys.slice(CACHED_PER_REQUEST))
          expect(byKey.get(key)?.value?.isSuccess ?? false).toBe(false);
        const missing = keys.filter((key) => !byKey.has(key));
        left += missing.length;
        const systemError = answer.body.response?.systemError ?? '';
        if (missing.length === 0) {
          expect(systemError).toBe('');
          continue;
        }
        // Every key left out is counted in systemError, and only as a transient failure.
        expect(Number(SYSTEM_ERROR_COUNT.exec(systemError)?.[1])).toBe(missing.length);
        for (const key of missing.slice(0, 10)) expect(systemError).toContain(key);
        for (const [, code] of systemError.matchAll(/ ([A-Z_]+) \((?:server|resolve|discover|verify)\):/g)) {
          codes.set(code!, (codes.get(code!) ?? 0) + 1);
          expect(['TIMEOUT', 'OVERLOADED']).toContain(code);
        }
      }

      const report = [
        `overload: ${REQUESTS} concurrent requests x ${KEYS} keys, registry delay ${REGISTRY_DELAY_MS} ms, deadline ${DEADLINE_MS} ms, load took ${Math.round(loadMs)} ms`,
        `  verify server-side: ${summary(serverTimes)}`,
        `  verify client-side: ${summary(clientTimes)}`,
        `  keys answered as items: ${answered}, left to systemError: ${left} (listed codes: ${[...codes].map(([c, n]) => `${c}=${n}`).join(', ')})`,
        `  /healthz+/readyz ops port:  ${summary(health.ops)}`,
        `  /healthz+/readyz main port: ${summary(health.main)}`,
      ];
      process.stdout.write(`${report.join('\n')}\n`);

      expect(serverTimes).toHaveLength(REQUESTS);
      for (const ms of clientTimes) expect(ms).toBeLessThanOrEqual(DEADLINE_MS + CLIENT_MARGIN_MS);
      for (const ms of serverTimes) expect(ms).toBeLessThanOrEqual(DEADLINE_MS + MARGIN_MS);
      expect(healthStatuses.every((status) => status === 200)).toBe(true);
      expect(health.ops.length).toBeGreaterThan(0);
      expect(health.main.length).toBeGreaterThan(0);
      for (const ms of [...health.ops, ...health.main]) expect(ms).toBeLessThan(DEADLINE_MS);
      expect(provider.output()).not.toContain('MaxListenersExceededWarning');
    });
  });

  describe('connection limits', () => {
    let provider: StartedProvider;
    let port: number;

    beforeAll(async () => {
      provider = await startProvider([
        '--config',
        configPath,
        ...mtlsServeArgs(pki),
        '--request-timeout-ms',
        String(REQUEST_TIMEOUT_MS),
        '--tls-handshake-timeout-ms',
        String(HANDSHAKE_TIMEOUT_MS),
        '--max-connections',
        String(MAX_CONNECTIONS),
        '--log-level',
        'info',
      ]);
      port = Number(new URL(provider.url).port);
    });

    afterAll(async () => {
      await provider?.stop();
    });

    it('answers a slowly sent body 408 within the request timeout', async () => {
      const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...tls });
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      const sent = performance.now();
      socket.write(
        `POST ${VERIFY} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{`,
      );
      // One byte every 100 ms: the body would take 400 s.
      const drip = setInterval(() => socket.write(' '), 100);
      const reply = await new Promise<{ text: string; ms: number }>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        socket.on('error', () => undefined);
        socket.once('close', () => resolve({ text, ms: performance.now() - sent }));
      }).finally(() => clearInterval(drip));
      process.stdout.write(
        `slow body: ${JSON.stringify(reply.text.split('\r\n')[0])} after ${Math.round(reply.ms)} ms (requestTimeout ${REQUEST_TIMEOUT_MS} ms)\n`,
      );
      expect(reply.text.startsWith('HTTP/1.1 408')).toBe(true);
      expect(reply.ms).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS + TIMEOUT_MARGIN_MS);
    });

    it('closes sockets that never start the TLS handshake, and drops connections over the cap', async () => {
      const open = (): Promise<{ socket: Socket; closed: Promise<{ ms: number; bytes: number }> }> =>
        new Promise((resolve, reject) => {
          const socket = netConnect(port, '127.0.0.1');
          const opened = performance.now();
          let bytes = 0;
          socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
          socket.on('error', () => undefined);
          const closed = new Promise<{ ms: number; bytes: number }>((done) =>
            socket.once('close', () => done({ ms: performance.now() - opened, bytes })),
          );
          socket.once('connect', () => resolve({ socket, closed }));
          socket.once('error', reject);
        });
      const idle = [];
      for (let i = 0; i < MAX_CONNECTIONS; i += 1) idle.push(await open());
      // Give the server time to accept them before the one over the cap arrives.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const over = await open();
      let idleStillOpen = true;
      void Promise.race(idle.map((s) => s.closed)).then(() => (idleStillOpen = false));
      const overClosed = await over.closed;
      // Dropped while the idle ones were still open: the cap, not the handshake timeout, closed it.
      expect(idleStillOpen).toBe(true);
      expect(overClosed.bytes).toBe(0);
      const idleClosed = await Promise.all(idle.map((s) => s.closed));
      process.stdout.write(
        `idle pre-handshake sockets closed after ${idleClosed.map((c) => Math.round(c.ms)).join(', ')} ms (handshake timeout ${HANDSHAKE_TIMEOUT_MS} ms); over-cap connection closed after ${Math.round(overClosed.ms)} ms\n`,
      );
      for (const { ms, bytes } of idleClosed) {
        expect(bytes).toBe(0);
        expect(ms).toBeLessThanOrEqual(HANDSHAKE_TIMEOUT_MS + TIMEOUT_MARGIN_MS);
      }
      // With the idle sockets gone, a real client is served again.
      const answer = await callProvider(`${provider.url}${VERIFY}`, [], {
        ca: pki.ca.cert,
        client: pki.client,
      });
      expect(answer.status).toBe(200);
      expect(provider.output()).toContain('ERR_TLS_HANDSHAKE_TIMEOUT');
      expect(provider.output()).toContain('connection limit');
    });
  });
});
