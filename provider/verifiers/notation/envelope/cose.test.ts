import { SignetError } from '../../../errors.js';
import {
  ALGORITHM_FOR_KEY,
  createTestCertificate,
  defaultCoseHeader,
  encodeTestCbor,
  signCose,
  type KeyKind,
  type TestCbor,
  type TestIdentity,
} from '../../../../test/vectors/notation-certificate-helpers.js';
import { parseNotationEnvelope, verifyEnvelopeIntegrity } from './index.js';

const COSE = 'application/cose';

function expectInvalid(bytes: Uint8Array, reason?: RegExp): void {
  let caught: unknown;
  try {
    verifyEnvelopeIntegrity(parseNotationEnvelope(COSE, bytes));
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SignetError);
  expect((caught as SignetError).code).toBe('SIGNATURE_INVALID');
  if (reason !== undefined) expect((caught as SignetError).reason).toMatch(reason);
}

function header(
  changes: Readonly<Record<string, TestCbor | undefined>>,
  numeric: Readonly<Record<number, TestCbor | undefined>> = {},
): Map<number | string, TestCbor> {
  const map = defaultCoseHeader('ES256');
  for (const [key, value] of [
    ...Object.entries(changes),
    ...Object.entries(numeric).map(([k, v]) => [Number(k), v] as const),
  ]) {
    if (value === undefined) map.delete(key);
    else map.set(key, value);
  }
  return map;
}

describe('COSE envelope', () => {
  let signer: TestIdentity;

  beforeAll(async () => {
    signer = await createTestCertificate({ subject: 'CN=cose signer, O=Notary, ST=WA, C=US' });
  });

  describe('each algorithm with its key', () => {
    it.each<KeyKind>(['rsa2048', 'p256', 'p384', 'p521'])(
      'verifies a %s signature',
      async (key) => {
        const identity = await createTestCertificate({ subject: `CN=${key}, O=Notary, ST=WA, C=US`, key });
        const envelope = parseNotationEnvelope(COSE, signCose({ signer: identity }));
        expect(envelope.algorithm).toBe(ALGORITHM_FOR_KEY[key]);
        expect(envelope.signingTime.toISOString()).toBe('2024-01-01T00:00:00.000Z');
        expect(() => verifyEnvelopeIntegrity(envelope)).not.toThrow();
      },
      60_000,
    );
  });

  describe('structure', () => {
    it('rejects an untagged COSE_Sign1', () => {
      const tagged = signCose({ signer });
      expectInvalid(tagged.subarray(1), /COSE_Sign1_Tagged/);
    });

    it('rejects another tag', () => {
      const tagged = Buffer.from(signCose({ signer }));
      tagged[0] = 0xd1;
      expectInvalid(tagged, /COSE_Sign1_Tagged/);
    });

    it('rejects a detached payload', () => {
      const protectedBytes = encodeTestCbor(defaultCoseHeader('ES256'));
      expectInvalid(
        encodeTestCbor({
          tag: 18,
          value: [protectedBytes, new Map([[33, [signer.der]]]), null, Uint8Array.of(1)],
        }),
        /content not present/,
      );
    });

    it('rejects a single certificate instead of an x5chain array', () => {
      expectInvalid(
        signCose({ signer, unprotected: new Map([[33, signer.der]]) }),
        /certificate chain is not present/,
      );
    });

    it('rejects a label in both buckets', () => {
      expectInvalid(
        signCose({ signer, unprotected: new Map<number | string, TestCbor>([[3, 'x']]) }),
        /both protected and unprotected/,
      );
    });

    it('rejects a changed payload', () => {
      const message = signCose({ signer });
      const tampered = Buffer.from(message);
      const at = tampered.indexOf(Buffer.from('sha256:'));
      tampered[at + 7] = tampered[at + 7] === 0x30 ? 0x31 : 0x30;
      expectInvalid(tampered, /signature is invalid/);
    });
  });

  describe('protected header rules', () => {
    it.each<[string, Map<number | string, TestCbor>, RegExp]>([
      ['a time without tag 1', header({ 'io.cncf.notary.signingTime': 1704067200 }), /does not have a tag/],
      [
        'a time under another tag',
        header({ 'io.cncf.notary.signingTime': { tag: 0, value: '2024-01-01T00:00:00Z' } }),
        /Tag `1`/,
      ],
      [
        'a crit label missing from the header',
        header({}, { 2: ['io.cncf.notary.signingScheme', 'absent'] }),
        /not in the protected header/,
      ],
      ['no crit', header({}, { 2: undefined }), /"crit" header/],
      [
        'expiry not critical',
        header({ 'io.cncf.notary.expiry': { tag: 1, value: 4102444800 } }),
        /not marked as critical/,
      ],
      [
        'an unknown critical label',
        header({ 'x-custom': 'v' }, { 2: ['io.cncf.notary.signingScheme', 'x-custom'] }),
        /unsupported critical header "x-custom"/,
      ],
      ['an unknown algorithm', header({}, { 1: -8 }), /signature algorithm not supported: -8/],
      ['a numeric content type', header({}, { 3: 50 }), /content type should be of 'tstr' type/],
      ['a missing signing time', header({ 'io.cncf.notary.signingTime': undefined }), /signingTime/],
    ])('rejects %s', (_name, protectedHeader, reason) => {
      expectInvalid(signCose({ signer, protectedHeader }), reason);
    });
  });

  describe('malformed input never crashes', () => {
    it.each<[string, string]>([
      ['random bytes', 'deadbeef'],
      ['an empty message', ''],
      ['a truncated message', 'd28443a10126'],
      ['a map instead of an array', 'd2a0'],
      ['indefinite lengths', 'd29f40a04040ff'],
      ['an array of three', 'd283404040'],
    ])('rejects %s as SIGNATURE_INVALID', (_name, hex) => {
      expectInvalid(Buffer.from(hex, 'hex'));
    });

    it('rejects a protected header that is not a map', () => {
      expectInvalid(
        encodeTestCbor({
          tag: 18,
          value: [Uint8Array.of(0x01), new Map([[33, [signer.der]]]), Uint8Array.of(1), Uint8Array.of(1)],
        }),
        /not a map/,
      );
    });
  });
});
