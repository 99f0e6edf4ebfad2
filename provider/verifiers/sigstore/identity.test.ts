import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

import { SignetError } from '../../errors.js';
import {
  FULCIO_ISSUER_V1_OID,
  FULCIO_ISSUER_V2_OID,
  toCertificateIdentity,
  verifyCertificateIdentity,
  type CertificateIdentity,
} from './identity.js';
import type { SigstorePolicy } from './sigstore.types.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function fulcioLikeCertificate(issuerExtensions: readonly x509.Extension[]): Promise<Uint8Array> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'O=sigstore.dev',
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2025-01-01T00:10:00Z'),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'email', value: 'user@example.com' },
        { type: 'url', value: 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main' },
      ]),
      ...issuerExtensions,
    ],
  });
  return new Uint8Array(certificate.rawData);
}

/** DER UTF8String, as Fulcio encodes the v2 issuer extension. */
function utf8String(value: string): ArrayBuffer {
  const bytes = Buffer.from(value, 'utf8');
  return new Uint8Array([0x0c, bytes.length, ...bytes]).buffer;
}

function verdict(identity: CertificateIdentity, policy: SigstorePolicy): string {
  try {
    verifyCertificateIdentity(identity, policy);
    return 'ok';
  } catch (error) {
    if (error instanceof SignetError) return `${error.code}: ${error.reason}`;
    throw error;
  }
}

describe('sigstore identity', () => {
  let identity: CertificateIdentity;
  beforeAll(async () => {
    identity = toCertificateIdentity(
      await fulcioLikeCertificate([
        new x509.Extension(FULCIO_ISSUER_V1_OID, false, Buffer.from('https://v1.example')),
        new x509.Extension(
          FULCIO_ISSUER_V2_OID,
          false,
          utf8String('https://token.actions.githubusercontent.com'),
        ),
      ]),
    );
  });

  describe('toCertificateIdentity', () => {
    it('reads every SAN and prefers the v2 issuer extension', () => {
      expect(identity).toEqual({
        subjects: [
          'user@example.com',
          'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main',
        ],
        issuer: 'https://token.actions.githubusercontent.com',
      });
    });

    it('falls back to the v1 issuer extension (raw bytes)', async () => {
      const v1Only = toCertificateIdentity(
        await fulcioLikeCertificate([
          new x509.Extension(FULCIO_ISSUER_V1_OID, false, Buffer.from('https://accounts.google.com')),
        ]),
      );
      expect(v1Only.issuer).toBe('https://accounts.google.com');
    });
  });

  describe('verifyCertificateIdentity', () => {
    const issuer = 'https://token.actions.githubusercontent.com';

    it.each([
      ['exact email SAN', { certificateIdentity: 'user@example.com', certificateOIDCIssuer: issuer }, 'ok'],
      [
        'regexp over the URI SAN',
        { certificateIdentityRegExp: 'https://github\\.com/org/.*', certificateOIDCIssuerRegExp: '.*' },
        'ok',
      ],
      [
        'exact identity that is only a suffix',
        { certificateIdentity: 'example.com', certificateOIDCIssuer: issuer },
        'IDENTITY_MISMATCH: identity: ',
      ],
      [
        'unanchored-looking regexp is anchored',
        { certificateIdentityRegExp: 'ser@example\\.com', certificateOIDCIssuer: issuer },
        'IDENTITY_MISMATCH: identity: ',
      ],
      [
        'wrong issuer',
        { certificateIdentity: 'user@example.com', certificateOIDCIssuer: 'https://accounts.google.com' },
        'IDENTITY_MISMATCH: issuer: ',
      ],
      [
        'issuer regexp is anchored',
        { certificateIdentity: 'user@example.com', certificateOIDCIssuerRegExp: 'token\\.actions' },
        'IDENTITY_MISMATCH: issuer: ',
      ],
      [
        'no issuer constraint',
        { certificateIdentity: 'user@example.com' },
        'CONFIG_INVALID: keyless verification needs certificateOIDCIssuer',
      ],
      [
        'invalid regexp',
        { certificateIdentityRegExp: '(', certificateOIDCIssuer: issuer },
        'CONFIG_INVALID: certificateIdentityRegExp is not',
      ],
    ] as const)('%s', (_name, policy, expected) => {
      expect(verdict(identity, policy)).toMatch(
        new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
    });
  });
});
