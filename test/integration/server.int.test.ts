// The provider server over real sockets on 127.0.0.1: mutual TLS with openssl-made certificates, the
// Gatekeeper protocol, deadlines, certificate reload, readiness, metrics and graceful shutdown. The
// pipeline is a stub (the server's only dependency); no registry is involved.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { SignetError } from '../../provider/errors.js';
import { createLogger, createMetrics } from '../../provider/observability/index.js';
import type { ImagePipeline } from '../../provider/pipeline/result.types.js';
import type { ImageResult } from '../../provider/verdict/index.js';
import { startServer } from '../../provider/server/index.js';
import type { ProviderErrorResponse, ProviderResponse, RunningServer } from '../../provider/server/index.js';
import { createCa, issue, type KeyPair } from '../helpers/pki.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;
const V1BETA1 = 'externaldata.gatekeeper.sh/v1beta1';

/** Replaces a file the way Secret volumes and cert-manager do: write aside, then rename over. */
async function replaceFile(target: string, contents: string | Buffer): Promise<void> {
  const staging = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(staging, contents);
  await rename(staging, target);
}

// ---------- HTTP client ----------

interface ClientTls {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly minVersion?: 'TLSv1' | 'TLSv1.2';
  readonly maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  readonly ciphers?: string;
}

interface SendOptions {
  readonly method?: string;
  readonly body?: string | Buffer;
  readonly contentType?: string;
  readonly tls?: ClientTls;
  readonly agent?: HttpAgent;
}

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
  readonly peerFingerprint: string | undefined;
  readonly tlsProtocol: string | undefined;
}

function send(url: string, options: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers =
      options.body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' };
    const onResponse = (res: IncomingMessage): void => {
      const socket = res.socket as TLSSocket;
      const peerFingerprint =
        typeof socket.getPeerCertificate === 'function'
          ? socket.getPeerCertificate().fingerprint256
          : undefined;
      const tlsProtocol =
        typeof socket.getProtocol === 'function' ? (socket.getProtocol() ?? undefined) : undefined;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json,
          peerFingerprint,
          tlsProtocol,
        });
      });
    };
    const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
    const req = url.startsWith('https:')
      ? httpsRequest(url, { method, headers, agent: false, ...options.tls }, onResponse)
      : httpRequest(url, { method, headers, agent: options.agent ?? false }, onResponse);
    req.on('error', reject);
    req.end(options.body);
  });
}

function providerRequest(keys: readonly unknown[], apiVersion = V1BETA1): string {
  return JSON.stringify({ apiVersion, kind: 'ProviderRequest', request: { keys } });
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  attempts = 100,
  intervalMs = 50,
): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`gave up waiting for ${what} after ${attempts} attempts`);
}

// ---------- stub pipeline ----------

/**
 * Keys name their fate by their first path segment: signed, unsigned (a verdict), down (registry
 * outage), slow (finishes only when aborted), hold (finishes when the test releases it), throws.
 */
function createStubPipeline() {
  const verifyCalls = new Map<string, number>();
  const signals = new Map<string, AbortSignal>();
  const holds: Array<() => void> = [];
  let holdStarted: () => void = () => undefined;
  const holdStartedPromise = new Promise<void>((resolve) => (holdStarted = resolve));

  const result = (key: string, overrides: Partial<ImageResult>): ImageResult => ({
    key,
    isSuccess: true,
    subject: `${key}@${DIGEST}`,
    reports: [
      {
        subject: `${key}@${DIGEST}`,
        isSuccess: true,
        name: 'notation',
        verifierName: 'notation',
        type: 'notation',
        verifierType: 'notation',
        message: 'signature verification success',
        artifactType: 'application/vnd.cncf.notary.signature',
        nestedReports: [],
      },
    ],
    error: undefined,
    verifiedAt: new Date(),
    ...overrides,
  });
  const failed = (key: string, error: SignetError): ImageResult =>
    result(key, { isSuccess: false, reports: [], error });

  const pipeline: ImagePipeline = {
    async verify(key, context) {
      verifyCalls.set(key, (verifyCalls.get(key) ?? 0) + 1);
      signals.set(key, context.signal);
      const fate = key.split('/')[0] ?? '';
      switch (fate) {
        case 'signed':
          return result(key, {});
        case 'unsigned':
          return failed(key, new SignetError('SIGNATURE_NOT_FOUND', { stage: 'discover', image: key }));
        case 'down':
          return failed(
            key,
            new SignetError('REGISTRY_UNAVAILABLE', {
              stage: 'resolve',
              image: key,
              details: { host: 'down', status: 503 },
            }),
          );
        case 'slow':
          await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
          return failed(key, new SignetError('TIMEOUT', { stage: 'verify', image: key }));
        case 'throws':
          throw new Error('a pipeline bug');
        case 'hold':
          holdStarted();
          await new Promise<void>((resolve) => holds.push(resolve));
          return result(key, {});
        default:
          throw new Error(`stub pipeline has no fate for ${key}`);
      }
    },
    resolveDigest(key) {
      const fate = key.split('/')[0];
      if (fate === 'signed') return Promise.resolve(`${key}@${DIGEST}`);
      if (fate === 'down')
        return Promise.reject(new SignetError('REGISTRY_UNAVAILABLE', { stage: 'resolve', image: key }));
      return Promise.reject(new SignetError('REFERENCE_INVALID', { stage: 'reference', image: key }));
    },
  };
  return {
    pipeline,
    verifyCalls,
    signals,
    holdStarted: holdStartedPromise,
    releaseHolds: () => holds.splice(0).forEach((release) => release()),
  };
}

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { lines, logger };
}

// ---------- tests ----------

describe('startServer', () => {
  describe('configuration', () => {
    it('refuses to start without TLS files unless insecure HTTP is requested', async () => {
      const { pipeline } = createStubPipeline();
      const start = startServer({
        pipeline,
        logger: captureLogs().logger,
        metrics: createMetrics(),
        isReady: () => true,
        host: '127.0.0.1',
        port: 0,
        metricsPort: 0,
      });
      await expect(start).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    });
  });

  describe('with mutual TLS', () => {
    let dir: string;
    let server: RunningServer;
    let stub: ReturnType<typeof createStubPipeline>;
    let logs: ReturnType<typeof captureLogs>;
    let ready = false;
    let files: { certFile: string; keyFile: string; clientCaFile: string };
    let serverCa: KeyPair;
    let client: ClientTls;
    let strangerClient: ClientTls;

    const verifyUrl = () => `${server.url}/ratify/gatekeeper/v1/verify`;
    const mutateUrl = () => `${server.url}/ratify/gatekeeper/v1/mutate`;
    const post = (url: string, body: string | Buffer, contentType?: string) =>
      send(url, { body, contentType, tls: client });

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'signet-server-test-'));
      serverCa = await createCa(dir, 'server-ca');
      const clientCa = await createCa(dir, 'gatekeeper-ca');
      const strangerCa = await createCa(dir, 'stranger-ca');
      const serverPair = await issue(dir, serverCa, 'signet-server', 'serverAuth');
      const clientPair = await issue(dir, clientCa, 'gatekeeper', 'clientAuth');
      const strangerPair = await issue(dir, strangerCa, 'stranger', 'clientAuth');
      files = { certFile: serverPair.cert, keyFile: serverPair.key, clientCaFile: clientCa.cert };
      const ca = await readFile(serverCa.cert);
      client = { ca, cert: await readFile(clientPair.cert), key: await readFile(clientPair.key) };
      strangerClient = { ca, cert: await readFile(strangerPair.cert), key: await readFile(strangerPair.key) };

      stub = createStubPipeline();
      logs = captureLogs();
      server = await startServer({
        pipeline: stub.pipeline,
        logger: logs.logger,
        metrics: createMetrics(),
        isReady: () => ready,
        host: '127.0.0.1',
        port: 0,
        metricsPort: 0,
        tls: files,
        tlsReload: { pollIntervalMs: 100, debounceMs: 20 },
        protocol: { providerName: 'test-provider', deadlineMs: 400, maxKeys: 5, maxBodyBytes: 4096 },
      });
    });

    afterAll(async () => {
      await server?.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    describe('handshake', () => {
      it('rejects a client without a certificate', async () => {
        await expect(
          send(verifyUrl(), { body: providerRequest(['signed/a']), tls: { ca: client.ca } }),
        ).rejects.toThrow(/certificate required/);
      });

      it('rejects a client certificate from another CA', async () => {
        const logged = logs.lines.length;
        await expect(
          send(verifyUrl(), { body: providerRequest(['signed/a']), tls: strangerClient }),
        ).rejects.toThrow();
        expect(logs.lines.slice(logged).some((line) => line.msg === 'TLS handshake rejected')).toBe(true);
      });

      it('refuses TLS 1.1 and accepts TLS 1.2', async () => {
        // SECLEVEL=0 lets this client offer TLS 1.1 at all, so the refusal is the server's.
        const legacy = {
          ...client,
          minVersion: 'TLSv1',
          maxVersion: 'TLSv1.1',
          ciphers: 'DEFAULT@SECLEVEL=0',
        } as const;
        await expect(send(verifyUrl(), { body: providerRequest(['signed/a']), tls: legacy })).rejects.toThrow(
          /alert protocol version/,
        );
        const reply = await send(verifyUrl(), {
          body: providerRequest(['signed/a']),
          tls: { ...client, maxVersion: 'TLSv1.2' },
        });
        expect(reply.status).toBe(200);
        expect(reply.tlsProtocol).toBe('TLSv1.2');
      });

      it('answers a client certificate from the client CA over TLS 1.3', async () => {
        const reply = await post(verifyUrl(), providerRequest(['signed/a']));
        expect(reply.status).toBe(200);
        expect(reply.tlsProtocol).toBe('TLSv1.3');
      });
    });

    describe('verify', () => {
      it('answers one Ratify-compatible item per key in request order, traced', async () => {
        const keys = ['unsigned/app:1', 'signed/app:2'];
        const reply = await post(verifyUrl(), providerRequest(keys));
        expect(reply.status).toBe(200);
        const body = reply.json as ProviderResponse;
        const traceId = reply.headers['x-trace-id'];
        expect(body).toMatchObject({
          apiVersion: V1BETA1,
          kind: 'ProviderResponse',
          response: { idempotent: true },
        });
        expect(body.response.systemError).toBeUndefined();
        expect(body.response.items?.map((item) => item.key)).toEqual(keys);
        expect(body.response.items?.[0]?.value).toMatchObject({
          version: '0.2.0',
          isSuccess: false,
          traceID: traceId,
          verifierReports: [{ isSuccess: false, extensions: { code: 'SIGNATURE_NOT_FOUND' } }],
        });
        expect(body.response.items?.[1]?.value).toMatchObject({
          isSuccess: true,
          traceID: traceId,
          verifierReports: [{ name: 'notation', verifierName: 'notation', isSuccess: true }],
        });
        const keyLines = logs.lines.filter((line) => keys.includes(String(line.key)));
        expect(keyLines.length).toBeGreaterThanOrEqual(2);
        expect(keyLines.every((line) => line.traceId === traceId && line.provider === 'test-provider')).toBe(
          true,
        );
        expect(logs.lines.some((line) => line.msg === 'request finished' && line.traceId === traceId)).toBe(
          true,
        );
      });

      it('verifies a duplicated key once and answers it at each position', async () => {
        const reply = await post(verifyUrl(), providerRequest(['signed/dup', 'signed/other', 'signed/dup']));
        const body = reply.json as ProviderResponse;
        expect(body.response.items?.map((item) => item.key)).toEqual([
          'signed/dup',
          'signed/other',
          'signed/dup',
        ]);
        expect(stub.verifyCalls.get('signed/dup')).toBe(1);
      });

      it('answers in time when an image runs out of time: TIMEOUT in systemError, no cached item, others answered', async () => {
        const reply = await post(verifyUrl(), providerRequest(['slow/app', 'signed/fast']));
        expect(reply.status).toBe(200);
        const body = reply.json as ProviderResponse;
        expect(body.response.items?.map((item) => item.key)).toEqual(['signed/fast']);
        expect(body.response.systemError).toContain('TIMEOUT');
        expect(body.response.systemError).toContain('slow/app');
        expect(body.response.systemError).toContain('400 ms');
        // The answer does not wait for it, but the work goes on for the cache until its carry-over ends, then aborts.
        const signal = stub.signals.get('slow/app');
        if (signal === undefined) throw new Error('the pipeline never saw slow/app');
        if (!signal.aborted)
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        expect(signal.reason).toMatchObject({ code: 'TIMEOUT' });
      });

      it('leaves transient failures out of items and fails a throwing pipeline closed', async () => {
        const reply = await post(verifyUrl(), providerRequest(['down/app', 'throws/app', 'unsigned/x']));
        const body = reply.json as ProviderResponse;
        expect(body.response.items?.map((item) => item.key)).toEqual(['unsigned/x']);
        expect(body.response.systemError).toContain('REGISTRY_UNAVAILABLE');
        expect(body.response.systemError).toContain('INTERNAL');
      });

      it('echoes v1alpha1 requests', async () => {
        const reply = await post(
          verifyUrl(),
          providerRequest(['signed/a'], 'externaldata.gatekeeper.sh/v1alpha1'),
        );
        expect((reply.json as ProviderResponse).apiVersion).toBe('externaldata.gatekeeper.sh/v1alpha1');
      });
    });

    describe('mutate', () => {
      it('answers digest-pinned references, final errors as items and transient failures in systemError', async () => {
        const reply = await post(mutateUrl(), providerRequest(['signed/app:1', 'bad/ref', 'down/app']));
        expect(reply.status).toBe(200);
        const body = reply.json as ProviderResponse;
        expect(body.response.idempotent).toBe(true);
        expect(body.response.items).toEqual([
          { key: 'signed/app:1', value: `signed/app:1@${DIGEST}` },
          { key: 'bad/ref', error: expect.stringContaining('REFERENCE_INVALID') as unknown },
        ]);
        expect(body.response.systemError).toContain('REGISTRY_UNAVAILABLE');
      });
    });

    describe('malformed requests', () => {
      it.each<[string, number, string, string]>([
        ['invalid JSON', 400, '{"apiVersion":', 'REQUEST_INVALID'],
        [
          'a wrong apiVersion',
          400,
          providerRequest(['a'], 'externaldata.gatekeeper.sh/v9'),
          'REQUEST_INVALID',
        ],
        [
          'a wrong kind',
          400,
          JSON.stringify({ apiVersion: V1BETA1, kind: 'Nope', request: { keys: [] } }),
          'REQUEST_INVALID',
        ],
        ['keys that are not strings', 400, providerRequest([1, 2]), 'REQUEST_INVALID'],
        [
          'more keys than the limit',
          413,
          providerRequest(['a', 'b', 'c', 'd', 'e', 'f']),
          'REQUEST_TOO_LARGE',
        ],
        ['a body over the size limit', 413, providerRequest(['x'.repeat(5000)]), 'REQUEST_TOO_LARGE'],
      ])('answers %s with %i, a JSON error and a systemError', async (_case, status, body, code) => {
        const reply = await post(verifyUrl(), body);
        expect(reply.status).toBe(status);
        const parsed = reply.json as ProviderErrorResponse;
        expect(parsed.error).toMatchObject({ code, traceID: reply.headers['x-trace-id'] });
        expect(parsed.error.message.length).toBeGreaterThan(0);
        expect(parsed).toMatchObject({ kind: 'ProviderResponse', response: { idempotent: true } });
        expect(parsed.response.systemError).toContain(code);
        expect(parsed.response.items).toBeUndefined();
      });

      it('parses JSON whatever the content type', async () => {
        const reply = await post(verifyUrl(), providerRequest(['signed/a']), 'text/plain');
        expect(reply.status).toBe(200);
      });

      it('answers a wrong method with 405 and an unknown path with 404', async () => {
        const wrongMethod = await send(verifyUrl(), { tls: client });
        expect(wrongMethod.status).toBe(405);
        expect(wrongMethod.headers.allow).toBe('POST');
        const unknown = await send(`${server.url}/nope`, { tls: client });
        expect(unknown.status).toBe(404);
        expect(unknown.json).toMatchObject({ error: { code: 'REQUEST_INVALID' } });
      });
    });

    describe('probes and metrics', () => {
      it('is live at once and ready only once the config is loaded, on both ports', async () => {
        ready = false;
        expect((await send(`${server.url}/healthz`, { tls: client })).status).toBe(200);
        expect((await send(`${server.url}/readyz`, { tls: client })).status).toBe(503);
        expect((await send(`${server.metricsUrl}/readyz`)).status).toBe(503);
        ready = true;
        expect((await send(`${server.url}/readyz`, { tls: client })).status).toBe(200);
        expect((await send(`${server.metricsUrl}/readyz`)).status).toBe(200);
        expect((await send(`${server.metricsUrl}/healthz`)).status).toBe(200);
      });

      it('serves /metrics on the plain-HTTP metrics port only', async () => {
        await post(verifyUrl(), providerRequest(['signed/metrics']));
        const metrics = await send(`${server.metricsUrl}/metrics`);
        expect(metrics.status).toBe(200);
        expect(metrics.headers['content-type']).toContain('text/plain');
        expect(metrics.text).toMatch(
          /signet_requests_total\{provider="test-provider",route="verify",outcome="ok"\} \d+/,
        );
        expect(metrics.text).toMatch(
          /signet_requests_total\{provider="test-provider",route="verify",outcome="client_error"\} \d+/,
        );
        expect(metrics.text).toMatch(
          /signet_requests_total\{provider="test-provider",route="verify",outcome="system_error"\} \d+/,
        );
        expect(metrics.text).toContain(
          'signet_requests_in_flight{provider="test-provider",route="verify"} 0',
        );
        expect(metrics.text).toContain('signet_image_failures_total{outcome="inconclusive",code="TIMEOUT"}');
        expect(metrics.text).toContain('signet_request_keys_bucket');
        expect((await send(`${server.url}/metrics`, { tls: client })).status).toBe(404);
      });
    });

    describe('certificate reload', () => {
      const servedFingerprint = async () =>
        (await post(verifyUrl(), providerRequest(['signed/a']))).peerFingerprint;

      it('keeps serving the current certificate when a new file is bad, and says why', async () => {
        const before = await servedFingerprint();
        const goodCert = await readFile(files.certFile);
        await replaceFile(
          files.certFile,
          '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
        );
        await eventually('the rejection to be logged', () =>
          Promise.resolve(
            logs.lines.find((line) => line.msg === 'new TLS files rejected; keeping the current certificate'),
          ),
        );
        expect(await servedFingerprint()).toBe(before);
        await replaceFile(files.certFile, goodCert);
      });

      it('serves a replaced certificate without a restart', async () => {
        const before = await servedFingerprint();
        const renewed = await issue(dir, serverCa, 'signet-server-renewed', 'serverAuth');
        await replaceFile(files.keyFile, await readFile(renewed.key));
        await replaceFile(files.certFile, await readFile(renewed.cert));
        const after = await eventually('the renewed certificate to be served', async () => {
          const fingerprint = await servedFingerprint();
          return fingerprint !== before ? fingerprint : undefined;
        });
        expect(after).toBeDefined();
        expect(logs.lines.some((line) => line.msg === 'TLS certificate reloaded')).toBe(true);
      });
    });
  });

  describe('graceful shutdown', () => {
    it('finishes an in-flight request, closes its keep-alive socket and refuses new connections', async () => {
      const stub = createStubPipeline();
      const server = await startServer({
        pipeline: stub.pipeline,
        logger: captureLogs().logger,
        metrics: createMetrics(),
        isReady: () => true,
        host: '127.0.0.1',
        port: 0,
        metricsPort: 0,
        insecureHttp: true,
        shutdownGraceMs: 5_000,
        protocol: { deadlineMs: 5_000 },
      });
      const agent = new HttpAgent({ keepAlive: true });
      try {
        const url = `${server.url}/ratify/gatekeeper/v1/verify`;
        const inFlight = send(url, { body: providerRequest(['hold/app']), agent });
        await stub.holdStarted;
        const closed = server.close();
        expect((await send(`${server.metricsUrl}/readyz`)).status).toBe(503);
        stub.releaseHolds();
        const reply = await inFlight;
        expect(reply.status).toBe(200);
        expect(reply.headers.connection).toBe('close');
        expect((reply.json as ProviderResponse).response.items?.[0]?.key).toBe('hold/app');
        await closed;
        await expect(send(url, { body: providerRequest(['signed/a']) })).rejects.toMatchObject({
          code: 'ECONNREFUSED',
        });
      } finally {
        agent.destroy();
        stub.releaseHolds();
        await server.close();
      }
    });
  });
});
