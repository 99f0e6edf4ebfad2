import { SignetError } from '../errors.js';
import {
  createTestCertificate,
  KEY_USAGE,
  uniqueKeys,
  type TestIdentity,
} from '../../test/vectors/notation-certificate-helpers.js';
import { parseTrustStores, type TrustStoreSource } from './trust-store.js';

function configReason(sources: readonly TrustStoreSource[]): string {
  try {
    parseTrustStores(sources);
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('CONFIG_INVALID');
    return (error as SignetError).reason;
  }
  throw new Error('expected the trust stores to be rejected');
}

describe('parseTrustStores', () => {
  let root: TestIdentity;
  let leaf: TestIdentity;
  let selfSigned: TestIdentity;
  const pem = (identity: TestIdentity): Uint8Array =>
    Buffer.from(
      `-----BEGIN CERTIFICATE-----\n${Buffer.from(identity.der).toString('base64')}\n-----END CERTIFICATE-----\n`,
    );

  beforeAll(async () => {
    root = await createTestCertificate(
      {
        subject: 'CN=root, O=Notary, ST=WA, C=US',
        basicConstraints: { ca: true },
        keyUsage: { flags: KEY_USAGE.keyCertSign },
        extendedKeyUsage: null,
      },
      await uniqueKeys('p256'),
    );
    leaf = await createTestCertificate(
      { subject: 'CN=leaf, O=Notary, ST=WA, C=US', issuer: root },
      await uniqueKeys('p256'),
    );
    selfSigned = await createTestCertificate(
      { subject: 'CN=self, O=Notary, ST=WA, C=US' },
      await uniqueKeys('p256'),
    );
  });

  describe('accepted stores', () => {
    it('holds CA and self-signed signing certificates from PEM and DER files', () => {
      const stores = parseTrustStores([
        {
          type: 'ca',
          name: 'acme',
          files: [
            { name: 'root.pem', bytes: pem(root) },
            { name: 'self.der', bytes: selfSigned.der },
          ],
        },
        { type: 'tsa', name: 'tsa', files: [{ name: 'root.der', bytes: root.der }] },
      ]);
      expect(stores.get('ca', 'acme')?.certificates.map((certificate) => certificate.subject)).toEqual([
        'CN=root,O=Notary,ST=WA,C=US',
        'CN=self,O=Notary,ST=WA,C=US',
      ]);
      expect(stores.get('tsa', 'tsa')?.certificates).toHaveLength(1);
      expect(stores.get('signingAuthority', 'acme')).toBeUndefined();
    });
  });

  describe('rejected stores', () => {
    it.each<[string, () => TrustStoreSource[], RegExp]>([
      [
        'a leaf issued by someone else',
        () => [{ type: 'ca', name: 'acme', files: [{ name: 'leaf.pem', bytes: pem(leaf) }] }],
        /is not a CA certificate or self-signed signing certificate/,
      ],
      [
        'a self-signed leaf as a TSA root',
        () => [{ type: 'tsa', name: 'tsa', files: [{ name: 'self.pem', bytes: pem(selfSigned) }] }],
        /is not a root CA certificate/,
      ],
      [
        'an empty file',
        () => [{ type: 'ca', name: 'acme', files: [{ name: 'empty.crt', bytes: new Uint8Array(0) }] }],
        /no certificate found/,
      ],
      [
        'a file that is not a certificate',
        () => [{ type: 'ca', name: 'acme', files: [{ name: 'junk.crt', bytes: Buffer.from('junk') }] }],
        /failed to read the trusted certificate junk.crt/,
      ],
      [
        'a store without files',
        () => [{ type: 'ca', name: 'acme', files: [] }],
        /no x509 certificates were found in trust store "acme"/,
      ],
      [
        'an invalid store name',
        () => [{ type: 'ca', name: 'a/b', files: [{ name: 'root.pem', bytes: pem(root) }] }],
        /needs to follow \[a-zA-Z0-9_.-\]\+ format/,
      ],
      [
        'a store defined twice',
        () => [
          { type: 'ca', name: 'acme', files: [{ name: 'root.pem', bytes: pem(root) }] },
          { type: 'ca', name: 'acme', files: [{ name: 'root.pem', bytes: pem(root) }] },
        ],
        /defined more than once/,
      ],
    ])('rejects %s', (_name, sources, reason) => {
      expect(configReason(sources())).toMatch(reason);
    });
  });
});
