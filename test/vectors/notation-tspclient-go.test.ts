/**
 * notaryproject/tspclient-go data (test/vectors/data/tspclient-go): RFC 3161 tokens and responses
 * checked by signet's timestamp verification, with the outcomes the vectors README states. signet
 * verifies tokens the way tspclient's SignedToken does (signer named by SigningCertificateV2, TSA
 * chain to a trusted root, timeStamping EKU); CMS-layer rows are run at that layer where the
 * README's expectation is about it (signed attributes, signer lookup).
 */
import {
  parseCertificateBundle,
  readChildren,
  readDer,
  readSmallInteger,
  type Certificate,
} from '../../provider/trust/index.js';
import {
  findSigningCertificate,
  parseSignedToken,
  readTstInfo,
  validateTstInfo,
  verifySignedAttributes,
  type SignedToken,
} from '../../provider/trust/index.js';
import { verifySignedToken } from '../../provider/verifiers/notation/timestamp.js';
import { readVector } from './notation-helpers.js';

const TSP = 'tspclient-go/testdata';
const CMS = 'tspclient-go/internal/cms/testdata';
const [GLOBALSIGN_R3] = parseCertificateBundle(readVector(TSP, 'GlobalSignRootCA.crt')) as [Certificate];
const NOTATION = Buffer.from('notation');
const token = (folder: string, file: string): SignedToken => parseSignedToken(readVector(folder, file));
const verifyAtGenTime = (
  signed: SignedToken,
  roots: readonly Certificate[] = [GLOBALSIGN_R3],
): Certificate[] => verifySignedToken(signed, roots, readTstInfo(signed).genTime);

describe('tspclient-go vectors', () => {
  describe('testdata/TimeStampToken.p7s', () => {
    const signed = token(TSP, 'TimeStampToken.p7s');

    it('verifies against GlobalSignRootCA.crt and carries the stated TSTInfo', () => {
      const chain = verifyAtGenTime(signed);
      expect(chain).toHaveLength(4);
      const info = readTstInfo(signed);
      expect(info.policy).toBe('1.3.6.1.4.1.4146.2.3');
      const timestamp = validateTstInfo(info, NOTATION);
      expect(timestamp.time.toISOString()).toBe('2021-09-17T14:09:10.000Z');
      expect(timestamp.accuracyMs).toBe(1000);
    });

    it('fails for any other message', () => {
      expect(() => validateTstInfo(readTstInfo(signed), Buffer.from('notation2'))).toThrow(
        /mismatched message/,
      );
    });

    it('fails with an empty root pool', () => {
      expect(() => verifyAtGenTime(signed, [])).toThrow(/certificate signed by unknown authority/);
    });
  });

  describe('testdata tokens', () => {
    it('TimeStampTokenWithValidAndInvalidSignerInfos.p7s passes on its valid SignerInfo', () => {
      expect(verifyAtGenTime(token(TSP, 'TimeStampTokenWithValidAndInvalidSignerInfos.p7s'))).toHaveLength(4);
    });

    it.each<[string, RegExp]>([
      ['TimeStampTokenWithoutCertificate.p7s', /signing certificate not found/],
      ['TimeStampTokenWithInvalidSignature.p7s', /crypto\/rsa: verification error/],
    ])('%s fails verification', (file, reason) => {
      expect(() => verifyAtGenTime(token(TSP, file))).toThrow(reason);
    });

    it('TimeStampTokenWithInvalideContentType.p7s is not a TSTInfo token', () => {
      expect(() => token(TSP, 'TimeStampTokenWithInvalideContentType.p7s')).toThrow(
        /unexpected content type/,
      );
    });

    it('TimeStampTokenWithInvalidTSTInfo.p7s has no readable TSTInfo', () => {
      expect(() => readTstInfo(token(TSP, 'TimeStampTokenWithInvalidTSTInfo.p7s'))).toThrow(
        /cannot unmarshal TSTInfo/,
      );
    });

    it('TimeStampTokenWithTSTInfoVersion2.p7s has the wrong TSTInfo version', () => {
      expect(() =>
        validateTstInfo(readTstInfo(token(TSP, 'TimeStampTokenWithTSTInfoVersion2.p7s')), NOTATION),
      ).toThrow(/version must be 1/);
    });

    it('SHA1TimeStampToken.p7s uses an unrecognized imprint hash', () => {
      expect(() => validateTstInfo(readTstInfo(token(TSP, 'SHA1TimeStampToken.p7s')), NOTATION)).toThrow(
        /unrecognized hash algorithm: 1.2.840.113549.1.1.5/,
      );
    });
  });

  describe('SigningCertificateV2 lookup', () => {
    const lookup = (file: string): Certificate => {
      const signed = token(TSP, file);
      return findSigningCertificate(signed, signed.signerInfos[0]!);
    };

    it.each<[string, RegExp]>([
      ['TimeStampTokenWithoutSigningCertificate.p7s', /SigningCertificateV2 .*attribute not found/],
      ['TimeStampTokenWithSigningCertificateV1.p7s', /SigningCertificateV2 .*attribute not found/],
      [
        'TimeStampTokenWithWrongSigningCertificateV2IssuerChoiceTag.p7s',
        /issuer name is missing in IssuerSerial/,
      ],
      ['TimeStampTokenWithSHA1CertHash.p7s', /unsupported certificate hash algorithm/],
      ['TimeStampTokenWithMismatchCertHash.p7s', /signing certificate hash does not match CertHash/],
      ['TimeStampTokenWithInvalidSigningCertificateV2.p7s', /failed to get SigningCertificateV2/],
      ['TimeStampTokenWithSigningCertificateV2NoCert.p7s', /does not contain any certificate/],
    ])('%s fails', (file, reason) => {
      expect(() => lookup(file)).toThrow(reason);
    });

    it('TimeStampTokenWithoutSigningCertificateV2IssuerSerial.p7s falls back to the signer ID', () => {
      expect(lookup('TimeStampTokenWithoutSigningCertificateV2IssuerSerial.p7s').subject).toMatch(
        /^CN=Globalsign TSA for Advanced/,
      );
    });
  });

  describe('responses', () => {
    const response = (file: string): { status: number; token: Uint8Array | undefined } => {
      const [statusInfo, tokenNode] = readChildren(readDer(readVector(TSP, file), 'ber'), 'ber');
      return {
        status: readSmallInteger(readChildren(statusInfo!, 'ber')[0], 'status'),
        token: tokenNode?.encoded,
      };
    };

    it('granted.tsq holds a token over "notation" that verifies at 2022-01-01', () => {
      const granted = response('granted.tsq');
      expect(granted.status).toBe(0);
      const signed = parseSignedToken(granted.token!);
      expect(validateTstInfo(readTstInfo(signed), NOTATION).time.toISOString()).toBe(
        '2021-09-18T11:54:34.000Z',
      );
      const chain = verifySignedToken(signed, [GLOBALSIGN_R3], new Date('2022-01-01T00:00:00Z'));
      expect(chain).toHaveLength(4);
      expect(chain[0]?.fingerprint).toMatch(/^13d6e9c4.*ccc6f9$/);
    });

    it('rejection.tsq is a rejection without a token', () => {
      expect(response('rejection.tsq')).toEqual({ status: 2, token: undefined });
    });

    it('malformed.tsq fails to decode', () => {
      expect(() => response('malformed.tsq')).toThrow();
    });
  });

  describe('internal/cms/testdata (trust anchor: the last embedded certificate, at 2024-01-09)', () => {
    const AT = new Date('2024-01-09T00:00:00Z');
    const verifyCms = (file: string): Certificate[] => {
      const signed = token(CMS, file);
      const anchor = signed.certificates[signed.certificates.length - 1];
      return verifySignedToken(signed, anchor === undefined ? [] : [anchor], AT);
    };

    it('TimeStampToken.p7s verifies at 2022-01-01 against GlobalSignRootCA.crt and not without roots', () => {
      const signed = token(CMS, 'TimeStampToken.p7s');
      expect(verifySignedToken(signed, [GLOBALSIGN_R3], new Date('2022-01-01T00:00:00Z'))).toHaveLength(4);
      expect(() => verifySignedToken(signed, [], new Date('2022-01-01T00:00:00Z'))).toThrow(
        /unknown authority/,
      );
    });

    it('TimeStampTokenWithAnInvalidAndAValidSignerInfo.p7s verifies', () => {
      expect(verifyCms('TimeStampTokenWithAnInvalidAndAValidSignerInfo.p7s')).toHaveLength(4);
    });

    it.each([
      'TimeStampTokenWithoutCertificate.p7s',
      'TimeStampTokenWithoutSigner.p7s',
      'TimeStampTokenWithSignerVersion2.p7s',
      'TimeStampTokenWithInvalidSignature.p7s',
    ])('%s fails verification', (file) => {
      expect(() => verifyCms(file)).toThrow();
    });

    it.each([
      'Sha1SignedData.p7s',
      'SignedDataWithoutSignedAttributes.p7s',
      'TimeStampTokenWithInvalidContentType.p7s',
      'TimeStampTokenWithInvalidCertificates.p7s',
    ])('%s is refused as a timestamp token', (file) => {
      expect(() => token(CMS, file)).toThrow();
    });

    describe('signed attributes (checked against the embedded certificates, as upstream does)', () => {
      const checkAttributes = (file: string): void => {
        const signed = token(CMS, file);
        verifySignedAttributes(signed, signed.signerInfos[0]!, signed.certificates);
      };

      it('TimeStampTokenWithSigningTime.p7s passes', () => {
        expect(() => checkAttributes('TimeStampTokenWithSigningTime.p7s')).not.toThrow();
      });

      it.each([
        'TimeStampTokenWithoutSignedAttributeContentType.p7s',
        'TimeStampTokenInvalidSignedAttributeContentType.p7s',
        'TimeStampTokenWithoutSignedAttributeDigest.p7s',
        'TimeStampTokenWithSignedAttributeSHA1.p7s',
        'TimeStampTokenWithInvalidSigningTime.p7s',
        'TimeStampTokenWithSigningTimeBeforeExpected.p7s',
        'TimeStampTokenWithoutSignedAttributes.p7s',
      ])('%s fails', (file) => {
        expect(() => checkAttributes(file)).toThrow();
      });
    });
  });
});
