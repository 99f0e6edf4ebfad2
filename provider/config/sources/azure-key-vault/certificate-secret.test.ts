import 'reflect-metadata';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { X509CertificateGenerator } from '@peculiar/x509';
import {
  MAX_CERTIFICATE_SECRET_BYTES,
  MAX_CHAIN_CERTIFICATES,
  parseCertificateSecret,
  PEM_CONTENT_TYPE,
  PKCS12_CONTENT_TYPE,
} from './certificate-secret.js';
import { toPublicKey } from './jwk-public-key.js';

async function selfSignedPem(name: string): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      name: `CN=${name}`,
      keys,
      signingAlgorithm: algorithm,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
    },
    webcrypto,
  );
  return certificate.toString('pem');
}

describe('parseCertificateSecret', () => {
  describe('PEM (application/x-pem-file)', () => {
    it('keeps the certificates and drops the private key block unread', async () => {
      const pem = `-----BEGIN PRIVATE KEY-----\nnot even base64!\n-----END PRIVATE KEY-----\n${await selfSignedPem('leaf')}\n${await selfSignedPem('root')}`;
      const parsed = await parseCertificateSecret(pem, PEM_CONTENT_TYPE);
      expect(parsed.ok && parsed.value.map((c) => c.subject)).toEqual(['CN=leaf', 'CN=root']);
    });

    it('refuses a secret without certificates, and more certificates than a chain has', async () => {
      expect(
        await parseCertificateSecret(
          '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
          PEM_CONTENT_TYPE,
        ),
      ).toEqual({
        ok: false,
        message: 'holds no PEM "CERTIFICATE" block',
      });
      const pem = await selfSignedPem('x');
      expect(await parseCertificateSecret(pem.repeat(MAX_CHAIN_CERTIFICATES + 1), PEM_CONTENT_TYPE)).toEqual({
        ok: false,
        message: `holds ${MAX_CHAIN_CERTIFICATES + 1} certificates, at most ${MAX_CHAIN_CERTIFICATES} are allowed`,
      });
    });
  });

  describe('bounds and content types', () => {
    it.each([
      [
        'another content type',
        'text/plain',
        /has content type "text\/plain", expected application\/x-pem-file or application\/x-pkcs12/,
      ],
      ['no content type', undefined, /has content type ""/],
    ])('refuses %s', async (_name, contentType, message) => {
      const parsed = await parseCertificateSecret('x', contentType);
      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.message).toMatch(message);
    });

    it('refuses an oversized secret before parsing it', async () => {
      const parsed = await parseCertificateSecret(
        'A'.repeat(MAX_CERTIFICATE_SECRET_BYTES + 1),
        PKCS12_CONTENT_TYPE,
      );
      expect(parsed).toEqual({ ok: false, message: `is larger than ${MAX_CERTIFICATE_SECRET_BYTES} bytes` });
    });

    it('refuses bytes that are not a PFX', async () => {
      const parsed = await parseCertificateSecret(
        Buffer.from('not der').toString('base64'),
        PKCS12_CONTENT_TYPE,
      );
      expect(parsed.ok).toBe(false);
    });
  });
});

describe('toPublicKey', () => {
  it.each([
    ['RSA', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey],
    ['EC P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey],
  ])('turns a Key Vault %s JWK into its SubjectPublicKeyInfo', (_name, key) => {
    const jwk = key.export({ format: 'jwk' });
    const bytes = (field: string | undefined) =>
      field === undefined ? undefined : Buffer.from(field, 'base64url');
    const parsed = toPublicKey({
      kty: jwk.kty === 'RSA' ? 'RSA-HSM' : 'EC',
      n: bytes(jwk.n),
      e: bytes(jwk.e),
      crv: jwk.crv,
      x: bytes(jwk.x),
      y: bytes(jwk.y),
    });
    expect(parsed.ok && Buffer.from(parsed.value.rawData)).toEqual(
      key.export({ format: 'der', type: 'spki' }),
    );
  });

  it.each([
    [{ kty: 'oct' as const }, 'has key type oct, expected RSA or EC'],
    [
      { kty: 'EC' as const, crv: 'P-256K' as const },
      'is an EC key on curve P-256K, expected P-256, P-384 or P-521',
    ],
    [{ kty: 'RSA' as const }, 'is an RSA key without n or e'],
  ])('refuses %j', (jwk, message) => {
    expect(toPublicKey(jwk)).toEqual({ ok: false, message });
  });
});
