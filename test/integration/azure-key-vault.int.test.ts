// Ratify's `azurekeyvault` key management provider, fetched with the official Azure SDKs (@azure/identity's
// WorkloadIdentityCredential, @azure/keyvault-certificates/-secrets/-keys) from a loopback emulator of Entra ID and
// Key Vault (test/helpers/azure/azure-emulator.ts): Azure is not reachable from the tests, so the emulator implements
// the documented wire protocols over TLS with a test CA, and the tests assert what the SDKs sent.
import { createPublicKey, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyVaultFetcher, type KeyVaultFetcher } from '../../provider/config/index.js';
import type { AzureKeyVaultSettings } from '../../provider/config/index.js';
import { createAzureCredential } from '../../provider/registry/index.js';
import { startAzureEmulator, VAULT_RESOURCE, type AzureEmulator } from '../helpers/azure/azure-emulator.js';
import { pemVaultCertificate, pkcs12VaultCertificate } from '../helpers/azure/vault-secrets.js';
import { createCosignKeyPair } from '../helpers/cosign.js';
import { createCertificateChain, type CertificateChain } from '../helpers/openssl-ca.js';
import { createCa, issue } from '../helpers/pki.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '00000000-1111-2222-3333-444444444444';

let dir: string;
let emulator: AzureEmulator;
let fetcher: KeyVaultFetcher;
let chainA: CertificateChain;
let chainB: CertificateChain;
let tokenFile: string;

function settings(overrides: Partial<AzureKeyVaultSettings>): AzureKeyVaultSettings {
  return {
    vaultURI: `${emulator.url}/`,
    tenantID: TENANT,
    clientID: CLIENT,
    cloudName: undefined,
    certificates: [],
    keys: [],
    ...overrides,
  };
}

/** The subjects of a chain's CA certificates (intermediate, root) as @peculiar/x509 writes them. */
function anchorSubjects(chain: CertificateChain): string[] {
  return [chain.intermediate, chain.root].map((c) => c.subject.replace(/^\//, '').replace(/\//g, ', '));
}

function subjects(material: { certificates: readonly { subject: string }[] }): string[] {
  return material.certificates.map((certificate) => certificate.subject);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-akv-'));
  const ca = await createCa(dir, 'azure-emulator-ca');
  const serving = await issue(dir, ca, 'azure-emulator', 'serverAuth');
  tokenFile = join(dir, 'azure-identity-token');
  await writeFile(tokenFile, 'federated-token-1\n');
  emulator = await startAzureEmulator({
    tls: serving,
    tenantId: TENANT,
    clientId: CLIENT,
    federatedToken: 'federated-token-1',
  });
  const agent = new Agent({ ca: await readFile(ca.cert), keepAlive: false });
  fetcher = createKeyVaultFetcher({
    agent,
    credentialFor: (vault, owner) =>
      createAzureCredential(
        {
          identity: 'workload',
          clientId: vault.clientID,
          tenantId: vault.tenantID,
          cloudName: vault.cloudName,
          owner,
        },
        {
          agent,
          environment: {
            AZURE_FEDERATED_TOKEN_FILE: tokenFile,
            AZURE_CLIENT_ID: 'overridden-by-clientID',
            AZURE_TENANT_ID: TENANT,
            AZURE_AUTHORITY_HOST: emulator.url,
          },
        },
      ),
  });
  [chainA, chainB] = await Promise.all([
    createCertificateChain(dir, 'kv-a', { key: { $case: 'rsa', bits: 2048 } }),
    createCertificateChain(dir, 'kv-b', { key: { $case: 'ec', curve: 'P-256' } }),
  ]);
}, 120_000);

afterAll(async () => {
  await emulator?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('azurekeyvault certificates through the Azure SDKs', () => {
  it('reads the latest version of a PEM certificate as its secret, with challenge auth and workload identity', async () => {
    const content = await pemVaultCertificate(dir, chainA.leaf.keyPath, chainA.chainPath);
    const version = emulator.addCertificate('pem-cert', content);
    const before = emulator.requests.length;
    const material = await fetcher.fetchMaterial(
      settings({ certificates: [{ name: 'pem-cert', version: undefined }] }),
      'KeyManagementProvider/akv',
    );
    expect(material.problem).toBeUndefined();
    // The chain's CA certificates become trust anchors; its leaf (not a CA, not self-signed) is left out, as Ratify does.
    expect(subjects(material)).toEqual(anchorSubjects(chainA));
    expect(material.objects).toEqual([
      { type: 'certificate', name: 'pem-cert', version: version.version, enabled: true, error: undefined },
    ]);

    const sent = emulator.requests.slice(before);
    const vaultCalls = sent.filter(
      (r) => r.path.startsWith('/certificates/') || r.path.startsWith('/secrets/'),
    );
    // Challenge auth: the first vault request goes out without a token and is answered 401 with the authority.
    expect(vaultCalls[0]).toMatchObject({
      method: 'GET',
      path: '/certificates/pem-cert/',
      authorization: undefined,
    });
    expect(vaultCalls[0]?.query['api-version']).toBe('2025-07-01');
    const authenticated = vaultCalls.filter((r) => r.authorization !== undefined);
    expect(authenticated.map((r) => [r.path, r.query['api-version']])).toEqual([
      ['/certificates/pem-cert/', '2025-07-01'],
      [`/secrets/pem-cert/${version.version}`, '2026-04-01'],
    ]);
    for (const call of authenticated)
      expect(emulator.verifyAccessToken(call.authorization, VAULT_RESOURCE)).toBe(true);
    // MSAL: tenant discovery, then the client-assertion grant with the federated token as assertion.
    expect(
      sent.some((r) => r.method === 'GET' && r.path === `/${TENANT}/v2.0/.well-known/openid-configuration`),
    ).toBe(true);
    const tokenRequests = sent.filter((r) => r.path === `/${TENANT}/oauth2/v2.0/token`);
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]?.form).toMatchObject({
      grant_type: 'client_credentials',
      client_id: CLIENT,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'federated-token-1',
    });
    expect(tokenRequests[0]?.form.scope?.split(' ')).toContain('https://vault.azure.net/.default');
    expect(sent.some((r) => r.path.includes('discovery/instance'))).toBe(false);
  });
});

describe('azurekeyvault certificate content types, versions and failures', () => {
  const fetchOne = (name: string, version?: string) =>
    fetcher.fetchMaterial(settings({ certificates: [{ name, version }] }), 'KeyManagementProvider/akv');

  it.each([
    ['openssl 3 defaults (AES-256 PBES2, SHA-256 MAC)', true],
    ['unencrypted safes', false],
  ])('reads a PKCS#12 chain with %s', async (_name, encrypted) => {
    const name = `pfx-${String(encrypted)}`;
    emulator.addCertificate(
      name,
      await pkcs12VaultCertificate(dir, chainB.leaf.keyPath, chainB.chainPath, { encrypted }),
    );
    const material = await fetchOne(name);
    expect(material.problem).toBeUndefined();
    expect(new Set(subjects(material))).toEqual(new Set(anchorSubjects(chainB)));
  });

  it('pins a version, or follows the latest', async () => {
    const old = emulator.addCertificate(
      'rotating',
      await pemVaultCertificate(dir, chainA.leaf.keyPath, chainA.chainPath),
    );
    emulator.addCertificate(
      'rotating',
      await pemVaultCertificate(dir, chainB.leaf.keyPath, chainB.chainPath),
    );
    expect(subjects(await fetchOne('rotating'))).toEqual(anchorSubjects(chainB));
    const pinned = await fetchOne('rotating', old.version);
    expect(subjects(pinned)).toEqual(anchorSubjects(chainA));
    expect(pinned.objects[0]?.version).toBe(old.version);
    const versionCall = emulator.requests.filter((r) => r.path === `/certificates/rotating/${old.version}`);
    expect(versionCall.length).toBeGreaterThan(0);
  });

  it('fails closed on a disabled version, naming it, and withholds the rest of the provider', async () => {
    const disabled = emulator.addCertificate(
      'disabled',
      await pemVaultCertificate(dir, chainA.leaf.keyPath, chainA.chainPath),
    );
    disabled.enabled = false;
    emulator.addCertificate('fine', await pemVaultCertificate(dir, chainB.leaf.keyPath, chainB.chainPath));
    const material = await fetcher.fetchMaterial(
      settings({
        certificates: [
          { name: 'fine', version: undefined },
          { name: 'disabled', version: disabled.version },
        ],
      }),
      'KeyManagementProvider/akv',
    );
    expect(material.problem).toBe(`certificate disabled version ${disabled.version} is disabled`);
    expect(material.certificates).toEqual([]);
    expect(material.objects.find((o) => o.name === 'disabled')).toMatchObject({ enabled: false });
  });

  it('reports the secret 403 when the certificate object is enabled but its secret is not readable', async () => {
    const entry = emulator.addCertificate(
      'secret-off',
      await pemVaultCertificate(dir, chainA.leaf.keyPath, chainA.chainPath),
    );
    // The certificate metadata says enabled; only the secret is disabled (as after `az keyvault secret set-attributes`).
    const pinnedBefore = await fetchOne('secret-off', entry.version);
    expect(pinnedBefore.problem).toBeUndefined();
    entry.enabled = false;
    const after = await fetchOne('secret-off', entry.version);
    expect(after.problem).toContain('is disabled');
  });

  it('fails closed on an expired object and on a missing certificate or version', async () => {
    emulator.addCertificate('expired', {
      ...(await pemVaultCertificate(dir, chainA.leaf.keyPath, chainA.chainPath)),
      expiresOn: new Date(Date.now() - 60_000),
    });
    expect((await fetchOne('expired')).problem).toMatch(
      /^certificate expired \(latest version\) expired at /,
    );
    expect((await fetchOne('nowhere')).problem).toMatch(
      /^certificate nowhere \(latest version\) could not be read \(HTTP 404 CertificateNotFound: A certificate with \(name\/id\) nowhere was not found/,
    );
    const missingVersion = randomUUID().replace(/-/g, '');
    expect((await fetchOne('pem-cert', missingVersion)).problem).toContain(
      `version ${missingVersion} could not be read (HTTP 404 CertificateNotFound`,
    );
  });
});

describe('azurekeyvault keys through the keys API', () => {
  it.each(['ecdsa-p256', 'rsa-2048', 'ecdsa-p384'] as const)(
    'turns a %s cosign key (JWK) into its public key',
    async (kind) => {
      const pair = await createCosignKeyPair(join(dir, `cosign-${kind}`), kind);
      const publicKey = createPublicKey(await readFile(pair.publicKeyPath, 'utf8'));
      const entry = emulator.addKey(`cosign-${kind}`, publicKey.export({ format: 'jwk' }));
      const before = emulator.requests.length;
      const material = await fetcher.fetchMaterial(
        settings({ keys: [{ name: `cosign-${kind}`, version: entry.version }] }),
        'KeyManagementProvider/akv-keys',
      );
      expect(material.problem).toBeUndefined();
      expect(material.publicKeys).toHaveLength(1);
      const spki = publicKey.export({ format: 'der', type: 'spki' });
      expect(Buffer.from(material.publicKeys[0]?.rawData ?? new ArrayBuffer(0))).toEqual(spki);
      const keyCalls = emulator.requests.slice(before).filter((r) => r.path.startsWith('/keys/'));
      expect(keyCalls.at(-1)).toMatchObject({
        path: `/keys/cosign-${kind}/${entry.version}`,
        query: { 'api-version': '2025-07-01' },
      });
    },
  );

  it('fails closed on a disabled key', async () => {
    const pair = await createCosignKeyPair(join(dir, 'cosign-disabled'), 'ecdsa-p256');
    const entry = emulator.addKey(
      'disabled-key',
      createPublicKey(await readFile(pair.publicKeyPath, 'utf8')).export({ format: 'jwk' }),
    );
    entry.enabled = false;
    const material = await fetcher.fetchMaterial(
      settings({ keys: [{ name: 'disabled-key', version: undefined }] }),
      'KeyManagementProvider/akv-keys',
    );
    expect(material.problem).toMatch(
      /^key disabled-key \(latest version\) could not be read \(HTTP 403 Forbidden: Operation get is not allowed on a disabled key/,
    );
    expect(material.publicKeys).toEqual([]);
  });
});
