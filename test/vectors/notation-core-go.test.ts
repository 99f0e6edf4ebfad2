/**
 * notaryproject/notation-core-go data (test/vectors/data/notation-core-go): the JWS and COSE
 * conformance encodings, certificate-file parsing, the code-signing and timestamping certificate
 * rules, and the timestamp token that must not verify.
 */
import {
  CertificateParseError,
  parseCertificateBundle,
  parseTrustStores,
  type Certificate,
} from '../../provider/trust/index.js';
import { parseNotationEnvelope, verifyEnvelopeIntegrity } from '../../provider/verifiers/notation/index.js';
import { findChainProblem } from '../../provider/verifiers/notation/chain.js';
import {
  decodeCbor,
  isCborArray,
  isCborMap,
  isTagged,
  type CborValue,
} from '../../provider/verifiers/notation/envelope/cbor.js';
import { parseSignedToken, readTstInfo } from '../../provider/trust/index.js';
import { verifySignedToken } from '../../provider/verifiers/notation/timestamp.js';
import {
  createTestCertificate,
  encodeTestCbor,
  rawSign,
  signJws,
  type TestCbor,
} from './notation-certificate-helpers.js';
import { readVector, readVectorJson } from './notation-helpers.js';

const CORE = 'notation-core-go';
const certificates = (file: string): Certificate[] =>
  parseCertificateBundle(readVector(CORE, 'x509/testdata', file));

describe('notation-core-go vectors', () => {
  describe('signature/jws/testdata/conformance.json', () => {
    const conformance = readVectorJson(CORE, 'signature/jws/testdata/conformance.json') as {
      payload: string;
      protected: string;
      header: Record<string, string>;
      signature: string;
    };
    const protectedHeader = JSON.parse(Buffer.from(conformance.protected, 'base64url').toString()) as Record<
      string,
      unknown
    >;

    it('decodes the protected header notation-core-go produces', async () => {
      const signer = await createTestCertificate({
        subject: 'CN=conformance, O=Notary, ST=WA, C=US',
        key: 'p256',
      });
      const document = {
        ...conformance,
        header: { ...conformance.header, x5c: [Buffer.from(signer.der).toString('base64')] },
      };
      const envelope = parseNotationEnvelope('application/jose+json', Buffer.from(JSON.stringify(document)));
      expect(envelope.algorithm).toBe('ES256');
      expect(envelope.contentType).toBe('application/vnd.cncf.notary.payload.v1+json');
      expect(envelope.signingScheme).toBe('notary.x509');
      expect(envelope.signingTime.toISOString()).toBe('2022-08-29T13:50:00.000Z');
      expect(envelope.expiry?.toISOString()).toBe('2099-08-30T13:50:00.000Z');
      expect(Buffer.from(envelope.payload).toString()).toBe('{"key":"hello JWS"}');
      expect(envelope.signingAgent).toBe('NotationConformanceTest/1.0.0');
      expect(
        [...envelope.extendedAttributes].sort((a, b) => String(a.key).localeCompare(String(b.key))),
      ).toEqual([
        { key: 'signedCritKey1', critical: true, value: 'signedCritValue1' },
        { key: 'signedKey1', critical: false, value: 'signedValue1' },
        { key: 'signedKey2', critical: false, value: 'signedValue1' },
        { key: 'signedKey3', critical: false, value: 'signedValue1' },
        { key: 'signedKey4', critical: false, value: 'signedValue1' },
      ]);
    });

    it('refuses the unknown critical signedCritKey1 once the signature verifies', async () => {
      const signer = await createTestCertificate({
        subject: 'CN=conformance, O=Notary, ST=WA, C=US',
        key: 'p256',
      });
      const envelope = parseNotationEnvelope(
        'application/jose+json',
        signJws({ signer, protectedHeader, payload: Buffer.from(conformance.payload, 'base64url') }),
      );
      expect(() => verifyEnvelopeIntegrity(envelope)).toThrow(/unsupported critical header "signedCritKey1"/);
    });
  });

  describe('signature/cose/testdata/conformance.json', () => {
    const conformance = readVectorJson(CORE, 'signature/cose/testdata/conformance.json') as {
      signingTime: number;
      expiry: number;
      payload: string;
      protectedHeaders: { cborHex: string };
      unprotectedHeaders: { cborHex: string };
      expectedOutput: { cborHex: string };
    };
    const protectedBytes = Buffer.from(conformance.protectedHeaders.cborHex, 'hex');

    it('is a COSE_Sign1_Tagged message with the expected header buckets', () => {
      const message = decodeCbor(Buffer.from(conformance.expectedOutput.cborHex, 'hex'));
      expect(isTagged(message) && message.tag).toBe(18);
      const parts = (isTagged(message) ? message.value : []) as readonly CborValue[];
      expect(isCborArray(parts) && parts.length).toBe(4);
      expect(Buffer.from(parts[0] as Uint8Array).equals(protectedBytes)).toBe(true);
      expect(decodeCbor(Buffer.from(conformance.unprotectedHeaders.cborHex, 'hex'))).toEqual(parts[1]);
      expect(
        Buffer.from(parts[2] as Uint8Array)
          .toString('hex')
          .toUpperCase(),
      ).toBe(conformance.payload);
      const header = decodeCbor(protectedBytes);
      expect(isCborMap(header) && header.get(1)).toBe(-38);
      expect(isCborMap(header) && header.get(2)).toEqual([
        'io.cncf.notary.signingScheme',
        'io.cncf.notary.expiry',
        'signedCritKey1',
      ]);
      expect(isCborMap(header) && header.get('io.cncf.notary.signingTime')).toEqual({
        tag: 1,
        value: conformance.signingTime,
      });
      expect(isCborMap(header) && header.get('io.cncf.notary.expiry')).toEqual({
        tag: 1,
        value: conformance.expiry,
      });
    });

    it('parses into the same signed attributes, and refuses signedCritKey1 once the signature verifies', async () => {
      const signer = await createTestCertificate({
        subject: 'CN=conformance, O=Notary, ST=WA, C=US',
        key: 'rsa3072',
      });
      const payload = Buffer.from(conformance.payload, 'hex');
      const toBeSigned = encodeTestCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
      const unprotected = new Map<number | string, TestCbor>([
        ['io.cncf.notary.signingAgent', 'NotationConformanceTest/1.0.0'],
        [33, [signer.der]],
      ]);
      const message = encodeTestCbor({
        tag: 18,
        value: [protectedBytes, unprotected, payload, rawSign('PS384', signer.privateKey, toBeSigned)],
      });
      const envelope = parseNotationEnvelope('application/cose', message);
      expect(envelope.algorithm).toBe('PS384');
      expect(envelope.signingTime.getTime()).toBe(conformance.signingTime * 1000);
      expect(envelope.expiry?.getTime()).toBe(conformance.expiry * 1000);
      expect(envelope.signingAgent).toBe('NotationConformanceTest/1.0.0');
      expect(envelope.extendedAttributes).toEqual(
        expect.arrayContaining([
          { key: 'signedKey1', critical: false, value: 'signedValue1' },
          { key: 'signedCritKey1', critical: true, value: 'signedCritValue1' },
        ]),
      );
      expect(() => verifyEnvelopeIntegrity(envelope)).toThrow(/unsupported critical header "signedCritKey1"/);
    }, 60_000);
  });

  describe('x509/testdata', () => {
    it.each<[string, number]>([
      ['pem.crt', 1],
      ['multi-pem.crt', 2],
      ['der.der', 1],
      ['multi-der.der', 2],
    ])('reads %s', (file, count) => {
      expect(certificates(file)).toHaveLength(count);
    });

    it('fails to read invalid', () => {
      expect(() => certificates('invalid')).toThrow(CertificateParseError);
    });

    it('accepts openssl-minimum-self-signed.pem as a trust anchor and as a code signing certificate', () => {
      const stores = parseTrustStores([
        {
          type: 'ca',
          name: 'min',
          files: [
            { name: 'min.pem', bytes: readVector(CORE, 'x509/testdata/openssl-minimum-self-signed.pem') },
          ],
        },
      ]);
      expect(stores.get('ca', 'min')?.certificates).toHaveLength(1);
      expect(
        findChainProblem(certificates('openssl-minimum-self-signed.pem'), 'codeSigning'),
      ).toBeUndefined();
    });

    it('accepts the DigiCert chain as a timestamping chain and refuses it for code signing', () => {
      const chain = ['timestamp_leaf.crt', 'timestamp_intermediate.crt', 'timestamp_root.crt'].flatMap(
        certificates,
      );
      expect(findChainProblem(chain, 'timestamping')).toBeUndefined();
      expect(findChainProblem(chain, 'codeSigning')).toMatch(/must not contain Timestamping eku/);
    });
  });

  describe('internal/timestamp/testdata', () => {
    it('TimeStampTokenWithInvalidSignature.p7s does not verify against tsaRootCert.cer', () => {
      const [root] = parseCertificateBundle(readVector(CORE, 'internal/timestamp/testdata/tsaRootCert.cer'));
      expect(root?.subject).toBe('CN=DigiCert Trusted Root G4,OU=www.digicert.com,O=DigiCert Inc,C=US');
      const token = parseSignedToken(
        readVector(CORE, 'internal/timestamp/testdata/TimeStampTokenWithInvalidSignature.p7s'),
      );
      expect(() => verifySignedToken(token, [root!], readTstInfo(token).genTime)).toThrow();
    });
  });
});
