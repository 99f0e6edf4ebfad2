import type { ErrorCode, SignetError } from '../../../errors.js';
import {
  parseSignedToken,
  readTstInfo,
  timestampLowerLimit,
  timestampUpperLimit,
  TimestampError,
  validateTstInfo,
  type Certificate,
  type Timestamp,
  type TrustStores,
} from '../../../trust/index.js';
import { quote } from '../chain.js';
import type { SignatureEnvelope } from '../envelope/index.js';
import { verifySignedToken } from '../timestamp.js';
import type { TrustPolicyStatement } from '../trust-policy.js';
import { verifyChainRevocation, type RevocationChecker } from './revocation.js';
import { formatRfc1123z, stageFailure } from './stage-failure.js';

export interface AuthenticTimestampInput {
  readonly envelope: SignatureEnvelope;
  readonly statement: TrustPolicyStatement;
  readonly trustStores: TrustStores;
  readonly now: Date;
  readonly revocation: RevocationChecker | undefined;
  readonly signal: AbortSignal | undefined;
}

export type AuthenticTimestampResult =
  | { readonly $case: 'verified'; readonly timestamp: Timestamp | undefined }
  | { readonly $case: 'failed'; readonly error: SignetError };

/**
 * notation's authenticTimestamp validation. signingAuthority signatures carry an authentic signing
 * time, inside which every chain certificate must be valid. notary.x509 signatures are checked
 * against an RFC 3161 countersignature when the statement names a `tsa` store (always, or only
 * once the chain has expired with `verifyTimestamp: afterCertExpiry`); without one, every chain
 * certificate must be valid now.
 */
export async function verifyAuthenticTimestamp(
  input: AuthenticTimestampInput,
): Promise<AuthenticTimestampResult> {
  const { envelope, statement, now } = input;
  const chain = envelope.certificateChain;
  if (envelope.signingScheme === 'notary.x509.signingAuthority') {
    const signingTime = envelope.signingTime;
    const invalid = chain.find(
      (certificate) => signingTime < certificate.notBefore || signingTime > certificate.notAfter,
    );
    if (invalid === undefined) return { $case: 'verified', timestamp: undefined };
    return failed(
      `certificate ${quote(invalid.subject)} was not valid when the digital signature was produced at ${quote(formatRfc1123z(signingTime))}`,
      'EXPIRED',
    );
  }

  const tsaStores = statement.trustStores.filter((store) => store.type === 'tsa');
  const chainExpired = chain.some((certificate) => now > certificate.notAfter);
  const useTimestamp = tsaStores.length > 0 && (statement.verifyTimestamp === 'always' || chainExpired);
  if (!useTimestamp) {
    for (const certificate of chain) {
      if (now < certificate.notBefore) {
        return failed(
          `verification time is before certificate ${quote(certificate.subject)} validity period, it will be valid from ${quote(formatRfc1123z(certificate.notBefore))}`,
          'EXPIRED',
        );
      }
      if (now > certificate.notAfter) {
        return failed(
          `verification time is after certificate ${quote(certificate.subject)} validity period, it was expired at ${quote(formatRfc1123z(certificate.notAfter))}`,
          'EXPIRED',
        );
      }
    }
    return { $case: 'verified', timestamp: undefined };
  }

  if (envelope.timestampToken === undefined || envelope.timestampToken.length === 0) {
    return failed('no timestamp countersignature was found in the signature envelope');
  }
  let timestamp: Timestamp;
  let tsaChain: Certificate[];
  try {
    const token = wrap('failed to parse timestamp countersignature with error', () =>
      parseSignedToken(envelope.timestampToken ?? new Uint8Array(0)),
    );
    const info = wrap('failed to get the timestamp TSTInfo with error', () => readTstInfo(token));
    timestamp = wrap('failed to get timestamp from timestamp countersignature with error', () =>
      validateTstInfo(info, envelope.signature),
    );
    const roots: Certificate[] = [];
    for (const reference of tsaStores) {
      const store = input.trustStores.get('tsa', reference.name);
      if (store === undefined) {
        throw new TimestampError(
          `failed to load tsa trust store with error: the trust store ${JSON.stringify(reference.name)} of type "tsa" does not exist`,
        );
      }
      roots.push(...store.certificates);
    }
    if (roots.length === 0) throw new TimestampError('no trusted TSA certificate found in trust store');
    tsaChain = wrap('failed to verify the timestamp countersignature with error', () =>
      verifySignedToken(token, roots, timestamp.time),
    );
  } catch (error) {
    if (error instanceof TimestampError) return failed(error.message, 'SIGNATURE_INVALID', error);
    throw error;
  }
  if (timestampLowerLimit(timestamp) < envelope.signingTime.getTime()) {
    return failed(
      `timestamp ${formatRange(timestamp)} is not bounded after the signing time ${quote(envelope.signingTime.toISOString())}`,
    );
  }
  for (const certificate of chain) {
    if (timestampLowerLimit(timestamp) < certificate.notBefore.getTime()) {
      return failed(
        `timestamp can be before certificate ${quote(certificate.subject)} validity period, it will be valid from ${quote(formatRfc1123z(certificate.notBefore))}`,
        'EXPIRED',
      );
    }
    if (timestampUpperLimit(timestamp) > certificate.notAfter.getTime()) {
      return failed(
        `timestamp can be after certificate ${quote(certificate.subject)} validity period, it was expired at ${quote(formatRfc1123z(certificate.notAfter))}`,
        'EXPIRED',
      );
    }
  }
  if (input.revocation !== undefined) {
    const revocationError = await verifyChainRevocation(input.revocation, {
      chain: tsaChain,
      purpose: 'timestamping',
      authenticSigningTime: undefined,
      signal: input.signal,
    });
    if (revocationError !== undefined)
      return failed(
        `failed to check timestamping certificate chain revocation with error: ${revocationError.reason}`,
        revocationError.code,
        revocationError,
      );
  }
  return { $case: 'verified', timestamp };
}

function wrap<T>(prefix: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof TimestampError) throw new TimestampError(`${prefix}: ${error.message}`);
    throw error;
  }
}

function formatRange(timestamp: Timestamp): string {
  const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
  return `[${iso(timestampLowerLimit(timestamp))}, ${iso(timestampUpperLimit(timestamp))}]`;
}

function failed(
  reason: string,
  code: ErrorCode = 'SIGNATURE_INVALID',
  cause?: unknown,
): AuthenticTimestampResult {
  return { $case: 'failed', error: stageFailure(code, 'authenticTimestamp', reason, cause) };
}
