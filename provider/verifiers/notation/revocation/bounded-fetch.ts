import type { ServerResult } from './revocation.types.js';

export class RevocationFetchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RevocationFetchError';
  }
}

export interface BoundedRequest {
  readonly method: 'GET' | 'POST';
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * One plain-HTTP exchange (notation fetches OCSP and CRLs over http only) with a size cap checked
 * before and while buffering, and a timeout combined with the caller's deadline.
 */
export async function fetchBounded(url: string, request: BoundedRequest): Promise<Uint8Array> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new RevocationFetchError(`invalid URL ${JSON.stringify(url)}`, { cause: error });
  }
  if (parsed.protocol !== 'http:')
    throw new RevocationFetchError(`unsupported endpoint ${url}: only http URLs are supported`);
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal === undefined ? timeout : AbortSignal.any([request.signal, timeout]);
  let response: Response;
  try {
    response = await fetch(parsed, {
      method: request.method,
      body: request.body,
      headers: request.contentType === undefined ? {} : { 'content-type': request.contentType },
      redirect: 'error',
      signal,
    });
  } catch (error) {
    const why = timeout.aborted
      ? `timed out after ${request.timeoutMs} ms`
      : error instanceof Error
        ? error.message
        : String(error);
    throw new RevocationFetchError(`${request.method} ${url} failed: ${why}`, { cause: error });
  }
  if (response.status < 200 || response.status >= 300) {
    await response.body?.cancel();
    throw new RevocationFetchError(`${request.method} ${url} failed with status code ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > request.maxBytes) {
    await response.body?.cancel();
    throw new RevocationFetchError(
      `${request.method} ${url}: response of ${declared} bytes exceeds the ${request.maxBytes}-byte limit`,
    );
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (reader === undefined) return new Uint8Array(0);
  try {
    for (;;) {
      const read: { done: boolean; value?: unknown } = await reader.read();
      if (read.done) break;
      const value = read.value;
      if (!(value instanceof Uint8Array))
        throw new RevocationFetchError(`${request.method} ${url}: unexpected response body chunk`);
      total += value.length;
      if (total > request.maxBytes) {
        await reader.cancel();
        throw new RevocationFetchError(
          `${request.method} ${url}: response exceeds the ${request.maxBytes}-byte limit`,
        );
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof RevocationFetchError) throw error;
    throw new RevocationFetchError(
      `${request.method} ${url}: reading the response failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return Buffer.concat(chunks);
}

export function unknownResult(error: unknown): ServerResult {
  return { status: 'unknown', detail: error instanceof Error ? error.message : String(error) };
}
