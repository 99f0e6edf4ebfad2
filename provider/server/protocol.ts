import { SignetError } from '../errors.js';
import { GATEKEEPER_API_VERSIONS } from './gatekeeper.types.js';
import type { GatekeeperApiVersion, ProviderRequest } from './gatekeeper.types.js';

export interface ProtocolOptions {
  /** Name Gatekeeper's Provider resource uses for us; recorded in logs and metrics. */
  readonly providerName: string;
  readonly verifyPath: string;
  readonly mutatePath: string;
  /** Keys per request; more is answered 413 (Gatekeeper sees the reason in systemError). */
  readonly maxKeys: number;
  /** Request body bytes; more is answered 413 before the body is buffered. */
  readonly maxBodyBytes: number;
  /** Per-request deadline; below Gatekeeper's default 3 s provider timeout so the batch always answers. */
  readonly deadlineMs: number;
}

export const DEFAULT_PROTOCOL_OPTIONS: ProtocolOptions = {
  providerName: 'ratify-provider',
  verifyPath: '/ratify/gatekeeper/v1/verify',
  mutatePath: '/ratify/gatekeeper/v1/mutate',
  maxKeys: 1000,
  maxBodyBytes: 1024 * 1024,
  deadlineMs: 2500,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isApiVersion(value: unknown): value is GatekeeperApiVersion {
  return GATEKEEPER_API_VERSIONS.some((version) => version === value);
}

function invalid(reason: string, details?: Record<string, string | number>): SignetError {
  return new SignetError('REQUEST_INVALID', { stage: 'request', reason, details });
}

/** A parsed JSON body → a validated ProviderRequest, or REQUEST_INVALID / REQUEST_TOO_LARGE. */
export function parseProviderRequest(
  body: unknown,
  limits: Pick<ProtocolOptions, 'maxKeys'>,
): ProviderRequest {
  if (!isRecord(body)) throw invalid('the request body must be a JSON object');
  const { apiVersion, kind, request } = body;
  if (!isApiVersion(apiVersion)) {
    throw invalid(
      `apiVersion must be one of ${GATEKEEPER_API_VERSIONS.join(', ')}, got ${JSON.stringify(apiVersion) ?? 'nothing'}`,
    );
  }
  if (kind !== 'ProviderRequest') {
    throw invalid(`kind must be ProviderRequest, got ${JSON.stringify(kind) ?? 'nothing'}`);
  }
  if (!isRecord(request)) throw invalid('request must be an object with a keys array');
  // Go's encoding/json drops an empty `keys` (omitempty), so an absent array means no keys.
  const keys = request.keys ?? [];
  if (!Array.isArray(keys)) throw invalid('request.keys must be an array of strings');
  if (keys.length > limits.maxKeys) {
    throw new SignetError('REQUEST_TOO_LARGE', {
      stage: 'request',
      reason: `the request has ${keys.length} keys, more than the limit of ${limits.maxKeys}`,
      details: { keys: keys.length, limit: limits.maxKeys },
    });
  }
  const badIndex = keys.findIndex((key) => typeof key !== 'string');
  if (badIndex !== -1) {
    throw invalid(`request.keys[${badIndex}] must be a string`, { index: badIndex });
  }
  return { apiVersion, kind, request: { keys: keys as string[] } };
}
