import { SignetError } from '../../errors.js';
import type { ConfigResource, NotationVerifierConfig } from '../config.types.js';
import { parseConfigResource } from '../schema/parse-resource.js';
import { formatProblem } from '../schema/problems.js';
import { createSnapshot, findSnapshotProblems } from './create-snapshot.js';
import { DEFAULT_POLICY, toNamespaceView } from './namespace-view.js';
import { CA_PEM, KEY_PEM } from '../../../test/fixtures/config-snapshot.js';
import { toTrustStoreProviders } from './trust-store-providers.js';

const API_VERSION = 'config.ratify.deislabs.io/v1beta1';

type Metadata = { readonly name: string; readonly namespace?: string };

function resource(
  kind: string,
  metadata: Metadata,
  spec: Record<string, unknown>,
  document?: number,
): ConfigResource {
  const parsed = parseConfigResource({ apiVersion: API_VERSION, kind, metadata, spec }, { document });
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('; '));
  return parsed.resource;
}

const store = (metadata: Metadata = { name: 'store-oras' }, kind = 'Store'): ConfigResource =>
  resource(kind, metadata, { name: 'oras' });

const certificates = (metadata: Metadata, kind = 'KeyManagementProvider'): ConfigResource =>
  resource(
    kind,
    metadata,
    kind === 'CertificateStore'
      ? { provider: 'inline', parameters: { value: CA_PEM } }
      : { type: 'inline', parameters: { contentType: 'certificate', value: CA_PEM } },
  );

const publicKey = (metadata: Metadata, kind = 'KeyManagementProvider'): ConfigResource =>
  resource(kind, metadata, { type: 'inline', parameters: { contentType: 'key', value: KEY_PEM } });

function notation(
  metadata: Metadata,
  certStores: Record<string, unknown>,
  kind = 'Verifier',
): ConfigResource {
  const trustStores = Object.values(certStores).some((value) => !Array.isArray(value))
    ? Object.entries(certStores).flatMap(([type, stores]) =>
        Object.keys(stores as object).map((name) => `${type}:${name}`),
      )
    : Object.keys(certStores).map((name) => `ca:${name}`);
  return resource(kind, metadata, {
    name: 'notation',
    artifactTypes: 'application/vnd.cncf.notary.signature',
    parameters: {
      verificationCertStores: certStores,
      trustPolicyDoc: {
        version: '1.0',
        trustPolicies: [
          {
            name: 'default',
            registryScopes: ['*'],
            signatureVerification: { level: 'strict' },
            trustStores,
            trustedIdentities: ['*'],
          },
        ],
      },
    },
  });
}

function cosign(
  metadata: Metadata,
  keys: readonly Record<string, unknown>[],
  kind = 'Verifier',
): ConfigResource {
  return resource(kind, metadata, {
    name: 'cosign',
    artifactTypes: 'application/vnd.dev.cosign.artifact.sig.v1+json',
    parameters: { trustPolicies: [{ name: 'default', scopes: ['*'], keys, tLogVerify: false }] },
  });
}

function policy(metadata: Metadata, rule: string, kind = 'Policy'): ConfigResource {
  return resource(kind, metadata, {
    type: 'config-policy',
    parameters: { artifactVerificationPolicies: { default: rule } },
  });
}

function problemsOf(resources: readonly ConfigResource[]): string[] {
  return findSnapshotProblems(resources).map(formatProblem);
}

describe('createSnapshot', () => {
  describe('a complete configuration', () => {
    const resources = (): ConfigResource[] => [
      certificates({ name: 'kmp-ca' }, 'KeyManagementProvider'),
      certificates({ name: 'legacy-store' }, 'CertificateStore'),
      publicKey({ name: 'kmp-key' }),
      store(),
      notation({ name: 'verifier-notation' }, { ca: { certs: ['kmp-ca', 'legacy-store'] } }),
      cosign({ name: 'verifier-cosign' }, [{ provider: 'kmp-key' }, { file: '/keys/cosign.pub' }]),
      policy({ name: 'ratify-policy' }, 'any'),
    ];

    it('resolves key provider references into the verifiers', () => {
      const snapshot = createSnapshot(resources(), { generation: 7, source: 'test' });
      expect(snapshot.generation).toBe(7);
      expect(snapshot.sourceDescription).toBe('test');
      expect(snapshot.keyManagementProviders.map((provider) => provider.resource.name)).toEqual([
        'kmp-ca',
        'kmp-key',
      ]);
      expect(snapshot.certificateStores.map((provider) => provider.resource.name)).toEqual(['legacy-store']);
      const [notationVerifier, cosignVerifier] = snapshot.verifiers;
      expect(notationVerifier?.type).toBe('notation');
      const providers = toTrustStoreProviders(notationVerifier as NotationVerifierConfig, 'ca', 'certs');
      expect(providers.map((provider) => provider.resource.name)).toEqual(['kmp-ca', 'legacy-store']);
      expect(providers[0]?.certificates[0]?.subject).toBe('CN=Snapshot Test CA');
      expect(cosignVerifier?.type === 'cosign' && cosignVerifier.mode).toMatchObject({
        $case: 'trustPolicies',
        trustPolicies: [
          {
            keys: [
              { $case: 'provider', provider: { resource: { name: 'kmp-key' } }, keyName: undefined },
              { $case: 'file', path: '/keys/cosign.pub' },
            ],
          },
        ],
      });
    });

    it('is deeply frozen', () => {
      const snapshot = createSnapshot(resources(), { generation: 1, source: 'test' });
      const verifier = snapshot.verifiers[0] as NotationVerifierConfig;
      const provider = verifier.verificationCertStores[0]?.providers[0];
      expect(Object.isFrozen(snapshot)).toBe(true);
      expect(Object.isFrozen(snapshot.verifiers)).toBe(true);
      expect(Object.isFrozen(verifier.trustPolicyDoc.trustPolicies[0]?.registryScopes)).toBe(true);
      expect(Object.isFrozen(verifier.parameters)).toBe(true);
      expect(Object.isFrozen(provider?.certificates[0])).toBe(true);
      expect(() => {
        (snapshot as { generation: number }).generation = 8;
      }).toThrow(TypeError);
      expect(() => {
        (verifier.artifactTypes as string[]).push('x');
      }).toThrow(TypeError);
      // Freezing must not break the certificate objects the trust layer uses.
      expect(provider?.certificates[0]?.publicKey.algorithm).toMatchObject({ name: 'ECDSA' });
    });

    it('gives each scope its own resources with the cluster-wide ones as fallback', () => {
      const snapshot = createSnapshot(
        [
          ...resources(),
          store({ name: 'team-store', namespace: 'team' }, 'NamespacedStore'),
          publicKey({ name: 'team-key', namespace: 'team' }, 'NamespacedKeyManagementProvider'),
          cosign(
            { name: 'team-cosign', namespace: 'team' },
            [{ provider: 'team/team-key' }, { provider: 'kmp-key' }],
            'NamespacedVerifier',
          ),
          policy({ name: 'ratify-policy', namespace: 'other' }, 'all', 'NamespacedPolicy'),
        ],
        { generation: 1, source: 'test' },
      );
      const names = (view: ReturnType<typeof toNamespaceView>): unknown => ({
        stores: view.stores.map((item) => item.resource.name),
        verifiers: view.verifiers.map((item) => item.resource.name),
        policy:
          view.policy.type === 'config-policy'
            ? `${view.policy.resource?.kind ?? 'default'}:${view.policy.defaultRule}`
            : '',
      });
      expect(names(toNamespaceView(snapshot, 'team'))).toEqual({
        stores: ['team-store'],
        verifiers: ['team-cosign'],
        policy: 'Policy:any',
      });
      expect(names(toNamespaceView(snapshot, 'other'))).toEqual({
        stores: ['store-oras'],
        verifiers: ['verifier-notation', 'verifier-cosign'],
        policy: 'NamespacedPolicy:all',
      });
      expect(names(toNamespaceView(snapshot, undefined))).toEqual({
        stores: ['store-oras'],
        verifiers: ['verifier-notation', 'verifier-cosign'],
        policy: 'Policy:any',
      });
    });

    it("falls back to Ratify's default policy", () => {
      const snapshot = createSnapshot(resources().slice(0, -1), { generation: 1, source: 'test' });
      expect(toNamespaceView(snapshot, undefined).policy).toBe(DEFAULT_POLICY);
      expect(DEFAULT_POLICY).toMatchObject({
        type: 'config-policy',
        defaultRule: 'all',
        artifactVerificationPolicies: {},
      });
    });
  });

  describe('problems across resources', () => {
    const base = [store(), certificates({ name: 'kmp-ca' }), publicKey({ name: 'kmp-key' })];
    const cases: readonly {
      readonly name: string;
      readonly resources: () => ConfigResource[];
      readonly problems: string[];
    }[] = [
      {
        name: 'a reference to a key provider that does not exist',
        resources: () => [...base, notation({ name: 'v' }, { certs: ['kmp-ca', 'missing'] })],
        problems: [
          'Verifier "v": spec.parameters.verificationCertStores.certs[1]: KeyManagementProvider or CertificateStore "missing" is not defined',
        ],
      },
      {
        name: 'certificates expected, a key given',
        resources: () => [...base, notation({ name: 'v' }, { ca: { certs: ['kmp-key'] } })],
        problems: [
          'Verifier "v": spec.parameters.verificationCertStores.ca.certs[0]: KeyManagementProvider "kmp-key" provides a public key, not certificates',
        ],
      },
      {
        name: 'keys expected, certificates given',
        resources: () => [
          ...base,
          certificates({ name: 'cs' }, 'CertificateStore'),
          cosign({ name: 'c' }, [{ provider: 'kmp-ca' }, { provider: 'cs' }]),
        ],
        problems: [
          'Verifier "c": spec.parameters.trustPolicies[0].keys[0].provider: KeyManagementProvider "kmp-ca" provides no public keys',
          'Verifier "c": spec.parameters.trustPolicies[0].keys[1].provider: CertificateStore "cs" provides no public keys',
        ],
      },
      {
        name: 'a named key of an inline provider',
        resources: () => [...base, cosign({ name: 'c' }, [{ provider: 'kmp-key', name: 'signing' }])],
        problems: [
          'Verifier "c": spec.parameters.trustPolicies[0].keys[0].name: an inline key provider holds one unnamed key; remove name and version',
        ],
      },
      {
        name: 'namespaced key providers outside their namespace',
        resources: () => [
          ...base,
          publicKey({ name: 'k', namespace: 'team' }, 'NamespacedKeyManagementProvider'),
          cosign({ name: 'cluster' }, [{ provider: 'team/k' }]),
          cosign({ name: 'other', namespace: 'other' }, [{ provider: 'team/k' }], 'NamespacedVerifier'),
        ],
        problems: [
          'Verifier "cluster": spec.parameters.trustPolicies[0].keys[0].provider: ' +
            'a cluster-wide Verifier cannot use the namespaced NamespacedKeyManagementProvider "team/k"',
          'NamespacedVerifier "other/other": spec.parameters.trustPolicies[0].keys[0].provider: ' +
            'a NamespacedVerifier of namespace "other" cannot use NamespacedKeyManagementProvider "team/k"',
        ],
      },
      {
        name: 'an ambiguous CertificateStore name',
        resources: () => [
          ...base,
          certificates({ name: 'cs', namespace: 'a' }, 'CertificateStore'),
          certificates({ name: 'cs', namespace: 'b' }, 'CertificateStore'),
          notation({ name: 'v' }, { certs: ['cs', 'b/cs'] }),
        ],
        problems: [
          'Verifier "v": spec.parameters.verificationCertStores.certs[0]: CertificateStore "cs" is ambiguous: qualify it as "namespace/name"',
        ],
      },
      {
        name: 'duplicate resources',
        resources: () => [
          ...base,
          resource('Store', { name: 'store-oras' }, { name: 'oras' }, 9),
          notation({ name: 'v' }, { certs: ['kmp-ca'] }),
          store({ name: 'store-oras', namespace: 'team' }, 'NamespacedStore'),
        ],
        problems: [
          'document 9 (Store "store-oras"): metadata.name: duplicate Store (also Store "store-oras")',
        ],
      },
      {
        name: 'no store and no verifier',
        resources: () => [certificates({ name: 'kmp-ca' })],
        problems: [
          'configuration: no Store is defined (add a Store with spec.name: oras)',
          'configuration: no Verifier is defined (add a notation or cosign Verifier)',
        ],
      },
    ];

    it.each(cases)('reports $name', ({ resources, problems }) => {
      expect(problemsOf(resources())).toEqual(problems);
    });

    it('throws CONFIG_INVALID with every problem', () => {
      const resources = [certificates({ name: 'kmp-ca' })];
      expect(() => createSnapshot(resources, { generation: 1, source: 'file /c.yaml' })).toThrow(
        new SignetError('CONFIG_INVALID', {
          stage: 'config',
          reason:
            'configuration: no Store is defined (add a Store with spec.name: oras); ' +
            'configuration: no Verifier is defined (add a notation or cosign Verifier)',
        }),
      );
    });
  });
});
