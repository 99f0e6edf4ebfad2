import { parseCertificate, type Certificate } from '../../trust/index.js';
import {
  createTestCertificate,
  EKU_OIDS,
  KEY_USAGE,
  uniqueKeys,
  type CertificateOptions,
  type TestIdentity,
} from '../../../test/vectors/notation-certificate-helpers.js';
import { findChainProblem } from './chain.js';

const CA = { ca: true, critical: true } as const;
const CA_USAGE = { flags: KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign, critical: true } as const;

describe('findChainProblem', () => {
  let root: TestIdentity;
  let intermediate: TestIdentity;
  let leaf: TestIdentity;

  const parse = (...identities: TestIdentity[]): Certificate[] =>
    identities.map((identity) => parseCertificate(identity.der));
  const leafWith = async (
    options: Partial<CertificateOptions>,
    issuer: TestIdentity = intermediate,
  ): Promise<TestIdentity> =>
    createTestCertificate(
      { subject: 'CN=leaf, O=Notary, ST=WA, C=US', issuer, ...options },
      await uniqueKeys('p256'),
    );

  beforeAll(async () => {
    root = await createTestCertificate(
      {
        subject: 'CN=root, O=Notary, ST=WA, C=US',
        basicConstraints: CA,
        keyUsage: CA_USAGE,
        extendedKeyUsage: null,
      },
      await uniqueKeys('p256'),
    );
    intermediate = await createTestCertificate(
      {
        subject: 'CN=intermediate, O=Notary, ST=WA, C=US',
        issuer: root,
        basicConstraints: { ...CA, pathLength: 0 },
        keyUsage: CA_USAGE,
        extendedKeyUsage: null,
      },
      await uniqueKeys('p256'),
    );
    leaf = await leafWith({});
  });

  describe('valid chains', () => {
    it('accepts leaf → intermediate → root', () => {
      expect(findChainProblem(parse(leaf, intermediate, root), 'codeSigning')).toBeUndefined();
    });

    it('accepts a self-signed signing certificate alone', async () => {
      const selfSigned = await createTestCertificate(
        { subject: 'CN=self, O=Notary, ST=WA, C=US' },
        await uniqueKeys('p256'),
      );
      expect(findChainProblem(parse(selfSigned), 'codeSigning')).toBeUndefined();
    });

    it('accepts a leaf without extended key usage', async () => {
      expect(
        findChainProblem(
          parse(await leafWith({ extendedKeyUsage: null }), intermediate, root),
          'codeSigning',
        ),
      ).toBeUndefined();
    });
  });

  describe('leaf requirements', () => {
    it.each<[string, Partial<CertificateOptions>, RegExp]>([
      ['no key usage', { keyUsage: null }, /key usage extension must be present/],
      [
        'a non-critical key usage',
        { keyUsage: { flags: KEY_USAGE.digitalSignature, critical: false } },
        /must be marked critical/,
      ],
      ['no digitalSignature', { keyUsage: { flags: KEY_USAGE.nonRepudiation } }, /"Digital Signature" set/],
      [
        'keyEncipherment as well',
        { keyUsage: { flags: KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment } },
        /but found "KeyEncipherment"/,
      ],
      [
        'serverAuth EKU',
        { extendedKeyUsage: { oids: [EKU_OIDS.codeSigning, EKU_OIDS.serverAuth] } },
        /must not contain ServerAuth eku/,
      ],
      [
        'timeStamping EKU',
        { extendedKeyUsage: { oids: [EKU_OIDS.timeStamping] } },
        /must not contain Timestamping eku/,
      ],
      ['anyExtendedKeyUsage', { extendedKeyUsage: { oids: [EKU_OIDS.any] } }, /must not contain Any eku/],
      ['basicConstraints cA true', { basicConstraints: { ca: true } }, /ca field must be set to false/],
    ])('rejects a leaf with %s', async (_name, options, reason) => {
      expect(findChainProblem(parse(await leafWith(options), intermediate, root), 'codeSigning')).toMatch(
        reason,
      );
    });
  });

  describe('CA requirements', () => {
    it('rejects an issuer without basicConstraints', async () => {
      const issuer = await createTestCertificate(
        {
          subject: 'CN=no-bc, O=Notary, ST=WA, C=US',
          issuer: root,
          basicConstraints: null,
          keyUsage: CA_USAGE,
          extendedKeyUsage: null,
        },
        await uniqueKeys('p256'),
      );
      expect(findChainProblem(parse(await leafWith({}, issuer), issuer, root), 'codeSigning')).toMatch(
        /not issued by|basic constraints/,
      );
    });

    it('rejects an issuer without keyCertSign', async () => {
      const issuer = await createTestCertificate(
        {
          subject: 'CN=no-certsign, O=Notary, ST=WA, C=US',
          issuer: root,
          basicConstraints: CA,
          keyUsage: { flags: KEY_USAGE.cRLSign },
          extendedKeyUsage: null,
        },
        await uniqueKeys('p256'),
      );
      expect(findChainProblem(parse(await leafWith({}, issuer), issuer, root), 'codeSigning')).toMatch(
        /cannot sign|key cert sign/,
      );
    });

    it('enforces pathLenConstraint', async () => {
      const tightRoot = await createTestCertificate(
        {
          subject: 'CN=tight root, O=Notary, ST=WA, C=US',
          basicConstraints: { ...CA, pathLength: 0 },
          keyUsage: CA_USAGE,
          extendedKeyUsage: null,
        },
        await uniqueKeys('p256'),
      );
      const middle = await createTestCertificate(
        {
          subject: 'CN=middle, O=Notary, ST=WA, C=US',
          issuer: tightRoot,
          basicConstraints: CA,
          keyUsage: CA_USAGE,
          extendedKeyUsage: null,
        },
        await uniqueKeys('p256'),
      );
      expect(findChainProblem(parse(await leafWith({}, middle), middle, tightRoot), 'codeSigning')).toMatch(
        /expected path length of 1 but certificate has path length 0/,
      );
    });
  });

  describe('order and completeness', () => {
    it('rejects a chain out of order', () => {
      expect(findChainProblem(parse(leaf, root, intermediate), 'codeSigning')).toMatch(/not issued by/);
    });

    it('rejects a chain that does not end in a self-signed root', () => {
      expect(findChainProblem(parse(leaf, intermediate), 'codeSigning')).toMatch(
        /root certificate .* is invalid or not self-signed/,
      );
    });

    it('rejects an unrelated certificate in the chain', async () => {
      const stranger = await createTestCertificate(
        {
          subject: 'CN=stranger, O=Notary, ST=WA, C=US',
          basicConstraints: CA,
          keyUsage: CA_USAGE,
          extendedKeyUsage: null,
        },
        await uniqueKeys('p256'),
      );
      expect(findChainProblem(parse(leaf, intermediate, stranger, root), 'codeSigning')).toMatch(
        /not issued by/,
      );
    });

    it('rejects a self-signed leaf followed by more certificates', async () => {
      // Like Go's CheckSignatureFrom, "self-signed" needs a certificate allowed to sign certificates.
      const selfSigned = await createTestCertificate(
        { subject: 'CN=self, O=Notary, ST=WA, C=US', basicConstraints: CA, keyUsage: CA_USAGE },
        await uniqueKeys('p256'),
      );
      expect(findChainProblem(parse(selfSigned, root), 'codeSigning')).toMatch(
        /leaf certificate .* is self-signed/,
      );
    });

    it('rejects an empty chain', () => {
      expect(findChainProblem([], 'codeSigning')).toMatch(/at least one certificate/);
    });
  });

  describe('signature algorithms', () => {
    it('refuses a certificate signed with SHA-1', async () => {
      const sha1Leaf = await leafWith({ signatureHash: 'SHA-1' });
      expect(findChainProblem(parse(sha1Leaf, intermediate, root), 'codeSigning')).toMatch(
        /insecure algorithm/,
      );
    });
  });

  describe('timestamping chains', () => {
    it('requires exactly the timeStamping EKU, marked critical', async () => {
      const tsa = await leafWith({ extendedKeyUsage: { oids: [EKU_OIDS.timeStamping], critical: true } });
      expect(findChainProblem(parse(tsa, intermediate, root), 'timestamping')).toBeUndefined();
      const notCritical = await leafWith({ extendedKeyUsage: { oids: [EKU_OIDS.timeStamping] } });
      expect(findChainProblem(parse(notCritical, intermediate, root), 'timestamping')).toMatch(
        /marked as critical/,
      );
      expect(findChainProblem(parse(leaf, intermediate, root), 'timestamping')).toMatch(
        /must have and only have Timestamping/,
      );
    });
  });
});
