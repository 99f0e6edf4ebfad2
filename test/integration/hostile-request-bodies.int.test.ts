// Hostile request bodies against a real signet process (the request-body attacker of docs/threat-model.md):
// a gzip bomb, deeply nested JSON, an endless chunked stream and slow-loris headers. Each ends in a bounded
// time with a clear answer or a closed socket, the provider keeps serving, and its RSS stays flat.
import { connect } from 'node:net';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { MIB, providerRssBytes, startProvider, type StartedProvider } from '../helpers/process.js';

/** The provider's request timeout in this file; Node checks it at least four times per timeout. */
const REQUEST_TIMEOUT_MS = 1000;
const TIME_MARGIN_MS = 1500;
const RSS_GROWTH_LIMIT = 64 * MIB;

let provider: StartedProvider;
let rssAtStart: number;

beforeAll(async () => {
  provider = await startProvider([
    '--insecure-http',
    '--log-level',
    'warn',
    '--request-timeout-ms',
    String(REQUEST_TIMEOUT_MS),
  ]);
  rssAtStart = providerRssBytes(provider);
});

afterAll(async () => {
  await provider?.stop();
});

interface Reply {
  readonly status: number | undefined;
  readonly body: string;
  readonly ms: number;
  /** Bytes the client managed to send before the answer (for streamed bodies). */
  readonly sent: number;
}

/** POSTs to the verify path; `write` feeds the body (return false to stop) until the server answers. */
function post(headers: Record<string, string>, write: (chunk: number) => Buffer | undefined): Promise<Reply> {
  const url = new URL('/ratify/gatekeeper/v1/verify', provider.url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(url, { method: 'POST', headers }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (data: string) => (body += data));
      res.on('end', () => resolve({ status: res.statusCode, body, ms: performance.now() - started, sent }));
    });
    req.on('error', (error) => {
      // The server may close the socket after answering an oversized body: the answer is what counts.
      if (!answered) reject(error);
    });
    const pump = (index: number): void => {
      if (answered || req.destroyed) return;
      const chunk = write(index);
      if (chunk === undefined) {
        req.end();
        return;
      }
      sent += chunk.length;
      if (req.write(chunk)) setImmediate(() => pump(index + 1));
      else req.once('drain', () => pump(index + 1));
    };
    pump(0);
  });
}

describe('hostile request bodies', () => {
  it('refuses a gzip bomb without inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MIB));
    const reply = await post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, (index) =>
      index === 0 ? bomb : undefined,
    );
    expect(reply.status).toBe(415);
    expect(reply.ms).toBeLessThan(REQUEST_TIMEOUT_MS + TIME_MARGIN_MS);
  });

  it('answers deeply nested JSON within the size limit as an invalid request', async () => {
    const depth = 200_000;
    const body = Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    const reply = await post({ 'content-type': 'application/json' }, (index) =>
      index === 0 ? body : undefined,
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toContain('REQUEST_INVALID');
  });

  it('answers a chunked body 16 times the size limit with 413', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    // 16 MiB, 16 times the limit. The body parser reads the rest of a refused body to its end (discarding it;
    // the request timeout bounds how long), so the answer comes when the client stops sending.
    const reply = await post({ 'content-type': 'application/json' }, (index) =>
      index < 256 ? chunk : undefined,
    );
    expect(reply.status).toBe(413);
    expect(reply.body).toContain('REQUEST_TOO_LARGE');
  });

  it('closes a slow-loris connection that never finishes its headers', async () => {
    const url = new URL(provider.url);
    const started = performance.now();
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write('POST /ratify/gatekeeper/v1/verify HTTP/1.1\r\nHost: x\r\n');
      });
      // One more header line every 100 ms, never the blank line that ends them (bounded: 100 lines).
      let lines = 0;
      const timer = setInterval(() => {
        if (lines++ < 100 && !socket.destroyed) socket.write(`X-Slow-${lines}: 1\r\n`);
      }, 100);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve(performance.now() - started);
      });
      setTimeout(() => reject(new Error('the slow connection was never closed')), 10_000).unref();
    });
    expect(closedAfter).toBeLessThan(REQUEST_TIMEOUT_MS + TIME_MARGIN_MS);
  });

  it('keeps serving, with its memory flat', async () => {
    const health = await fetch(new URL('/healthz', provider.url));
    expect(health.status).toBe(200);
    const growth = providerRssBytes(provider) - rssAtStart;
    process.stdout.write(`hostile request bodies: provider RSS growth ${(growth / MIB).toFixed(1)} MiB\n`);
    expect(growth).toBeLessThan(RSS_GROWTH_LIMIT);
  });
});
