import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import axios from 'axios';
import type { AxiosResponse } from 'axios';
import { SignetError } from '../errors.js';
import { toNetworkError, toTimeoutError } from './registry-error.js';
import type { RequestSite } from './registry-error.js';
import { computeBackoffMs, isRetryableStatus, parseRetryAfter } from './retry.js';
import type { RetryPolicy } from './retry.js';
import { createSemaphore } from './semaphore.js';
import type { Semaphore } from './semaphore.js';
import type { RegistryRequestEvent } from './registry.types.js';

/** Enough of an error answer to name its OCI error code; the rest is discarded unread. */
const ERROR_BODY_MAX_BYTES = 16 * 1024;
const MAX_REDIRECTS = 5;

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
}

export interface HttpResponse {
  readonly status: number;
  readonly body: Buffer;
  /** A response header (name case-insensitive), repeated values joined by `, `. */
  header(name: string): string | undefined;
}

export interface CallScope {
  readonly signal: AbortSignal;
  readonly deadline?: number;
}

export interface TransportOptions {
  readonly isInsecureHost: (host: string) => boolean;
  readonly caBundle?: string;
  readonly retry: RetryPolicy;
  readonly maxConcurrencyPerHost: number;
  readonly requestTimeoutMs: number;
  readonly userAgent: string;
  readonly onRequest?: (event: RegistryRequestEvent) => void;
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

function errorMessageOf(error: unknown): string {
  // Only the message: an AxiosError also carries the request config, headers included.
  return error instanceof Error ? error.message : 'unknown error';
}

function toHeaderLookup(response: AxiosResponse<unknown>): (name: string) => string | undefined {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(response.headers as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'number')
      headers.set(name.toLowerCase(), String(value));
    else if (Array.isArray(value)) headers.set(name.toLowerCase(), value.map(String).join(', '));
  }
  return (name) => headers.get(name.toLowerCase());
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

export function createTransport(options: TransportOptions): Transport {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxConcurrencyPerHost });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: options.maxConcurrencyPerHost,
    rejectUnauthorized: true,
    ...(options.caBundle === undefined ? {} : { ca: [...rootCertificates, options.caBundle] }),
  });
  const client = axios.create({
    httpAgent,
    httpsAgent,
    maxRedirects: MAX_REDIRECTS,
    responseType: 'stream',
    decompress: true,
    validateStatus: () => true,
    // A registry may redirect blobs to storage; never follow it down to plain HTTP unless allowed.
    beforeRedirect: (redirect) => {
      const protocol: unknown = redirect['protocol'];
      const host: unknown = redirect['host'];
      if (protocol === 'http:' && !(typeof host === 'string' && options.isInsecureHost(host))) {
        throw new Error(
          `refusing redirect to plain HTTP (${typeof host === 'string' ? host : 'unknown host'})`,
        );
      }
    },
  });
  const semaphores = new Map<string, Semaphore>();

  function semaphoreFor(host: string): Semaphore {
    let semaphore = semaphores.get(host);
    if (semaphore === undefined) {
      semaphore = createSemaphore(options.maxConcurrencyPerHost);
      semaphores.set(host, semaphore);
    }
    return semaphore;
  }

  async function attempt(request: HttpRequest, scope: CallScope): Promise<AttemptOutcome> {
    const { site } = request;
    let release: () => void;
    try {
      release = await semaphoreFor(site.host).acquire(scope.signal);
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
    try {
      const response = await client.request<Readable>({
        method: request.method,
        url: request.url.toString(),
        headers: { 'User-Agent': options.userAgent, ...request.headers },
        data: request.body,
        signal: controller.signal,
      });
      const stream = response.data;
      // The body outlives axios' own abort wiring: destroy it ourselves when the attempt ends early.
      const destroyOnAbort = (): void => {
        stream.destroy(new Error('aborted'));
      };
      controller.signal.addEventListener('abort', destroyOnAbort, { once: true });
      const header = toHeaderLookup(response);
      const success = response.status >= 200 && response.status < 300;
      try {
        if (success) {
          const declared = Number(header('content-length'));
          if (request.method !== 'HEAD' && Number.isFinite(declared) && declared > request.maxBytes) {
            stream.destroy();
            throw request.tooLarge(`Content-Length ${declared}`);
          }
        }
        const body =
          request.method === 'HEAD'
            ? await readBounded(stream, 0, () => undefined)
            : await readBounded(stream, success ? request.maxBytes : ERROR_BODY_MAX_BYTES, (observed) =>
                success ? request.tooLarge(observed) : undefined,
              );
        // Reported only once the whole exchange worked: a body that breaks off is an 'error'.
        status = response.status;
        return { $case: 'response', response: { status: response.status, body, header } };
      } finally {
        controller.signal.removeEventListener('abort', destroyOnAbort);
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
      return {
        $case: 'failure',
        error: toNetworkError(site, code, errorMessageOf(error)),
        retryable: !PERMANENT_NETWORK_CODES.has(code) && !PERMANENT_NETWORK_CODES.has(causeCode),
      };
    } finally {
      clearTimeout(timer);
      scope.signal.removeEventListener('abort', onCallerAbort);
      release();
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
        delay = retryAfter;
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
          await sleep(delay, scope.signal);
        } catch {
          throw toTimeoutError(request.site, 'deadline');
        }
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
