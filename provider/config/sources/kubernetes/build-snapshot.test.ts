import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { VerifierConfig } from '../../config.types.js';
import { toNamespaceView } from '../../snapshot/namespace-view.js';
import { CA_PEM, KEY_PEM } from '../../../../test/fixtures/config-snapshot.js';
import { parsePemCertificates } from '../../schema/pem.js';
import type { KeyVaultMaterial } from '../azure-key-vault/index.js';
import { buildKubernetesSnapshot } from './build-snapshot.js';
import type { KubernetesSnapshotOptions } from './build-snapshot.js';
import type { SecretLookup } from './resolve-secrets.js';

const API_VERSION = 'config.ratify.deislabs.io/v1beta1';

type Metadata = { readonly name: string; readonly namespace?: string };

/** As the API server returns objects: server fields and a status the controller wrote earlier. */
function object(kind: string, metadata: Metadata, spec: Record<string, unknown>): unknown {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: {
      ...metadata,
      uid: `uid-${metadata.name}`,
      generation: 1,
      managedFields: [{ manager: 'kubectl' }],
    },
    spec,
    status: { issuccess: true },
  };
}

const store = object('Store', { name: 'store-oras' }, { name: 'oras' });
const kmp = (name: string, value = CA_PEM): unknown =>
  object(
    'KeyManagementProvider',
    { name },
    { type: 'inline', parameters: { contentType: 'certificate', value } },
  );
const notation = (name: string, provider: string, kind = 'Verifier', namespace?: string): unknown =>
  object(kind, namespace === undefined ? { name } : { name, namespace }, {
    name: 'notation',
    artifactTypes: 'application/vnd.cncf.notary.signature',
    parameters: {
      verificationCertStores: { certs: [provider] },
      trustPolicyDoc: {
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
      },
    },
  });

const noSecrets: SecretLookup = () => undefined;

function parsePemCertificatesOrThrow(pem: string) {
  const parsed = parsePemCertificates(pem);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}
const options = (extra: Partial<KubernetesSnapshotOptions> = {}): KubernetesSnapshotOptions => ({
  generation: 7,
  source: 'kubernetes https://127.0.0.1:6443',
  secrets: noSecrets,
  namespace: 'signet-system',
  ...extra,
});

describe('buildKubernetesSnapshot', () => {
  describe('good resources', () => {
    it('builds the snapshot the file source would, with the given generation and source', async () => {
      const result = await buildKubernetesSnapshot(
        [store, kmp('certs'), notation('verifier-notation', 'certs')],
        options(),
      );
      expect(result.error).toBeUndefined();
      expect(result.snapshot?.generation).toBe(7);
      expect(result.snapshot?.sourceDescription).toBe('kubernetes https://127.0.0.1:6443');
      expect(result.snapshot?.verifiers.map((v) => v.resource.name)).toEqual(['verifier-notation']);
      expect(Object.isFrozen(result.snapshot)).toBe(true);
      expect([...result.outcomes.values()].every((outcome) => outcome.$case === 'accepted')).toBe(true);
    });

    it('lists the certificates a key provider holds, for its status', async () => {
      const result = await buildKubernetesSnapshot([store, kmp('certs'), notation('v', 'certs')], options());
      const outcome = result.outcomes.get('KeyManagementProvider//certs');
      expect(outcome).toEqual({
        $case: 'accepted',
        inventory: {
          certificates: [
            expect.objectContaining({
              subject: 'CN=Snapshot Test CA',
              issuer: 'CN=Snapshot Test CA',
              notAfter: expect.stringMatching(/^2126-/) as unknown,
              sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
            }),
          ],
          keys: [],
        },
      });
    });

    it('gives the same fingerprint for the same configuration, whatever the status and server fields', async () => {
      const first = await buildKubernetesSnapshot([store, kmp('certs'), notation('v', 'certs')], options());
      const reordered = await buildKubernetesSnapshot(
        [notation('v', 'certs'), kmp('certs'), store],
        options({ generation: 8 }),
      );
      expect(reordered.fingerprint).toBe(first.fingerprint);
      const changed = await buildKubernetesSnapshot(
        [store, kmp('certs'), notation('v2', 'certs')],
        options(),
      );
      expect(changed.fingerprint).not.toBe(first.fingerprint);
    });
  });

  describe('a bad resource', () => {
    it('is rejected with its field path while the good ones still make the snapshot', async () => {
      const broken = object(
        'Verifier',
        { name: 'broken' },
        {
          name: 'notation',
          artifactTypes: 'x',
          parameters: { trustPolicyDoc: { version: '2.0', trustPolicies: [] } },
        },
      );
      const result = await buildKubernetesSnapshot(
        [store, kmp('certs'), notation('good', 'certs'), broken],
        options(),
      );
      expect(result.snapshot?.verifiers.map((v) => v.resource.name)).toEqual(['good']);
      const outcome = result.outcomes.get('Verifier//broken');
      expect(outcome?.$case).toBe('rejected');
      expect(outcome?.$case === 'rejected' && outcome.message).toContain(
        'spec.parameters.trustPolicyDoc.version: must be "1.0"',
      );
    });

    it('takes down the verifiers that use it, each with the reason', async () => {
      const result = await buildKubernetesSnapshot(
        [
          store,
          kmp('certs'),
          kmp('bad', 'not a certificate'),
          notation('good', 'certs'),
          notation('uses-bad', 'bad'),
        ],
        options(),
      );
      expect(result.outcomes.get('KeyManagementProvider//bad')?.$case).toBe('rejected');
      const dependant = result.outcomes.get('Verifier//uses-bad');
      expect(dependant?.$case === 'rejected' && dependant.message).toBe(
        'spec.parameters.verificationCertStores.certs[0]: KeyManagementProvider or CertificateStore "bad" is not defined',
      );
      expect(result.snapshot?.verifiers.map((v) => v.resource.name)).toEqual(['good']);
    });

    it('rejects a verifier whose own rules fail (verifierProblem) and keeps the others', async () => {
      const verifierProblem = (verifier: VerifierConfig): Promise<string | undefined> =>
        Promise.resolve(
          verifier.resource.name === 'seed'
            ? 'trust policy "default": trustedIdentities must not be empty'
            : undefined,
        );
      const result = await buildKubernetesSnapshot(
        [store, kmp('certs'), notation('seed', 'certs'), notation('good', 'certs')],
        options({ verifierProblem }),
      );
      expect(result.outcomes.get('Verifier//seed')).toEqual({
        $case: 'rejected',
        message: 'trust policy "default": trustedIdentities must not be empty',
      });
      expect(result.snapshot?.verifiers.map((v) => v.resource.name)).toEqual(['good']);
    });

    it('leaves no snapshot when no Verifier is left, and says why', async () => {
      const result = await buildKubernetesSnapshot([store, kmp('certs')], options());
      expect(result.snapshot).toBeUndefined();
      expect(result.error?.code).toBe('CONFIG_INVALID');
      expect(result.error?.message).toContain('no Verifier is defined');
    });
  });

  describe('namespaced resources', () => {
    it('apply to their namespace only; other namespaces get the cluster-wide ones', async () => {
      const namespacedKmp = object(
        'NamespacedKeyManagementProvider',
        { name: 'team-certs', namespace: 'team-a' },
        {
          type: 'inline',
          parameters: { contentType: 'certificate', value: CA_PEM },
        },
      );
      const result = await buildKubernetesSnapshot(
        [
          store,
          kmp('certs'),
          notation('cluster', 'certs'),
          namespacedKmp,
          notation('team', 'team-a/team-certs', 'NamespacedVerifier', 'team-a'),
        ],
        options(),
      );
      const snapshot = result.snapshot;
      if (snapshot === undefined) throw new Error(result.error?.message);
      expect(toNamespaceView(snapshot, 'team-a').verifiers.map((v) => v.resource.name)).toEqual(['team']);
      expect(toNamespaceView(snapshot, 'team-b').verifiers.map((v) => v.resource.name)).toEqual(['cluster']);
      expect(toNamespaceView(snapshot, undefined).verifiers.map((v) => v.resource.name)).toEqual(['cluster']);
    });
  });

  describe('Secrets', () => {
    const secrets: SecretLookup = (namespace, name) =>
      namespace === 'signet-system' && name === 'trust'
        ? {
            'ca.crt': Buffer.from(CA_PEM).toString('base64'),
            'key.pem': Buffer.from(KEY_PEM).toString('base64'),
          }
        : undefined;

    it('read a key provider value from valueFrom.secretKeyRef, and a change of the Secret changes the fingerprint', async () => {
      const fromSecret = object(
        'KeyManagementProvider',
        { name: 'certs' },
        {
          type: 'inline',
          parameters: {
            contentType: 'certificate',
            valueFrom: { secretKeyRef: { name: 'trust', key: 'ca.crt' } },
          },
        },
      );
      const result = await buildKubernetesSnapshot(
        [store, fromSecret, notation('v', 'certs')],
        options({ secrets }),
      );
      expect(result.snapshot?.keyManagementProviders[0]?.certificates).toHaveLength(1);
      const rotated = await buildKubernetesSnapshot(
        [store, fromSecret, notation('v', 'certs')],
        options({
          secrets: () => ({ 'ca.crt': Buffer.from(`${CA_PEM}\n`).toString('base64') }),
        }),
      );
      expect(rotated.fingerprint).not.toBe(result.fingerprint);
    });

    it('reject a reference to a missing key or Secret with the field that holds it', async () => {
      const missingKey = object(
        'KeyManagementProvider',
        { name: 'certs' },
        {
          type: 'inline',
          parameters: { valueFrom: { secretKeyRef: { name: 'trust', key: 'tls.crt' } } },
        },
      );
      const missingSecret = object(
        'KeyManagementProvider',
        { name: 'other' },
        {
          type: 'inline',
          parameters: { valueFrom: { secretKeyRef: { name: 'gone', key: 'ca.crt' } } },
        },
      );
      const result = await buildKubernetesSnapshot(
        [store, missingKey, missingSecret, notation('v', 'certs')],
        options({ secrets }),
      );
      expect(result.outcomes.get('KeyManagementProvider//certs')).toEqual({
        $case: 'rejected',
        message:
          'spec.parameters.valueFrom.secretKeyRef.key: Secret "signet-system/trust" has no key "tls.crt"',
      });
      expect(result.outcomes.get('KeyManagementProvider//other')).toEqual({
        $case: 'rejected',
        message: 'spec.parameters.valueFrom.secretKeyRef: Secret "signet-system/gone" does not exist',
      });
    });
  });

  describe('kritis resources', () => {
    const RSA_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string;
    const RSA_SHA256 = createHash('sha256')
      .update(createPublicKey(RSA_PEM).export({ type: 'spki', format: 'der' }))
      .digest('hex');
    const kritis = (kind: string, metadata: Metadata, spec: Record<string, unknown>): unknown => ({
      ...(object(kind, metadata, spec) as Record<string, unknown>),
      apiVersion: 'kritis.grafeas.io/v1beta1',
    });
    const authority = (publicKeyData: string): unknown =>
      kritis(
        'AttestationAuthority',
        { name: 'demo-aa' },
        { noteReference: 'namespaces/demo-aa', publicKeyData, publicKeyId: 'kms-key' },
      );
    const policy = kritis(
      'GenericAttestationPolicy',
      { name: 'demo-gap', namespace: 'team-a' },
      { attestationAuthorityNames: ['demo-aa'] },
    );

    it('make a kritis-only snapshot whose policy applies in its namespace; the authority lists its key', async () => {
      const result = await buildKubernetesSnapshot(
        [store, authority(Buffer.from(RSA_PEM).toString('base64')), policy],
        options(),
      );
      expect(result.error).toBeUndefined();
      const snapshot = result.snapshot;
      if (snapshot === undefined) throw new Error('no snapshot');
      expect(toNamespaceView(snapshot, 'team-a').attestationPolicies).toHaveLength(1);
      expect(toNamespaceView(snapshot, 'team-b').attestationPolicies).toHaveLength(0);
      expect(result.outcomes.get('AttestationAuthority//demo-aa')).toEqual({
        $case: 'accepted',
        inventory: {
          certificates: [],
          keys: [{ algorithm: 'rsa', sha256: RSA_SHA256 }],
        },
      });
      expect(result.outcomes.get('GenericAttestationPolicy/team-a/demo-gap')?.$case).toBe('accepted');
    });

    it('reject an authority with a bad key, while the policy naming it stays in force and attests nothing', async () => {
      const result = await buildKubernetesSnapshot([store, authority('bm90IGEga2V5'), policy], options());
      expect(result.outcomes.get('AttestationAuthority//demo-aa')).toEqual({
        $case: 'rejected',
        message: 'spec.publicKeyData: must be a base64-encoded PEM public key (the decoded value is not PEM)',
      });
      expect(result.outcomes.get('GenericAttestationPolicy/team-a/demo-gap')?.$case).toBe('accepted');
      const snapshot = result.snapshot;
      if (snapshot === undefined) throw new Error('no snapshot');
      const [inForce] = toNamespaceView(snapshot, 'team-a').attestationPolicies;
      expect(inForce?.authorities.map((a) => [a.resource.name, a.publicKeys.length])).toEqual([
        ['demo-aa', 0],
      ]);
    });

    it('change the fingerprint when a rejected authority is deleted (its policy is then rejected)', async () => {
      const rejected = await buildKubernetesSnapshot([store, authority('bm90IGEga2V5'), policy], options());
      const deleted = await buildKubernetesSnapshot(
        [store, notation('verifier-notation', 'certs'), kmp('certs'), policy],
        options(),
      );
      expect(deleted.fingerprint).not.toBe(rejected.fingerprint);
      expect(deleted.outcomes.get('GenericAttestationPolicy/team-a/demo-gap')).toEqual({
        $case: 'rejected',
        message:
          'spec.attestationAuthorityNames[0]: AttestationAuthority "demo-aa" is not defined in namespace "team-a" or cluster-wide',
      });
    });

    it('read the authority key from valueFrom.secretKeyRef', async () => {
      const spec = {
        noteReference: 'namespaces/demo-aa',
        valueFrom: { secretKeyRef: { name: 'kms', key: 'pub.pem' } },
      };
      const secrets: SecretLookup = (_, name) =>
        name === 'kms' ? { 'pub.pem': Buffer.from(RSA_PEM).toString('base64') } : undefined;
      const result = await buildKubernetesSnapshot(
        [store, kritis('AttestationAuthority', { name: 'demo-aa' }, spec), policy],
        options({ secrets }),
      );
      expect(result.snapshot?.attestationAuthorities).toHaveLength(1);
      expect(result.outcomes.get('AttestationAuthority//demo-aa')?.$case).toBe('accepted');
    });
  });
  describe('Key Vault providers', () => {
    const akv = object(
      'KeyManagementProvider',
      { name: 'akv' },
      {
        type: 'azurekeyvault',
        refreshInterval: '1m',
        parameters: {
          vaultURI: 'https://signing.vault.azure.net/',
          tenantID: 'tenant',
          clientID: 'client',
          certificates: [{ name: 'signing' }],
        },
      },
    );
    const caCertificates = parsePemCertificatesOrThrow(CA_PEM).slice(0, 1);
    const fetched = (fingerprint: string, problem?: string): KeyVaultMaterial => ({
      certificates: problem === undefined ? caCertificates : [],
      publicKeys: [],
      objects: [
        {
          type: 'certificate',
          name: 'signing',
          version: 'v1',
          enabled: problem === undefined,
          error: problem,
        },
      ],
      problem,
      fingerprint,
    });
    const keyVault = (material: KeyVaultMaterial): KubernetesSnapshotOptions['keyVault'] => ({
      materialOf: () => material,
      apply: (provider) => ({
        ...provider,
        certificates: material.certificates,
        unavailable: material.problem,
      }),
    });

    it('lists them for fetching, and puts the fetched certificates in the snapshot and the status inventory', async () => {
      const result = await buildKubernetesSnapshot([store, akv, notation('verifier-notation', 'akv')], {
        ...options(),
        keyVault: keyVault(fetched('v1')),
      });
      expect(result.keyVaultProviders.map((p) => p.resource.name)).toEqual(['akv']);
      expect(result.snapshot?.keyManagementProviders[0]?.certificates).toHaveLength(1);
      const outcome = result.outcomes.get('KeyManagementProvider//akv');
      expect(outcome).toMatchObject({
        $case: 'accepted',
        inventory: {
          certificates: [{ subject: caCertificates[0]?.subject }],
          vaultObjects: [{ type: 'certificate', name: 'signing', version: 'v1', enabled: true, error: null }],
        },
      });
      expect(outcome?.$case === 'accepted' && outcome.error).toBeUndefined();
    });

    it('makes a new fingerprint when the vault material changes (rotation is a new generation)', async () => {
      const build = async (fingerprint: string) =>
        (
          await buildKubernetesSnapshot([store, akv, notation('verifier-notation', 'akv')], {
            ...options(),
            keyVault: keyVault(fetched(fingerprint)),
          })
        ).fingerprint;
      expect(await build('v1')).toBe(await build('v1'));
      expect(await build('v2')).not.toBe(await build('v1'));
    });

    it('keeps an unusable provider and its Verifier in force, its status saying why', async () => {
      const result = await buildKubernetesSnapshot([store, akv, notation('verifier-notation', 'akv')], {
        ...options(),
        keyVault: keyVault(fetched('off', 'certificate signing version v1 is disabled')),
      });
      expect(result.snapshot?.verifiers.map((v) => v.resource.name)).toEqual(['verifier-notation']);
      expect(result.snapshot?.keyManagementProviders[0]?.unavailable).toBe(
        'certificate signing version v1 is disabled',
      );
      expect(result.outcomes.get('KeyManagementProvider//akv')).toMatchObject({
        $case: 'accepted',
        error: 'certificate signing version v1 is disabled',
      });
    });
  });
});
