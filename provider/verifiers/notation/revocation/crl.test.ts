// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { parseCertificate, type Certificate } from '../../../trust/index.js';
import {
  createTestCertificate,
  KEY_USAGE,
  uniqueKeys,
  type TestIdentity,
} from '../../../../test/vectors/notation-certificate-helpers.js';
import { findCrlProblem, parseCertificateList, toCrlStatus } from './crl.js';

const NOW = new Date('2026-01-10T00:00:00Z');

let ca: TestIdentity;
let otherCa: TestIdentity;
let leaf: Certificate;
let caCertificate: Certificate;

function serialHex(certificate: Certificate): string {
  const hex = certificate.serialNumber.toString(16);
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}

async function crl(options: {
  signer?: TestIdentity;
  nextUpdate?: Date;
  revoked?: readonly { invalidity?: Date }[];
  extensions?: x509.Extension[];
}): Promise<Uint8Array> {
  const signer = options.signer ?? ca;
  const generated = await x509.X509CrlGenerator.create({
    issuer: signer.name,
    thisUpdate: new Date('2026-01-09T00:00:00Z'),
    nextUpdate: options.nextUpdate ?? new Date('2026-01-11T00:00:00Z'),
    signingKey: signer.keys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: options.extensions ?? [],
    entries: (options.revoked ?? []).map((entry) => ({
      serialNumber: serialHex(leaf),
      revocationDate: new Date('2026-01-05T00:00:00Z'),
      ...(entry.invalidity === undefined ? {} : { invalidity: entry.invalidity }),
    })),
  });
  return new Uint8Array(generated.rawData);
}

beforeAll(async () => {
  const caUsage = { flags: KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign, critical: true };
  ca = await createTestCertificate({
    subject: 'CN=CRL CA',
    basicConstraints: { ca: true },
    keyUsage: caUsage,
  });
  otherCa = await createTestCertificate(
    { subject: 'CN=Other CA', basicConstraints: { ca: true }, keyUsage: caUsage },
    await uniqueKeys('p256'),
  );
  caCertificate = parseCertificate(ca.der);
  leaf = parseCertificate((await createTestCertificate({ subject: 'CN=leaf', issuer: ca })).der);
});

describe('CRL checking', () => {
  describe('a CRL signed by the issuer, within nextUpdate', () => {
    it('is valid and reports a listed certificate as revoked', async () => {
      const list = parseCertificateList(await crl({ revoked: [{}] }));
      expect(findCrlProblem(list, caCertificate, NOW)).toBeUndefined();
      expect(toCrlStatus(list, leaf, undefined).status).toBe('revoked');
    });

    it('reports an unlisted certificate as ok, reusable until nextUpdate', async () => {
      const status = toCrlStatus(parseCertificateList(await crl({})), leaf, undefined);
      expect(status).toEqual({ status: 'ok', validUntil: new Date('2026-01-11T00:00:00Z') });
    });
  });

  describe('an invalidity date after the authentic signing time', () => {
    it('does not revoke the signature', async () => {
      const list = parseCertificateList(
        await crl({ revoked: [{ invalidity: new Date('2026-01-04T00:00:00Z') }] }),
      );
      expect(toCrlStatus(list, leaf, new Date('2026-01-03T00:00:00Z')).status).toBe('ok');
      expect(toCrlStatus(list, leaf, new Date('2026-01-04T12:00:00Z')).status).toBe('revoked');
      expect(toCrlStatus(list, leaf, undefined).status).toBe('revoked');
    });
  });

  describe('an invalid CRL', () => {
    it('is refused when past nextUpdate', async () => {
      const list = parseCertificateList(await crl({ nextUpdate: new Date('2026-01-09T12:00:00Z') }));
      expect(findCrlProblem(list, caCertificate, NOW)).toMatch(/^expired CRL/);
    });

    it('is refused when signed by another key', async () => {
      const list = parseCertificateList(await crl({ signer: otherCa }));
      expect(findCrlProblem(list, caCertificate, NOW)).toMatch(/not signed by/);
    });

    it('is refused when it points to a delta CRL', async () => {
      const freshest = new x509.Extension(
        '2.5.29.46',
        false,
        new x509.CRLDistributionPointsExtension(['http://127.0.0.1/delta.crl']).value,
      );
      const list = parseCertificateList(await crl({ extensions: [freshest] }));
      expect(findCrlProblem(list, caCertificate, NOW)).toBe('delta CRL is not supported');
    });

    it('does not parse from garbage', () => {
      expect(() => parseCertificateList(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toThrow();
    });
  });
});
