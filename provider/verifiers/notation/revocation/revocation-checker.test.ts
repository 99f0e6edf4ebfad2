// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { parseCertificate, type Certificate } from '../../../trust/index.js';
import { createTestCertificate, KEY_USAGE } from '../../../../test/vectors/notation-certificate-helpers.js';
import { createRevocationChecker } from './revocation-checker.js';

let chain: Certificate[];

beforeAll(async () => {
  const caUsage = { flags: KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign, critical: true };
  const root = await createTestCertificate({
    subject: 'CN=Root',
    basicConstraints: { ca: true },
    keyUsage: caUsage,
  });
  const leaf = await createTestCertificate({ subject: 'CN=Leaf', issuer: root });
  chain = [parseCertificate(leaf.der), parseCertificate(root.der)];
});

describe('createRevocationChecker', () => {
  describe('a chain whose certificates name no OCSP responder or CRL', () => {
    it('reports every certificate non-revokable without any I/O', async () => {
      const checker = createRevocationChecker({ timeoutMs: 1 });
      const results = await checker.check({ chain, purpose: 'codeSigning', authenticSigningTime: undefined });
      expect(results).toEqual([{ status: 'nonRevokable' }, { status: 'nonRevokable' }]);
    });
  });

  describe('a single self-signed certificate', () => {
    it('is a root, never revocable', async () => {
      const root = chain[chain.length - 1];
      if (root === undefined) throw new Error('no root');
      const results = await createRevocationChecker().check({
        chain: [root],
        purpose: 'timestamping',
        authenticSigningTime: undefined,
      });
      expect(results).toEqual([{ status: 'nonRevokable' }]);
    });
  });
});
