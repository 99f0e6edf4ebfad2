// A fault-injecting HTTP proxy on 127.0.0.1 in front of a real registry, for testing the client's failure handling.
// Absolute URLs the registry hands out (Location, the token realm in WWW-Authenticate) are rewritten to the proxy,
// so uploads and token requests also pass through it and can be faulted (e.g. `match: /^\/token/`).
import { randomBytes } from 'node:crypto';
import { Agent, createServer, request } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

type FaultKind =
  | { $case: 'none' }
  /** Answers nothing and holds the connection. With `afterBodyBytes`, sends the status, the headers and that many
   * body bytes first (a body that stops mid-way). With `ms`, drops the connection after that long. */
  | { $case: 'stall'; ms?: number; afterBodyBytes?: number }
  /** Destroys the connection without answering. */
  | { $case: 'reset' }
  /** Answers `code` with an OCI error body (and `Retry-After` when given). With `times`, only the first `times`
   * matching requests get it; later ones pass through. */
  | { $case: 'status'; code: 429 | 500 | 502 | 503; retryAfter?: number; times?: number }
  /** Passes status and headers (Content-Length unchanged) and the first `bytes` body bytes, then closes. */
  | { $case: 'truncate'; bytes: number }
  /** Flips the low bit of one body byte (default: the middle one), keeping every header. */
  | { $case: 'alterBody'; offset?: number }
  /** Sets Docker-Content-Digest to `digest` (default: a random sha256 digest). */
  | { $case: 'wrongDigestHeader'; digest?: string }
  /** Waits `ms` before forwarding, then passes through (injected latency). */
  | { $case: 'delay'; ms: number }
  /** A throttling registry: at most `perSecond` requests in any second pass (after `delayMs`, if given); the rest
   * are answered 429 with `Retry-After: retryAfter` (seconds, when given). */
  | { $case: 'rateLimit'; perSecond: number; retryAfter?: number; delayMs?: number };

/** A fault applies to requests whose path (with query) matches `match`, or to all requests without it. */
export type Fault = FaultKind & { match?: RegExp };
export type FaultCase = Fault['$case'];

export interface ProxiedRequest {
  method: string;
  path: string;
  /** The fault applied to this request ('none' when it passed through untouched). */
  fault: FaultCase;
  /** Status sent to the client, when one was sent. */
  status?: number;
}

export interface FaultProxy {
  /** 'http://127.0.0.1:PORT' */
  url: string;
  /** '127.0.0.1:PORT' */
  host: string;
  setFault(fault: Fault): void;
  /** Requests seen so far, in arrival order. */
  readonly requests: readonly ProxiedRequest[];
  /** The most requests in flight at once (arrived, response not yet finished) since start or clearRequests. */
  readonly maxInFlight: number;
  clearRequests(): void;
  stop(): Promise<void>;
}

const hopByHopHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEndHeaders(rawHeaders: string[], rewrite: (name: string, value: string) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (hopByHopHeaders.has(name.toLowerCase())) continue;
    out.push(name, rewrite(name, rawHeaders[i + 1]!));
  }
  return out;
}

function replaceHeader(rawHeaders: string[], name: string, value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== name.toLowerCase()) out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return [...out, name, value];
}

async function readBody(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface FaultProxyOptions {
  /** How a `delay` fault waits (default a timer); tests inject one to hold a request until they release it. */
  readonly wait?: (ms: number) => Promise<void>;
}

export async function startFaultProxy(
  targetUrl: string,
  initialFault: Fault = { $case: 'none' },
  options: FaultProxyOptions = {},
): Promise<FaultProxy> {
  const wait = options.wait ?? ((ms: number) => sleep(ms));
  const target = new URL(targetUrl);
  const targetOrigin = target.origin;
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: ProxiedRequest[] = [];
  let fault = initialFault;
  let statusFaultsSent = 0;
  let proxyOrigin = '';

  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };

  // Arrival times (ms) of the requests a rateLimit fault let through within the last second.
  const passed: number[] = [];
  const throttle = (limit: Extract<Fault, { $case: 'rateLimit' }>): Fault => {
    const now = performance.now();
    while (passed.length > 0 && passed[0]! <= now - 1000) passed.shift();
    if (passed.length >= limit.perSecond) {
      return {
        $case: 'status',
        code: 429,
        ...(limit.retryAfter === undefined ? {} : { retryAfter: limit.retryAfter }),
      };
    }
    passed.push(now);
    return limit.delayMs === undefined ? { $case: 'none' } : { $case: 'delay', ms: limit.delayMs };
  };

  /** Picks the fault for one request; a `status` fault with `times` counts down only on requests it applies to. */
  const faultFor = (path: string): Fault => {
    if (fault.match && !fault.match.test(path)) return { $case: 'none' };
    if (fault.$case === 'rateLimit') return throttle(fault);
    if (fault.$case === 'status' && fault.times !== undefined) {
      if (statusFaultsSent >= fault.times) return { $case: 'none' };
      statusFaultsSent++;
    }
    return fault;
  };

  const toProxy = (_name: string, value: string) => value.replaceAll(targetOrigin, proxyOrigin);

  const forward = (req: IncomingMessage): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const headers = endToEndHeaders(req.rawHeaders, (_name, value) =>
        value.replaceAll(proxyOrigin, targetOrigin),
      );
      const upstream = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: replaceHeader(headers, 'Host', target.host) as unknown as OutgoingHttpHeaders,
        },
        resolve,
      );
      upstream.once('error', reject);
      req.pipe(upstream);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse, entry: ProxiedRequest, applied: Fault) => {
    const send = (status: number, rawHeaders: string[]) => {
      entry.status = status;
      res.writeHead(status, rawHeaders);
    };
    switch (applied.$case) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'status': {
        req.resume();
        const body = JSON.stringify({
          errors: [{ code: 'UNAVAILABLE', message: `injected ${applied.code}` }],
        });
        const headers = ['Content-Type', 'application/json'];
        if (applied.retryAfter !== undefined) headers.push('Retry-After', String(applied.retryAfter));
        send(applied.code, headers);
        res.end(body);
        return;
      }
      case 'stall':
        if (applied.ms !== undefined) later(applied.ms, () => req.socket.destroy());
        if (applied.afterBodyBytes === undefined) return;
        break;
      case 'delay':
        await wait(applied.ms);
        break;
      case 'none':
      case 'truncate':
      case 'alterBody':
      case 'wrongDigestHeader':
      case 'rateLimit': // resolved to 'status', 'delay' or 'none' by faultFor
        break;
    }

    const upstream = await forward(req);
    const status = upstream.statusCode ?? 502;
    let headers = endToEndHeaders(upstream.rawHeaders, toProxy);
    switch (applied.$case) {
      case 'stall':
      case 'truncate': {
        const limit = applied.$case === 'stall' ? (applied.afterBodyBytes ?? 0) : applied.bytes;
        const body = await readBody(upstream);
        send(status, headers);
        res.write(body.subarray(0, limit), () => {
          // stall keeps the connection open (its timer, if any, drops it); truncate closes it short.
          if (applied.$case === 'truncate') req.socket.end();
        });
        return;
      }
      case 'alterBody': {
        const body = await readBody(upstream);
        if (body.length > 0) {
          const offset = Math.min(applied.offset ?? Math.floor(body.length / 2), body.length - 1);
          body[offset] = body[offset]! ^ 0x01;
        }
        send(status, headers);
        res.end(body);
        return;
      }
      case 'wrongDigestHeader':
        headers = replaceHeader(
          headers,
          'Docker-Content-Digest',
          applied.digest ?? `sha256:${randomBytes(32).toString('hex')}`,
        );
        break;
      case 'none':
      case 'delay':
      case 'rateLimit':
        break;
    }
    send(status, headers);
    upstream.pipe(res);
  };

  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once('close', () => (inFlight -= 1));
    const path = req.url ?? '/';
    const applied = faultFor(path);
    const entry: ProxiedRequest = { method: req.method ?? 'GET', path, fault: applied.$case };
    requests.push(entry);
    handle(req, res, entry, applied).catch((error: unknown) => {
      // The upstream registry failed or went away: answer 502 like a real proxy would.
      if (!res.headersSent) {
        entry.status = 502;
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`fault proxy: upstream error: ${error instanceof Error ? error.message : String(error)}`);
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  proxyOrigin = `http://${host}`;
  let stopped: Promise<void> | undefined;

  return {
    url: proxyOrigin,
    host,
    setFault(next: Fault) {
      fault = next;
      statusFaultsSent = 0;
    },
    get requests() {
      return [...requests];
    },
    get maxInFlight() {
      return maxInFlight;
    },
    clearRequests() {
      requests.length = 0;
      maxInFlight = inFlight;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      });
      return stopped;
    },
  };
}
