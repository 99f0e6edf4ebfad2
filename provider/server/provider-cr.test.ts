import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { expectSignetError } from '../../test/helpers/expect-signet-error.js';
import { PROVIDER_API_VERSION, toProviderResource } from './provider-cr.js';

async function createCaPem(): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=signet CA',
    notBefore: new Date('2024-01-01T00:00:00Z'),
    notAfter: new Date('2034-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: algorithm,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return certificate.toString('pem');
}

let caPem = '';
beforeAll(async () => {
  caPem = await createCaPem();
});

const base = () => ({
  name: 'ratify-provider',
  url: 'https://signet.signet-system:6001/ratify/gatekeeper/v1/verify',
  timeoutSeconds: 3,
  caBundlePem: caPem,
});

describe('toProviderResource', () => {
  describe('a valid provider', () => {
    it('renders Gatekeeper v1beta1 Provider with the CA bundle base64-encoded', () => {
      const resource = toProviderResource(base());
      expect(resource).toEqual({
        apiVersion: PROVIDER_API_VERSION,
        kind: 'Provider',
        metadata: { name: 'ratify-provider' },
        spec: {
          url: 'https://signet.signet-system:6001/ratify/gatekeeper/v1/verify',
          timeout: 3,
          caBundle: Buffer.from(caPem).toString('base64'),
        },
      });
      expect(Buffer.from(resource.spec.caBundle, 'base64').toString('utf8')).toBe(caPem);
    });

    it('accepts a bundle of several CA certificates', async () => {
      const bundle = `${caPem}${await createCaPem()}`;
      expect(toProviderResource({ ...base(), caBundlePem: bundle }).spec.caBundle).toBe(
        Buffer.from(bundle).toString('base64'),
      );
    });
  });

  describe('values Gatekeeper would reject', () => {
    it.each([
      ['an http URL', { url: 'http://127.0.0.1:6001/verify' }, /HTTPS only/],
      ['a URL that does not parse', { url: 'not a url' }, /is not a URL/],
      ['a name with capitals', { name: 'Ratify-Provider' }, /not a valid Kubernetes name/],
      ['a zero timeout', { timeoutSeconds: 0 }, /at least 1/],
      ['a fractional timeout', { timeoutSeconds: 2.5 }, /whole number of seconds/],
      ['a bundle without certificates', { caBundlePem: 'nothing here' }, /holds no PEM certificate/],
      [
        'a certificate block that does not parse',
        { caBundlePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
        /certificate 1 of the Provider caBundle cannot be parsed/,
      ],
    ])('rejects %s with CONFIG_INVALID', async (_case, override, reason) => {
      const rendering = Promise.resolve().then(() => toProviderResource({ ...base(), ...override }));
      const error = await expectSignetError(rendering, 'CONFIG_INVALID');
      expect(error.message).toMatch(reason);
    });
  });
});
