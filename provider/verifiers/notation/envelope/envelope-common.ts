import { SignetError } from '../../../errors.js';
import { CertificateParseError, parseCertificate, type Certificate } from '../../../trust/index.js';
import type { SigningScheme } from './envelope.types.js';

/** Longest certificate chain an envelope may carry (DESIGN.md limits). */
export const MAX_CERTIFICATE_CHAIN_LENGTH = 10;

/** Largest notation envelope accepted (DESIGN.md limits). */
export const MAX_ENVELOPE_BYTES = 32 * 1024 * 1024;

export const HEADER = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  signingAgent: 'io.cncf.notary.signingAgent',
  timestampSignature: 'io.cncf.notary.timestampSignature',
} as const;

/** A malformed or invalid envelope: always a SIGNATURE_INVALID verdict, never a crash. */
export function invalidSignature(reason: string, cause?: unknown): SignetError {
  return new SignetError('SIGNATURE_INVALID', {
    stage: 'verify',
    reason,
    cause,
    details: { validation: 'integrity' },
  });
}

export function checkEnvelopeSize(bytes: Uint8Array): void {
  if (bytes.length > MAX_ENVELOPE_BYTES) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      reason: `signature envelope is ${bytes.length} bytes, more than the limit of ${MAX_ENVELOPE_BYTES}`,
      details: { validation: 'integrity', limit: 'envelopeBytes', max: MAX_ENVELOPE_BYTES },
    });
  }
  if (bytes.length === 0) throw invalidSignature('signature envelope is empty');
}

export function parseChain(ders: readonly Uint8Array[]): Certificate[] {
  if (ders.length === 0) throw invalidSignature('certificate chain is not present');
  if (ders.length > MAX_CERTIFICATE_CHAIN_LENGTH) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      reason: `certificate chain has ${ders.length} certificates, more than the limit of ${MAX_CERTIFICATE_CHAIN_LENGTH}`,
      details: {
        validation: 'integrity',
        limit: 'certificateChainLength',
        max: MAX_CERTIFICATE_CHAIN_LENGTH,
      },
    });
  }
  return ders.map((der) => {
    try {
      return parseCertificate(der);
    } catch (error) {
      if (error instanceof CertificateParseError) throw invalidSignature(error.message, error);
      throw error;
    }
  });
}

export function parseSigningScheme(value: unknown): SigningScheme {
  if (value === 'notary.x509' || value === 'notary.x509.signingAuthority') return value;
  throw invalidSignature(
    `unsupported SigningScheme: \`${typeof value === 'string' ? value : String(value)}\``,
  );
}

/** Headers the specification requires to be listed as critical for a scheme. */
export function requiredCriticalHeaders(scheme: SigningScheme, hasExpiry: boolean): string[] {
  const required: string[] = [HEADER.signingScheme];
  if (scheme === 'notary.x509.signingAuthority') required.push(HEADER.authenticSigningTime);
  if (hasExpiry) required.push(HEADER.expiry);
  return required;
}

/** notation-core-go's validateSigningAndExpiryTime. */
export function checkSigningAndExpiryTime(signingTime: Date | undefined, expiry: Date | undefined): Date {
  if (signingTime === undefined) throw invalidSignature('signing-time not present');
  if (expiry !== undefined && expiry.getTime() <= signingTime.getTime()) {
    throw invalidSignature('expiry cannot be equal or before the signing time');
  }
  return signingTime;
}
