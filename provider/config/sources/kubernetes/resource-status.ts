import { isRecord } from '../../schema/reader.js';
import type { ResourceOutcome } from './build-snapshot.js';

/** Ratify truncates `brieferror` for `kubectl get` columns at this length (plus "..."). */
export const MAX_BRIEF_ERROR_LENGTH = 30;

/**
 * The `status` signet writes, with Ratify's field names. Cleared fields are `null` so that a JSON
 * merge patch removes them.
 */
export interface ResourceStatus {
  readonly issuccess: boolean;
  readonly error: string | null;
  readonly brieferror: string | null;
  readonly lastfetchedtime: string;
  /** Key providers only: the certificates and keys loaded (undefined leaves the field alone). */
  readonly properties?: Readonly<Record<string, unknown>> | null;
}

function toBriefError(message: string): string {
  return message.length <= MAX_BRIEF_ERROR_LENGTH
    ? message
    : `${message.slice(0, MAX_BRIEF_ERROR_LENGTH)}...`;
}

export function toResourceStatus(
  outcome: ResourceOutcome,
  isKeyProvider: boolean,
  now: Date,
): ResourceStatus {
  const lastfetchedtime = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (outcome.$case === 'rejected') {
    return {
      issuccess: false,
      error: outcome.message,
      brieferror: toBriefError(outcome.message),
      lastfetchedtime,
      ...(isKeyProvider ? { properties: null } : {}),
    };
  }
  return {
    issuccess: outcome.error === undefined,
    error: outcome.error ?? null,
    brieferror: outcome.error === undefined ? null : toBriefError(outcome.error),
    lastfetchedtime,
    ...(isKeyProvider ? { properties: { ...(outcome.inventory ?? { certificates: [], keys: [] }) } } : {}),
  };
}

/** JSON with object keys sorted: the API server returns custom resources with keys in Go map order. */
function toCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(toCanonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${toCanonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Whether `current` (an object's status as read) already says what `desired` says, time aside. */
export function isStatusCurrent(current: unknown, desired: ResourceStatus): boolean {
  if (!isRecord(current)) return false;
  const same = (field: 'issuccess' | 'error' | 'brieferror'): boolean =>
    (current[field] ?? null) === desired[field];
  if (!same('issuccess') || !same('error') || !same('brieferror')) return false;
  if (desired.properties === undefined) return true;
  return toCanonicalJson(current.properties) === toCanonicalJson(desired.properties);
}
