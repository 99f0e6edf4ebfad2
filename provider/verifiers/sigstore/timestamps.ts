import type { Bundle, TransparencyLogEntry } from '@sigstore/bundle';
import type { RFC3161Timestamp } from '@sigstore/core';
import { VerificationError, type SignedEntity } from '@sigstore/verify';
// Pinned 4.x; these files have no `exports` barrier (see verify-bundle.ts).
import { getTSATimestamp } from '@sigstore/verify/dist/timestamp/index.js';
import { verifyTLogInclusion } from '@sigstore/verify/dist/tlog/index.js';

import { parseTstInfo } from '../../trust/index.js';
import { bundleFailure, messageOf, type Check } from './bundle-failure.js';
import type { SigstoreVerifyOptions } from './sigstore.types.js';

/** Rekor's clock and signet's may differ slightly; beyond this an integrated time "in the future" is a lie. */
const INTEGRATED_TIME_SKEW_MS = 60_000;

/** The signing times the bundle proves, and the log entry reports name. */
export interface VerifiedTimestamps {
  /** RFC 3161 times first, then Rekor integrated times. */
  readonly times: readonly Date[];
  /** Of the first log entry with an inclusion promise. */
  readonly integratedTime: Date | undefined;
  readonly logIndex: string | undefined;
}

function tlogCheck(error: unknown): Check {
  if (!(error instanceof VerificationError)) return 'tlog entry';
  if (error.code === 'TLOG_INCLUSION_PROMISE_ERROR') return 'SET';
  if (error.code === 'TLOG_INCLUSION_PROOF_ERROR' || error.code === 'TLOG_MISSING_INCLUSION_ERROR')
    return 'inclusion proof';
  return 'tlog entry';
}

/** Every log entry's inclusion (SET or inclusion proof); the integrated times an inclusion promise signs. */
function verifyTLogTimestamps(bundle: Bundle, options: SigstoreVerifyOptions): VerifiedTimestamps {
  const { image, now, trustMaterial } = options;
  const entries = bundle.verificationMaterial.tlogEntries;
  if (entries.length === 0) {
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'inclusion proof',
      'the bundle has no transparency-log entry and tLogVerify is on',
      image,
    );
  }
  const times: Date[] = [];
  let first: TransparencyLogEntry | undefined;
  for (const entry of entries) {
    try {
      verifyTLogInclusion(entry, trustMaterial.material.tlogs);
    } catch (error) {
      const detail =
        error instanceof VerificationError ? error.message : `malformed log entry (${messageOf(error)})`;
      throw bundleFailure('SIGNATURE_INVALID', tlogCheck(error), detail, image, error, {
        logIndex: entry.logIndex,
      });
    }
    // Only an inclusion promise (SET) signs the integrated time; Rekor v2 entries carry none.
    if (entry.inclusionPromise === undefined || entry.integratedTime === '0' || entry.integratedTime === '')
      continue;
    const integrated = new Date(Number(entry.integratedTime) * 1000);
    if (integrated.getTime() > now.getTime() + INTEGRATED_TIME_SKEW_MS) {
      throw bundleFailure(
        'SIGNATURE_INVALID',
        'integrated time',
        `integrated time ${integrated.toISOString()} is in the future`,
        image,
      );
    }
    times.push(integrated);
    first ??= entry;
  }
  return {
    times,
    integratedTime: first === undefined ? undefined : new Date(Number(first.integratedTime) * 1000),
    logIndex: first?.logIndex ?? entries[0]?.logIndex,
  };
}

/**
 * @sigstore/core 3 reads genTime only with no or exactly three fractional digits, but DER drops trailing zeros
 * (`.01Z`), so one valid token in ten would be refused. The TSTInfo is read by signet's RFC 3161 parser instead
 * (the one notation's timestamps use), and the package's checks see that time; everything else (signature,
 * imprint, chain) stays the package's.
 */
function withDerGenTime(timestamp: RFC3161Timestamp): RFC3161Timestamp {
  const signingTime = parseTstInfo(timestamp.tstInfo.root.toDER()).genTime;
  return new Proxy(timestamp, {
    get: (target, property): unknown =>
      property === 'signingTime' ? signingTime : Reflect.get(target, property, target),
  });
}

function verifyTSATimestamps(entity: SignedEntity, options: SigstoreVerifyOptions): Date[] {
  const times: Date[] = [];
  for (const timestamp of entity.timestamps) {
    if (timestamp.$case !== 'timestamp-authority') continue;
    try {
      const token = withDerGenTime(timestamp.timestamp);
      times.push(
        getTSATimestamp(
          token,
          entity.signature.signature,
          options.trustMaterial.material.timestampAuthorities,
        ).timestamp,
      );
    } catch (error) {
      throw bundleFailure(
        'SIGNATURE_INVALID',
        'timestamp',
        `RFC 3161 timestamp not verified (${messageOf(error)})`,
        options.image,
        error,
      );
    }
  }
  return times;
}

/**
 * sigstore-js's first step: every timestamp the bundle carries must verify — transparency-log entries (when
 * tLogVerify is on) and RFC 3161 tokens — and together they are the times the signing key must be valid at.
 */
export function verifyTimestamps(
  bundle: Bundle,
  entity: SignedEntity,
  options: SigstoreVerifyOptions,
): VerifiedTimestamps {
  const tlog = options.tLogVerify
    ? verifyTLogTimestamps(bundle, options)
    : { times: [], integratedTime: undefined, logIndex: undefined };
  return { ...tlog, times: [...verifyTSATimestamps(entity, options), ...tlog.times] };
}
