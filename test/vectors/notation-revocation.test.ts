/**
 * CRL data from notaryproject/notation (test/e2e/testdata/config/crl) and notation-core-go
 * (revocation/crl/testdata), run through signet's CRL parsing and validation. Expectations come from
 * test/vectors/data/README.md; the clock is pinned to a moment when the upstream CRLs were fresh.
 */
import { parseCertificateBundle, type Certificate } from '../../provider/trust/index.js';
import {
  findCrlProblem,
  parseCertificateList,
  toCrlStatus,
  toCrlUrls,
} from '../../provider/verifiers/notation/revocation/index.js';
import { readVector } from './notation-helpers.js';

/** After every CRL here was issued and before the short-lived notation-core-go ones expire. */
const CLOCK = new Date('2024-11-25T07:32:00Z');
const FRESHEST_CRL = '2.5.29.46';

const e2eCrl = (file: string) =>
  parseCertificateList(readVector('notation-e2e', 'test/e2e/testdata/config/crl', file));
const coreGo = (file: string) => readVector('notation-core-go', 'revocation/crl/testdata', file);

function coreGoCertificate(file: string): Certificate {
  const [certificate] = parseCertificateBundle(coreGo(file));
  if (certificate === undefined) throw new Error(`${file} holds no certificate`);
  return certificate;
}

function e2eChain(): { leaf: Certificate; intermediate: Certificate; root: Certificate } {
  const [leaf, intermediate, root] = parseCertificateBundle(
    readVector('notation-e2e', 'test/e2e/testdata/config/crl', 'certchain_with_crl.pem'),
  );
  if (leaf === undefined || intermediate === undefined || root === undefined)
    throw new Error('chain needs 3 certificates');
  return { leaf, intermediate, root };
}

describe('notation revocation vectors', () => {
  describe('notation e2e config/crl', () => {
    it('reads the CRL distribution points of the leaf and the intermediate', () => {
      const { leaf, intermediate } = e2eChain();
      expect(toCrlUrls(leaf)).toEqual(['http://localhost:10086/leaf.crl']);
      expect(toCrlUrls(intermediate)).toEqual(['http://localhost:10086/intermediate.crl']);
    });

    it.each([
      ['leaf.crl', 'leaf', 'intermediate', 'ok'],
      ['leaf_revoked.crl', 'leaf', 'intermediate', 'revoked'],
      ['intermediate.crl', 'intermediate', 'root', 'ok'],
      ['intermediate_revoked.crl', 'intermediate', 'root', 'revoked'],
    ] as const)('%s: valid, and the %s is %s', (file, subject, issuer, status) => {
      const chain = e2eChain();
      const crl = e2eCrl(file);
      expect(findCrlProblem(crl, chain[issuer], CLOCK)).toBeUndefined();
      expect(toCrlStatus(crl, chain[subject], undefined).status).toBe(status);
    });

    it('leaf_expired.crl: stale (nextUpdate 2023-12-25) and not from this chain, so it is refused', () => {
      const crl = e2eCrl('leaf_expired.crl');
      expect(crl.nextUpdate?.getTime()).toBeLessThan(CLOCK.getTime());
      expect(findCrlProblem(crl, e2eChain().intermediate, CLOCK)).toBeDefined();
    });

    it('leaf.crl after its nextUpdate (2124-10-18) is expired', () => {
      expect(
        findCrlProblem(e2eCrl('leaf.crl'), e2eChain().intermediate, new Date('2125-01-01T00:00:00Z')),
      ).toMatch(/^expired CRL/);
    });

    it('leaf.crl is not accepted as signed by the root', () => {
      expect(findCrlProblem(e2eCrl('leaf.crl'), e2eChain().root, CLOCK)).toMatch(/not signed by/);
    });
  });

  describe('notation-core-go revocation/crl/testdata', () => {
    it('crlWithMultipleFreshestCRLs.crl: parses as a base CRL carrying a FreshestCRL (delta) extension', () => {
      const crl = parseCertificateList(coreGo('crlWithMultipleFreshestCRLs.crl'));
      expect(crl.extensions.map((extension) => extension.oid)).toContain(FRESHEST_CRL);
    });

    it('delta.crl: parses', () => {
      expect(() => parseCertificateList(coreGo('delta.crl'))).not.toThrow();
    });

    it.each([
      'certificateWithDeltaCRL.cer',
      'certificateWith2DeltaCRL.cer',
      'certificateWithZeroDeltaCRLURL.cer',
      'certificateWithNonURIDeltaCRL.cer',
      'certificateWithIncompleteFreshestCRL2.cer',
      // Upstream's "invalid CRL distribution point" for this one comes from its FreshestCRL (delta) parser, which
      // signet does not have: delta CRLs are not followed. Its base distribution points are readable.
      'certificateWithIncompleteFreshestCRL.cer',
    ])('%s: parses, with readable CRL distribution points', (file) => {
      expect(() => toCrlUrls(coreGoCertificate(file))).not.toThrow();
    });
  });
});
