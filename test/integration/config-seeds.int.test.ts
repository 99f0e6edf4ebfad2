import { seedPath } from '../helpers/seeds.js';
import {
  DEFAULT_POLICY,
  createSnapshot,
  loadConfigFile,
  toNamespaceView,
  toTrustStoreProviders,
} from '../../provider/config/index.js';
import type { ConfigKind, ConfigSnapshot, NotationVerifierConfig } from '../../provider/config/index.js';

async function loadSeed(name: string): Promise<ConfigSnapshot> {
  const path = seedPath(name);
  return createSnapshot(await loadConfigFile(path), { generation: 1, source: `file ${path}` });
}

describe('seed configurations', () => {
  describe.each([
    ['verify-config-kmp.yaml', 'KeyManagementProvider'],
    ['verify-config-certificatestore.yaml', 'CertificateStore'],
  ] as const)('%s', (seed, providerKind: ConfigKind) => {
    it('loads unchanged into the expected snapshot', async () => {
      const snapshot = await loadSeed(seed);
      const view = toNamespaceView(snapshot, undefined);

      expect(view.stores).toHaveLength(1);
      expect(view.stores[0]).toMatchObject({
        resource: { kind: 'Store', name: 'store-oras', document: 2 },
        name: 'oras',
        useHttp: false,
        cosignEnabled: false,
        authProvider: { name: 'dockerConfig', configPath: undefined },
        signet: { insecureRegistries: [], credentials: {} },
      });

      expect(view.verifiers).toHaveLength(1);
      const verifier = view.verifiers[0] as NotationVerifierConfig;
      expect(verifier).toMatchObject({
        resource: { kind: 'Verifier', name: 'verifier-notary-inline', document: 3 },
        type: 'notation',
        name: 'notation',
        artifactTypes: ['application/vnd.cncf.notary.signature'],
        verificationCerts: [],
      });
      // As the source documents (seeds 000/002/003) write it: strict, every scope, any identity.
      expect(verifier.trustPolicyDoc).toEqual({
        version: '1.0',
        trustPolicies: [
          {
            name: 'default',
            registryScopes: ['*'],
            signatureVerification: { level: 'strict' },
            trustStores: ['ca:certs'],
            trustedIdentities: ['*'],
          },
        ],
      });

      // Legacy `certs: [certstore-inline]`: one store serving every trust store type.
      expect(verifier.verificationCertStores).toHaveLength(1);
      expect(verifier.verificationCertStores[0]).toMatchObject({ storeType: undefined, storeName: 'certs' });
      const providers = toTrustStoreProviders(verifier, 'ca', 'certs');
      expect(providers).toHaveLength(1);
      const [provider] = providers;
      expect(provider?.resource).toEqual({
        kind: providerKind,
        name: 'certstore-inline',
        namespace: undefined,
        document: 1,
      });
      expect(provider?.provider).toBe('inline');
      expect(provider?.publicKeys).toEqual([]);

      // Ratify's public sample CA, parsed.
      expect(provider?.certificates).toHaveLength(1);
      const certificate = provider?.certificates[0];
      expect(certificate?.subject).toBe('O=Ratify, CN=Ratify Sample');
      expect(certificate?.issuer).toBe('O=Ratify, CN=Ratify Sample');
      expect(certificate?.serialNumber).toBe('0f11d0f49c719a7acb593039ac0b48642cd8f263');
      expect(certificate?.notBefore.toISOString()).toBe('2023-06-29T05:28:32.000Z');
      expect(certificate?.notAfter.toISOString()).toBe('2033-06-26T05:28:32.000Z');
      expect(certificate?.publicKey.algorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5' });
      expect(
        Buffer.from((await certificate?.getThumbprint('SHA-256')) ?? new ArrayBuffer(0)).toString('hex'),
      ).toHaveLength(64);

      expect(snapshot.policies).toEqual([]);
      expect(view.policy).toBe(DEFAULT_POLICY);
      expect(Object.isFrozen(verifier.trustPolicyDoc.trustPolicies[0])).toBe(true);
    });
  });

  describe('both seeds', () => {
    it('differ only in the kind of the certificate provider', async () => {
      const kmp = await loadSeed('verify-config-kmp.yaml');
      const certificateStore = await loadSeed('verify-config-certificatestore.yaml');
      expect(kmp.keyManagementProviders.map((provider) => provider.resource.name)).toEqual([
        'certstore-inline',
      ]);
      expect(kmp.certificateStores).toEqual([]);
      expect(certificateStore.certificateStores.map((provider) => provider.resource.name)).toEqual([
        'certstore-inline',
      ]);
      expect(certificateStore.keyManagementProviders).toEqual([]);
      const rawDer = (snapshot: ConfigSnapshot): string[] =>
        [...snapshot.keyManagementProviders, ...snapshot.certificateStores].flatMap((provider) =>
          provider.certificates.map((certificate) => Buffer.from(certificate.rawData).toString('base64')),
        );
      expect(rawDer(kmp)).toEqual(rawDer(certificateStore));
    });
  });
});
