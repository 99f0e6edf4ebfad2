import { lookup as systemLookup } from 'node:dns/promises';
import type { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Readable, Transform } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { SignetError } from '../errors.js';
import { nodeHttp as http } from '../node-http.js';
import { checkDestination, checkRedirect, checkResolvedAddresses } from './egress-policy.js';
import type { EgressContext, EgressVerdict } from './egress-policy.js';
import { toNetworkError, toTimeoutError } from './registry-error.js';
import type { RequestSite } from './registry-error.js';
import { computeBackoffMs, isRetryableStatus, parseRetryAfter } from './retry.js';
import type { RetryPolicy } from './retry.js';
import { DEFAULT_CONCURRENCY_LIMITS } from './concurrency-controller.js';
import type { RequestFeedback } from './concurrency-controller.js';
import { createKeyedSemaphore } from './semaphore.js';
import type { Release } from './semaphore.js';
import type { RegistryRequestEvent } from './registry.types.js';
import { raceAbort } from './race-abort.js';

/** Enough of an error answer to name its OCI error code; the rest is discarded unread. */
const ERROR_BODY_MAX_BYTES = 16 * 1024;
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers that name who is asking: never carried to another origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** A form body (token endpoint POST). */
  readonly body?: string;
  readonly site: RequestSite;
  /** Bound on a success body, checked against Content-Length and while streaming. */
  readonly maxBytes: number;
  /** The error for a success body over `maxBytes` (`observed` says how it was noticed). */
  readonly tooLarge: (observed: string) => SignetError;
  /**
   * The registry request whose answer named `url` (a token realm). The URL is then checked against the egress
   * rules as a redirect target of that request would be, and its redirects are judged from that registry.
   */
  readonly namedBy?: { readonly url: URL; readonly site: RequestSite };
}

export interface HttpResponse {
  readonly status: number;
  /** Empty for a failure status from another origin (a redirect target's error body is never read). */
  readonly body: Buffer;
  /** The answer came from another origin than the request's (after a cross-origin redirect). */
  readonly fromOtherOrigin: boolean;
  /** A response header (name case-insensitive), repeated values joined by `, `. */
  header(name: string): string | undefined;
}

export interface CallScope {
  readonly signal: AbortSignal;
  readonly deadline?: number;
}

/** One address a name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Name resolution for registry connections: every address of a name. */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface TransportOptions {
  readonly isInsecureHost: (host: string) => boolean;
  /** Hosts (`host[:port]`) explicitly configured, exempt from the egress address rules. Default: none. */
  readonly isConfiguredHost?: (host: string) => boolean;
  /** Name resolution for every connection (default: the system resolver, as Node's own). */
  readonly resolveHost?: HostResolver;
  readonly caBundle?: string;
  readonly retry: RetryPolicy;
  /** The ceiling of the adaptive per-host concurrency (see concurrency-controller.ts) and of each host's pool. */
  readonly maxConcurrencyPerHost: number;
  readonly requestTimeoutMs: number;
  readonly userAgent: string;
  readonly onRequest?: (event: RegistryRequestEvent) => void;
  /** Waits before a retry; default a timer that rejects when the signal aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface Transport {
  /**
   * One HTTP exchange with bounded retries on 429/5xx/network failures. Returns the final
   * response whatever its status; throws TIMEOUT, REGISTRY_UNAVAILABLE or the request's size error.
   */
  send(request: HttpRequest, scope: CallScope): Promise<HttpResponse>;
  close(): void;
}

type AttemptOutcome =
  | { readonly $case: 'response'; readonly response: HttpResponse }
  | { readonly $case: 'failure'; readonly error: SignetError; readonly retryable: boolean };

// Network failures that will not heal within a verification deadline: name resolution, TLS trust,
// redirect loops. Everything else (reset, refused, timeout, truncated body) is retried.
const PERMANENT_NETWORK_CODES = new Set([
  'ENOTFOUND',
  'ERR_FR_TOO_MANY_REDIRECTS',
  'ERR_FR_REDIRECTION_FAILURE',
  'ERR_INVALID_URL',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function errorCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return 'EUNKNOWN';
}

/** The statuses a registry uses to say it is overloaded, which shrink its adaptive limit. */
function isThrottlingStatus(status: number): boolean {
  return status === 429 || status === 503;
}

function retryAfterOf(value: string | undefined): { retryAfterMs?: number } {
  const retryAfterMs = parseRetryAfter(value);
  return retryAfterMs === undefined ? {} : { retryAfterMs };
}

function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}

/** A response header (name case-insensitive); Node already joins repeated values with `, ` (set-cookie aside). */
function toHeaderLookup(headers: IncomingHttpHeaders): (name: string) => string | undefined {
  return (name) => {
    const value = headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  };
}

/** The body as sent, decoded when the server compressed it anyway (signet never asks for an encoding). */
function decodedBody(response: IncomingMessage): Readable {
  const encoding = response.headers['content-encoding']?.trim().toLowerCase();
  let decoder: Transform | undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') decoder = createGunzip();
  else if (encoding === 'deflate') decoder = createInflate();
  else if (encoding === 'br') decoder = createBrotliDecompress();
  if (decoder === undefined) return response;
  const decoding = decoder;
  // A broken compressed stream fails the read, like a broken connection; destroying the result ends both.
  response.on('error', (error) => decoding.destroy(error));
  decoding.on('close', () => response.destroy());
  return response.pipe(decoding);
}

/** Reads a response stream to a buffer, never holding more than `maxBytes`. */
async function readBounded(
  stream: Readable,
  maxBytes: number,
  onOverflow: (observed: string) => SignetError | undefined,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      if (total + buffer.length > maxBytes) {
        const error = onOverflow(`more than ${maxBytes} bytes received`);
        if (error !== undefined) throw error;
        chunks.push(buffer.subarray(0, maxBytes - total));
        total = maxBytes;
        break;
      }
      chunks.push(buffer);
      total += buffer.length;
    }
  } finally {
    if (!stream.destroyed) stream.destroy();
  }
  return Buffer.concat(chunks, total);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const systemResolver: HostResolver = async (hostname) =>
  (await systemLookup(hostname, { all: true, verbatim: true })).map((entry) => ({
    address: entry.address,
    family: entry.family === 6 ? 6 : 4,
  }));

/** A Node `lookup` answering from `resolve`, honouring the family and `all` the socket asks for. */
function toLookup(resolve: (hostname: string) => Promise<readonly ResolvedAddress[]>): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    const requested = lookupOptions.family;
    const family = requested === 'IPv4' ? 4 : requested === 'IPv6' ? 6 : requested;
    resolve(hostname).then(
      (addresses) => {
        const wanted =
          family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        const [first] = wanted;
        if (first === undefined) {
          const error: NodeJS.ErrnoException = new Error(`no usable address for ${hostname}`);
          error.code = 'ENOTFOUND';
          callback(error, '', 0);
        } else if (lookupOptions.all === true) {
          callback(
            null,
            wanted.map((entry) => ({ address: entry.address, family: entry.family })),
          );
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => {
        callback(error instanceof Error ? error : new Error(String(error)), '', 0);
      },
    );
  };
}

function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.host === b.host;
}

function describeSite(site: RequestSite): string {
  return `${site.method} ${site.path}`;
}

const REFUSED_DESTINATION_REMEDIATION =
  'The registry sent signet to a destination it never contacts (plain HTTP after HTTPS, link-local, cloud ' +
  'metadata, unspecified, or loopback for a registry that is not on loopback); fix the registry or its storage ' +
  'redirect configuration.';

function toRefusedRedirectError(site: RequestSite, reason: string): SignetError {
  return new SignetError('REGISTRY_PROTOCOL', {
    stage: site.stage,
    reason: `registry ${site.host} redirected ${describeSite(site)} to a refused destination (${reason})`,
    remediation: REFUSED_DESTINATION_REMEDIATION,
    details: { host: site.host, status: 'redirect' },
  });
}

function toRefusedRealmError(namedBy: RequestSite, reason: string): SignetError {
  return new SignetError('REGISTRY_PROTOCOL', {
    stage: namedBy.stage,
    reason: `registry ${namedBy.host} named a token realm for ${describeSite(namedBy)} at a refused destination (${reason})`,
    remediation: REFUSED_DESTINATION_REMEDIATION,
    details: { host: namedBy.host, status: 'realm' },
  });
}

/** How a hop connects: the pooled agents (the registry's own origin), or a fresh connection to checked addresses. */
type HopConnection =
  | { readonly $case: 'pooled' }
  | { readonly $case: 'dedicated'; readonly pinned?: readonly ResolvedAddress[] };

/** One request of a redirect chain. */
interface Hop {
  readonly method: HttpRequest['method'];
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** The hop left the request's origin: its answer is another party's, its failures are not echoed. */
  readonly otherOrigin: boolean;
  readonly connection: HopConnection;
}

/** The next request after a 3xx (RFC 9110 §15.4): 303, and 301/302 after POST, become a GET without body. */
function toRedirectedHop(
  hop: Hop,
  status: number,
  url: URL,
  origin: URL,
  connection: HopConnection,
): Hop | string {
  const toGet =
    status === 303 ? hop.method !== 'GET' && hop.method !== 'HEAD' : status <= 302 && hop.method === 'POST';
  const method = toGet ? 'GET' : hop.method;
  const body = toGet ? undefined : hop.body;
  const crossOrigin = !sameOrigin(url, hop.url);
  // A body carries grants and refresh tokens: it goes to no other origin.
  if (body !== undefined && crossOrigin) return `it would resend the request body to ${url.host}`;
  const headers = Object.fromEntries(
    Object.entries(hop.headers).filter(([name]) => {
      const lower = name.toLowerCase();
      if (toGet && lower === 'content-type') return false;
      return !(crossOrigin && CREDENTIAL_HEADERS.has(lower));
    }),
  );
  return {
    method,
    url,
    headers,
    body,
    otherOrigin: hop.otherOrigin || !sameOrigin(url, origin),
    connection,
  };
}

export function createTransport(options: TransportOptions): Transport {
  const resolveHost = options.resolveHost ?? systemResolver;
  const agentLookup = options.resolveHost === undefined ? {} : { lookup: toLookup(options.resolveHost) };
  const ca = options.caBundle === undefined ? {} : { ca: [...rootCertificates, options.caBundle] };
  // As axios did before: HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment are honoured.
  const proxyEnv = { proxyEnv: process.env };
  const ceiling = options.maxConcurrencyPerHost;
  // Pools sized for the adaptive limit's ceiling, so a burst never waits for a socket the limiter granted.
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: ceiling, ...agentLookup, ...proxyEnv });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: ceiling,
    rejectUnauthorized: true,
    ...ca,
    ...agentLookup,
    ...proxyEnv,
  });
  // Destinations a registry named get connections of their own, never pooled: a pooled socket would skip the
  // address check of the hop that reuses it. The lookup is given per request (pinned to the checked addresses).
  const dedicatedHttpAgent = new http.Agent({ keepAlive: false, ...proxyEnv });
  const dedicatedHttpsAgent = new https.Agent({
    keepAlive: false,
    rejectUnauthorized: true,
    ...ca,
    ...proxyEnv,
  });
  const isConfiguredHost = options.isConfiguredHost ?? (() => false);
  // One adaptive semaphore per registry host, dropped when the host is idle: keys name arbitrary hosts, so the
  // map must not keep one entry for every host ever named.
  const semaphores = createKeyedSemaphore({
    ...DEFAULT_CONCURRENCY_LIMITS,
    initial: Math.min(DEFAULT_CONCURRENCY_LIMITS.initial, ceiling),
    max: ceiling,
    maxPauseMs: options.retry.maxRetryAfterMs,
  });

  function egressContext(request: HttpRequest): EgressContext {
    return {
      registry: request.namedBy?.url ?? request.url,
      isConfiguredHost,
      isInsecureHost: options.isInsecureHost,
    };
  }

  /** Applies an egress verdict: resolves and checks a name, or throws `refuse(reason)`. */
  async function admit(
    verdict: EgressVerdict,
    destination: URL,
    context: EgressContext,
    signal: AbortSignal,
    refuse: (reason: string) => SignetError,
  ): Promise<HopConnection> {
    if (verdict.$case === 'refused') throw refuse(verdict.reason);
    if (sameOrigin(destination, context.registry)) return { $case: 'pooled' };
    if (!verdict.resolveAndCheck) return { $case: 'dedicated' };
    const addresses = await raceAbort(resolveHost(destination.hostname), signal);
    const checked = checkResolvedAddresses(
      destination.hostname,
      addresses.map((entry) => entry.address),
      context,
    );
    if (checked.$case === 'refused') throw refuse(checked.reason);
    return { $case: 'dedicated', pinned: addresses };
  }

  /**
   * Sends one hop and resolves with its response head; the body is left to stream. Redirects are never followed
   * here (see `attempt`), and no encoding is asked for: registry answers are small JSON or blobs.
   */
  function sendHop(hop: Hop, signal: AbortSignal): Promise<IncomingMessage> {
    const secure = hop.url.protocol === 'https:';
    let agent: HttpAgent;
    let lookup: LookupFunction | undefined;
    if (hop.connection.$case === 'pooled') {
      agent = secure ? httpsAgent : httpAgent;
    } else {
      agent = secure ? dedicatedHttpsAgent : dedicatedHttpAgent;
      const { pinned } = hop.connection;
      if (pinned !== undefined) lookup = toLookup(() => Promise.resolve(pinned));
      else if (options.resolveHost !== undefined) lookup = toLookup(options.resolveHost);
    }
    const headers: Record<string, string> = { ...hop.headers };
    if (hop.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(hop.body));
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request(hop.url, {
        method: hop.method,
        headers,
        agent,
        signal,
        ...(lookup === undefined ? {} : { lookup }),
      });
      request.once('response', resolve);
      request.once('error', reject);
      request.end(hop.body);
    });
  }

  async function attempt(request: HttpRequest, scope: CallScope): Promise<AttemptOutcome> {
    const { site } = request;
    let release: Release;
    try {
      release = await semaphores.acquire(site.host, scope.signal);
    } catch {
      return { $case: 'failure', error: toTimeoutError(site, 'deadline'), retryable: false };
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('request timeout')), options.requestTimeoutMs);
    const onCallerAbort = (): void => controller.abort(new Error('deadline'));
    if (scope.signal.aborted) onCallerAbort();
    else scope.signal.addEventListener('abort', onCallerAbort, { once: true });
    const started = performance.now();
    let status: number | 'error' = 'error';
    // What the host's adaptive limit learns from this attempt; no answer says nothing about its load.
    let feedback: RequestFeedback = { $case: 'failed' };
    const context = egressContext(request);
    let hop: Hop | undefined;
    try {
      const { namedBy } = request;
      const first =
        namedBy === undefined
          ? ({ $case: 'pooled' } as const)
          : await admit(
              checkDestination(request.url, context),
              request.url,
              context,
              controller.signal,
              (reason) => toRefusedRealmError(namedBy.site, reason),
            );
      hop = {
        method: request.method,
        url: request.url,
        headers: { 'User-Agent': options.userAgent, ...request.headers },
        body: request.body,
        otherOrigin: false,
        connection: first,
      };
      for (let redirects = 0; ; redirects += 1) {
        const current: Hop = hop;
        const response = await sendHop(current, controller.signal);
        const stream = decodedBody(response);
        const answerStatus = response.statusCode ?? 0;
        // The body outlives the request's own abort wiring once the head is in: destroy it when the attempt ends.
        const destroyOnAbort = (): void => {
          stream.destroy(new Error('aborted'));
        };
        controller.signal.addEventListener('abort', destroyOnAbort, { once: true });
        const header = toHeaderLookup(response.headers);
        const location = header('location');
        try {
          if (REDIRECT_STATUSES.has(answerStatus) && location !== undefined) {
            // A redirect's own body is never read.
            stream.destroy();
            if (redirects >= MAX_REDIRECTS) {
              return {
                $case: 'failure',
                error: toNetworkError(
                  site,
                  'ERR_FR_TOO_MANY_REDIRECTS',
                  `more than ${MAX_REDIRECTS} redirects`,
                ),
                retryable: false,
              };
            }
            let target: URL;
            try {
              target = new URL(location, current.url);
            } catch {
              throw toRefusedRedirectError(site, 'the Location header is not a URL');
            }
            const connection = await admit(
              checkRedirect(current.url, target, context),
              target,
              context,
              controller.signal,
              (reason) => toRefusedRedirectError(site, reason),
            );
            const next = toRedirectedHop(current, answerStatus, target, request.url, connection);
            if (typeof next === 'string') throw toRefusedRedirectError(site, next);
            hop = next;
            continue;
          }
          const success = answerStatus >= 200 && answerStatus < 300;
          if (success) {
            const declared = Number(header('content-length'));
            if (request.method !== 'HEAD' && Number.isFinite(declared) && declared > request.maxBytes) {
              stream.destroy();
              throw request.tooLarge(`Content-Length ${declared}`);
            }
          }
          // Another origin's failure answer is not the registry's to explain: its body is discarded unread.
          const body =
            request.method === 'HEAD' || (!success && current.otherOrigin)
              ? await readBounded(stream, 0, () => undefined)
              : await readBounded(stream, success ? request.maxBytes : ERROR_BODY_MAX_BYTES, (observed) =>
                  success ? request.tooLarge(observed) : undefined,
                );
          // Reported only once the whole exchange worked: a body that breaks off is an 'error'.
          status = answerStatus;
          feedback = isThrottlingStatus(answerStatus)
            ? { $case: 'throttled', ...retryAfterOf(header('retry-after')) }
            : { $case: 'answered', latencyMs: performance.now() - started };
          return {
            $case: 'response',
            response: { status: answerStatus, body, fromOtherOrigin: current.otherOrigin, header },
          };
        } finally {
          controller.signal.removeEventListener('abort', destroyOnAbort);
        }
      }
    } catch (error) {
      if (scope.signal.aborted)
        return { $case: 'failure', error: toTimeoutError(site, 'deadline'), retryable: false };
      if (controller.signal.aborted) {
        return {
          $case: 'failure',
          error: toTimeoutError(site, 'requestTimeout', options.requestTimeoutMs),
          retryable: true,
        };
      }
      if (error instanceof SignetError) return { $case: 'failure', error, retryable: false };
      const code = errorCodeOf(error);
      const cause = typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined;
      const causeCode = cause === undefined ? code : errorCodeOf(cause);
      // Past a redirect to another origin, the failure is named by the registry's request, not the destination's text.
      const message =
        hop?.otherOrigin === true ? 'after a redirect to another origin' : errorMessageOf(error);
      return {
        $case: 'failure',
        error: toNetworkError(site, code, message),
        retryable: !PERMANENT_NETWORK_CODES.has(code) && !PERMANENT_NETWORK_CODES.has(causeCode),
      };
    } finally {
      clearTimeout(timer);
      scope.signal.removeEventListener('abort', onCallerAbort);
      release(feedback);
      options.onRequest?.({
        host: site.host,
        method: request.method,
        status,
        durationMs: performance.now() - started,
      });
    }
  }

  /** The wait before the next attempt, or undefined when retrying is pointless. */
  function retryDelay(outcome: AttemptOutcome, attemptNumber: number, scope: CallScope): number | undefined {
    if (attemptNumber >= options.retry.maxAttempts) return undefined;
    let delay = computeBackoffMs(attemptNumber, options.retry);
    if (outcome.$case === 'response') {
      if (!isRetryableStatus(outcome.response.status)) return undefined;
      const retryAfter = parseRetryAfter(outcome.response.header('retry-after'));
      if (retryAfter !== undefined) {
        // Waiting longer than the cap would outlast any sensible deadline: fail now instead.
        if (retryAfter > options.retry.maxRetryAfterMs) return undefined;
        // Jittered, so that the requests one Retry-After held back do not all return in the same instant.
        delay = retryAfter + computeBackoffMs(1, options.retry);
      }
    } else if (!outcome.retryable) {
      return undefined;
    }
    if (scope.deadline !== undefined && Date.now() + delay >= scope.deadline) return undefined;
    return delay;
  }

  return {
    async send(request, scope) {
      for (let attemptNumber = 1; ; attemptNumber += 1) {
        const outcome = await attempt(request, scope);
        const delay = retryDelay(outcome, attemptNumber, scope);
        if (delay === undefined) {
          if (outcome.$case === 'failure') throw outcome.error;
          return outcome.response;
        }
        try {
          await (options.sleep ?? sleep)(delay, scope.signal);
        } catch {
          throw toTimeoutError(request.site, 'deadline');
        }
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
      dedicatedHttpAgent.destroy();
      dedicatedHttpsAgent.destroy();
    },
  };
}
