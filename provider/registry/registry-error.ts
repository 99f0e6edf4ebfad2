import { SignetError } from '../errors.js';
import type { ErrorCode, Stage } from '../errors.js';

/** Where a registry exchange happened: enough to name it in an error, never a credential. */
export interface RequestSite {
  readonly host: string;
  readonly method: string;
  /** URL path (no query, which may carry scopes or tokens). */
  readonly path: string;
  readonly stage: Stage;
}

const STATUS_TEXT_MAX_LENGTH = 200;

function describeSite(site: RequestSite): string {
  return `${site.method} ${site.path}`;
}

/** Registry-provided text is attacker-controlled: one line, printable, short. */
function sanitize(text: string): string {
  const line = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return line.length > STATUS_TEXT_MAX_LENGTH ? `${line.slice(0, STATUS_TEXT_MAX_LENGTH)}…` : line;
}

/** The first entry of an OCI distribution error body (`{"errors":[{"code","message"}]}`), if it is one. */
function firstOciError(body: Uint8Array | undefined): { code: string; message: string } | undefined {
  if (body === undefined || body.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    // Not JSON: the status alone describes the failure.
    return undefined;
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('errors' in parsed) ||
    !Array.isArray(parsed.errors)
  ) {
    return undefined;
  }
  const first: unknown = parsed.errors[0];
  if (typeof first !== 'object' || first === null) return undefined;
  return {
    code: 'code' in first && typeof first.code === 'string' ? first.code : '',
    message: 'message' in first && typeof first.message === 'string' ? first.message : '',
  };
}

/** The OCI error code of an error body (e.g. `NAME_UNKNOWN`), if it has one. */
export function ociErrorCode(body: Uint8Array | undefined): string | undefined {
  const code = firstOciError(body)?.code;
  return code === undefined || code === '' ? undefined : code;
}

/** `CODE: message` from an OCI distribution error body, sanitized. */
function describeErrorBody(body: Uint8Array | undefined): string | undefined {
  const error = firstOciError(body);
  if (error === undefined) return undefined;
  const text = sanitize([error.code, error.message].filter((part) => part !== '').join(': '));
  return text === '' ? undefined : text;
}

export function statusErrorCode(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'REGISTRY_UNAUTHORIZED';
  if (status === 404) return 'REGISTRY_NOT_FOUND';
  if (status === 429) return 'REGISTRY_RATE_LIMITED';
  if (status >= 500) return 'REGISTRY_UNAVAILABLE';
  return 'REGISTRY_PROTOCOL';
}

/** A non-success HTTP answer as a coded error naming host and status. */
export function toStatusError(site: RequestSite, status: number, body?: Uint8Array): SignetError {
  const detail = describeErrorBody(body);
  return new SignetError(statusErrorCode(status), {
    stage: site.stage,
    reason: `registry ${site.host} answered HTTP ${status} to ${describeSite(site)}${detail === undefined ? '' : ` (${detail})`}`,
    details: { host: site.host, status },
  });
}

export function toNetworkError(site: RequestSite, errorCode: string, message: string): SignetError {
  return new SignetError('REGISTRY_UNAVAILABLE', {
    stage: site.stage,
    reason: `registry ${site.host} could not be reached for ${describeSite(site)}: ${sanitize(`${errorCode} ${message}`)}`,
    details: { host: site.host, status: 'network', errorCode },
  });
}

export function toTimeoutError(
  site: RequestSite,
  reason: 'deadline' | 'requestTimeout',
  timeoutMs?: number,
): SignetError {
  const why =
    reason === 'deadline'
      ? 'the verification deadline passed'
      : `no complete answer within ${timeoutMs ?? 0} ms`;
  return new SignetError('TIMEOUT', {
    stage: site.stage,
    reason: `registry ${site.host} did not finish ${describeSite(site)}: ${why}`,
    details: { host: site.host, status: 'timeout' },
  });
}

export function toProtocolError(site: RequestSite, problem: string, status?: number): SignetError {
  return new SignetError('REGISTRY_PROTOCOL', {
    stage: site.stage,
    reason: `registry ${site.host} answered ${describeSite(site)} with invalid content: ${problem}`,
    details: { host: site.host, status: status ?? 'none' },
  });
}

export function toDigestMismatchError(site: RequestSite, problem: string, status?: number): SignetError {
  return new SignetError('DIGEST_MISMATCH', {
    stage: site.stage,
    reason: `content from registry ${site.host} for ${describeSite(site)} does not match: ${problem}`,
    details: { host: site.host, status: status ?? 'none' },
  });
}

export function toLimitError(
  site: RequestSite,
  limitName: string,
  limitBytes: number,
  observed: string,
): SignetError {
  return new SignetError('LIMIT_EXCEEDED', {
    stage: site.stage,
    reason: `registry ${site.host} content for ${describeSite(site)} exceeds ${limitName} (${limitBytes} bytes): ${observed}`,
    details: { host: site.host, limit: limitName, limitValue: limitBytes },
  });
}

export function toCountLimitError(
  site: RequestSite,
  limitName: string,
  limitValue: number,
  observed: string,
): SignetError {
  return new SignetError('LIMIT_EXCEEDED', {
    stage: site.stage,
    reason: `registry ${site.host}: ${observed} for ${describeSite(site)} exceeds ${limitName} (${limitValue})`,
    details: { host: site.host, limit: limitName, limitValue },
  });
}
