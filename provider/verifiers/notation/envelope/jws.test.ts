import { SignetError } from '../../../errors.js';
import {
  ALGORITHM_FOR_KEY,
  createTestCertificate,
  defaultJwsHeader,
  signJws,
  type KeyKind,
  type TestIdentity,
} from '../../../../test/vectors/notation-certificate-helpers.js';
import { parseNotationEnvelope, verifyEnvelopeIntegrity } from './index.js';

const JWS = 'application/jose+json';

function expectInvalid(bytes: Uint8Array, reason?: RegExp): void {
  let caught: unknown;
  try {
    verifyEnvelopeIntegrity(parseNotationEnvelope(JWS, bytes));
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SignetError);
  expect((caught as SignetError).code).toBe('SIGNATURE_INVALID');
  if (reason !== undefined) expect((caught as SignetError).reason).toMatch(reason);
}

describe('JWS envelope', () => {
  let signer: TestIdentity;

  beforeAll(async () => {
    signer = await createTestCertificate({ subject: 'CN=jws signer, O=Notary, ST=WA, C=US' });
  });

  describe('each algorithm with its key', () => {
    it.each<KeyKind>(['rsa2048', 'rsa3072', 'rsa4096', 'p256', 'p384', 'p521'])(
      'verifies a %s signature',
      async (key) => {
        const identity = await createTestCertificate({ subject: `CN=${key}, O=Notary, ST=WA, C=US`, key });
        const envelope = parseNotationEnvelope(JWS, signJws({ signer: identity }));
        expect(envelope.algorithm).toBe(ALGORITHM_FOR_KEY[key]);
        expect(() => verifyEnvelopeIntegrity(envelope)).not.toThrow();
      },
      60_000,
    );

    it('rejects an algorithm the key does not dictate', () => {
      const header = { ...defaultJwsHeader('ES384') };
      expectInvalid(
        signJws({ signer, algorithm: 'ES256', protectedHeader: header }),
        /mismatch between signature algorithm/,
      );
    });
  });

  describe('tampering', () => {
    it('rejects a changed payload', () => {
      const document = JSON.parse(Buffer.from(signJws({ signer })).toString()) as Record<string, string>;
      document.payload = Buffer.from(
        '{"targetArtifact":{"mediaType":"x","digest":"sha256:00","size":1}}',
      ).toString('base64url');
      expectInvalid(Buffer.from(JSON.stringify(document)), /signature is invalid/);
    });

    it('rejects a changed protected header', () => {
      const document = JSON.parse(Buffer.from(signJws({ signer })).toString()) as Record<string, string>;
      const header = { ...defaultJwsHeader('ES256'), 'io.cncf.notary.signingTime': '2024-01-02T00:00:00Z' };
      document.protected = Buffer.from(JSON.stringify(header)).toString('base64url');
      expectInvalid(Buffer.from(JSON.stringify(document)), /signature is invalid/);
    });

    it('rejects a signature of the wrong length', () => {
      const document = JSON.parse(Buffer.from(signJws({ signer })).toString()) as Record<string, string>;
      document.signature = Buffer.from(
        Buffer.from(document.signature ?? '', 'base64url').subarray(1),
      ).toString('base64url');
      expectInvalid(Buffer.from(JSON.stringify(document)), /signature is invalid/);
    });
  });

  describe('protected header rules', () => {
    const base = (): Record<string, unknown> => defaultJwsHeader('ES256');
    it.each<[string, Record<string, unknown>, RegExp]>([
      ['an empty crit', { ...base(), crit: [] }, /missing "crit" header/],
      [
        'signingScheme not critical',
        { ...base(), crit: ['io.cncf.notary.expiry'], 'io.cncf.notary.expiry': '2099-01-01T00:00:00Z' },
        /not marked as critical/,
      ],
      [
        'expiry not critical',
        { ...base(), 'io.cncf.notary.expiry': '2099-01-01T00:00:00Z' },
        /not marked as critical: \[io.cncf.notary.expiry\]/,
      ],
      [
        'a critical header that is absent',
        { ...base(), crit: ['io.cncf.notary.signingScheme', 'missing'] },
        /"missing" header is marked critical but not present/,
      ],
      [
        'an unknown critical header',
        { ...base(), crit: ['io.cncf.notary.signingScheme', 'x-custom'], 'x-custom': 1 },
        /unsupported critical header "x-custom"/,
      ],
      [
        'a verification plugin',
        {
          ...base(),
          crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.verificationPlugin'],
          'io.cncf.notary.verificationPlugin': 'p',
        },
        /verification plugin "p"/,
      ],
      [
        'an unknown signing scheme',
        { ...base(), 'io.cncf.notary.signingScheme': 'notary.other' },
        /unsupported SigningScheme/,
      ],
      [
        'notary.x509 without signing time',
        { ...base(), 'io.cncf.notary.signingTime': undefined },
        /signing-time not present/,
      ],
      [
        'notary.x509 with an authentic signing time',
        { ...base(), 'io.cncf.notary.authenticSigningTime': '2024-01-01T00:00:00Z' },
        /must not be present for notary.x509/,
      ],
      [
        'signingAuthority without authentic signing time',
        {
          ...base(),
          'io.cncf.notary.signingScheme': 'notary.x509.signingAuthority',
          'io.cncf.notary.signingTime': undefined,
        },
        /must be present/,
      ],
      [
        'expiry before signing time',
        {
          ...base(),
          crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'],
          'io.cncf.notary.expiry': '2023-01-01T00:00:00Z',
        },
        /expiry cannot be equal or before the signing time/,
      ],
      ['a non-RFC 3339 time', { ...base(), 'io.cncf.notary.signingTime': 'yesterday' }, /RFC 3339/],
      ['an unsupported algorithm', { ...base(), alg: 'HS256' }, /"HS256" is not supported/],
      [
        'another payload content type',
        { ...base(), cty: 'application/json' },
        /payload content type "application\/json" not supported/,
      ],
    ])('rejects %s', (_name, header, reason) => {
      expectInvalid(signJws({ signer, protectedHeader: header }), reason);
    });

    it('keeps non-critical extended attributes', () => {
      const envelope = parseNotationEnvelope(
        JWS,
        signJws({ signer, protectedHeader: { ...base(), 'io.wabbit.note': 'x' } }),
      );
      expect(envelope.extendedAttributes).toEqual([{ key: 'io.wabbit.note', critical: false, value: 'x' }]);
      expect(() => verifyEnvelopeIntegrity(envelope)).not.toThrow();
    });
  });

  describe('malformed input never crashes', () => {
    it.each<[string, string]>([
      ['not JSON', 'invalid signature\n'],
      ['a JSON array', '[]'],
      ['no certificate chain', '{"payload":"e30","protected":"e30","signature":"AA","header":{}}'],
      ['x5c not an array', '{"payload":"e30","protected":"e30","signature":"AA","header":{"x5c":"AA=="}}'],
      ['x5c not base64', '{"payload":"e30","protected":"e30","signature":"AA","header":{"x5c":["***"]}}'],
      [
        'x5c not a certificate',
        '{"payload":"e30","protected":"e30","signature":"AA","header":{"x5c":["AAAA"]}}',
      ],
      [
        'protected not base64url',
        '{"payload":"e30","protected":"e3=","signature":"AA","header":{"x5c":["AAAA"]}}',
      ],
      [
        'payload of a wrong type',
        '{"payload":1,"protected":"e30","signature":"AA","header":{"x5c":["AAAA"]}}',
      ],
      ['invalid UTF-8', '\u00ff'],
    ])('rejects %s as SIGNATURE_INVALID', (_name, text) => {
      expectInvalid(Buffer.from(text, 'latin1'));
    });

    it('rejects a header that is not JSON', () => {
      const document = JSON.parse(Buffer.from(signJws({ signer })).toString()) as Record<string, string>;
      document.protected = Buffer.from('{"alg":').toString('base64url');
      expectInvalid(Buffer.from(JSON.stringify(document)), /protected header can't be decoded/);
    });

    it('names the first illegal base64url byte as Go does', () => {
      const document = JSON.parse(Buffer.from(signJws({ signer })).toString()) as Record<string, string>;
      document.payload = `${document.payload ?? ''}=`;
      expectInvalid(
        Buffer.from(JSON.stringify(document)),
        new RegExp(`illegal base64 data at input byte ${(document.payload.length - 1).toString()}`),
      );
    });

    it('refuses more certificates than the chain limit', () => {
      let caught: unknown;
      try {
        parseNotationEnvelope(JWS, signJws({ signer, chain: Array.from({ length: 11 }, () => signer.der) }));
      } catch (error) {
        caught = error;
      }
      expect((caught as SignetError).code).toBe('LIMIT_EXCEEDED');
    });
  });
});
