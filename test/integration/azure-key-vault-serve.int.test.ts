// `signet serve --config` with Ratify's `azurekeyvault` KeyManagementProvider, its certificates and keys served by
// the loopback Entra ID / Key Vault emulator (test/helpers/azure/azure-emulator.ts; Azure is not reachable from the
// tests). The signet process reaches the emulator over TLS through NODE_EXTRA_CA_CERTS and gets Azure Workload
// Identity's environment. Images are signed by the real notation and cosign CLIs with the vault's certificate and
// key; rotation in the vault changes the verdicts within one refresh interval, without a restart.
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  azureKeyVaultProvider,
  type AzureEmulator,
  type VaultCertificateVersion,
} from '../helpers/azure/azure-emulator.js';
import { pemVaultCertificate, pkcs12VaultCertificate } from '../helpers/azure/vault-secrets.js';
import {
  seedConfigWithVault as seedConfigWithAkv,
  startWorkloadIdentityVault,
  type WorkloadIdentityVault,
} from '../helpers/azure/workload-identity-vault.js';
import { createCosignKeyPair, cosignSign } from '../helpers/cosign.js';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage } from '../helpers/images.js';
import { createCertificateChain, createChainSigner, type ChainSigner } from '../helpers/openssl-ca.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { COSIGN_STORE, cosignVerifier } from '../helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

/** The seed's Store and notation Verifier, its inline provider replaced by a vault one in the same role. */
function seedConfigWithVault(certificates: { name: string; version?: string }[]): Promise<string> {
  return seedConfigWithAkv(identity, certificates, '2s');
}

let dir: string;
let identity: WorkloadIdentityVault;
let emulator: AzureEmulator;
let registry: TestRegistry;
const providers: StartedProvider[] = [];

function vault(parameters: {
  certificates?: { name: string; version?: string }[];
  keys?: { name: string }[];
}): ReturnType<WorkloadIdentityVault['vault']> {
  return identity.vault(parameters);
}

/** Waits for the provider to print `pattern` (an event, not a timer); bounded by the test's timeout. */
function waitForOutput(provider: StartedProvider, pattern: RegExp, after: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): boolean => pattern.test(provider.output().slice(after));
    if (check()) return resolve();
    const listener = (): void => {
      if (!check()) return;
      provider.process.stdout?.off('data', listener);
      resolve();
    };
    provider.process.stdout?.on('data', listener);
  });
}

async function serve(config: string): Promise<StartedProvider> {
  const path = join(dir, `config-${providers.length}.yaml`);
  await writeFile(path, config);
  const provider = await startProvider(
    ['--insecure-http', '--config', path, '--log-level', 'info'],
    identity.env,
  );
  providers.push(provider);
  return provider;
}

async function verify(provider: StartedProvider, key: string): Promise<ProviderItem> {
  const answer = await callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, [key]);
  const item = answer.body.response?.items?.[0];
  if (item === undefined)
    return { key, error: answer.body.response?.systemError ?? 'no item, no systemError' };
  return item;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-akv-serve-'));
  identity = await startWorkloadIdentityVault(dir);
  emulator = identity.emulator;
  registry = await startRegistry();
}, 120_000);

afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.stop()));
  await Promise.all([identity?.close(), registry?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('notation with certificates from Key Vault (the seed-shaped KeyManagementProvider)', () => {
  let provider: StartedProvider;
  let first: ChainSigner;
  let firstVersion: VaultCertificateVersion;

  beforeAll(async () => {
    const chain = await createCertificateChain(dir, 'vault-v1', { key: { $case: 'rsa', bits: 2048 } });
    first = await createChainSigner(join(dir, 'notation-v1'), 'vault-v1', chain);
    firstVersion = emulator.addCertificate(
      'signing',
      await pemVaultCertificate(dir, chain.leaf.keyPath, chain.chainPath),
    );
    provider = await serve(await seedConfigWithVault([{ name: 'signing' }]));
  }, 120_000);

  it('admits an image signed by the vault certificate and denies an unsigned one', async () => {
    const signed = await pushImage(registry, 'akv/signed', 'v1');
    await first.sign(`${registry.host}/akv/signed@${signed.digest}`);
    const unsigned = await pushImage(registry, 'akv/unsigned', 'v1');
    expect((await verify(provider, signed.reference)).value?.isSuccess).toBe(true);
    const denied = await verify(provider, unsigned.reference);
    expect(denied.value?.isSuccess).toBe(false);
  });

  it('follows a rotation in the vault within one refresh interval: the new version signs, the old is disabled', async () => {
    const oldImage = await pushImage(registry, 'akv/old', 'v1');
    await first.sign(`${registry.host}/akv/old@${oldImage.digest}`);
    expect((await verify(provider, oldImage.reference)).value?.isSuccess).toBe(true);

    const chain = await createCertificateChain(dir, 'vault-v2', { key: { $case: 'ec', curve: 'P-256' } });
    const second = await createChainSigner(join(dir, 'notation-v2'), 'vault-v2', chain);
    const newImage = await pushImage(registry, 'akv/new', 'v1');
    await second.sign(`${registry.host}/akv/new@${newImage.digest}`);
    expect((await verify(provider, newImage.reference)).value?.isSuccess).toBe(false);

    const mark = provider.output().length;
    emulator.addCertificate(
      'signing',
      await pkcs12VaultCertificate(dir, chain.leaf.keyPath, chain.chainPath, { encrypted: true }),
    );
    firstVersion.enabled = false;
    await waitForOutput(provider, /configuration loaded/, mark);

    expect((await verify(provider, newImage.reference)).value?.isSuccess).toBe(true);
    expect((await verify(provider, oldImage.reference)).value?.isSuccess).toBe(false);
  });

  it('fails closed when the pinned version is disabled, naming the version', async () => {
    const pinned = emulator.certificate('signing')[0];
    if (pinned === undefined) throw new Error('no first version');
    const pinnedProvider = await serve(
      await seedConfigWithVault([{ name: 'signing', version: pinned.version }]),
    );
    const image = await pushImage(registry, 'akv/pinned', 'v1');
    await first.sign(`${registry.host}/akv/pinned@${image.digest}`);
    const item = await verify(pinnedProvider, image.reference);
    expect(item.value).toBeUndefined();
    expect(item.error).toContain(`certificate signing version ${pinned.version} is disabled`);
    expect(pinnedProvider.output()).toContain('key vault material is unusable');
  });
});

describe('cosign with a key from Key Vault (a key, not a certificate, provider)', () => {
  it('admits an image signed with the vault key by the cosign CLI, and only that one', async () => {
    const pair = await createCosignKeyPair(join(dir, 'cosign-vault'), 'ecdsa-p256');
    const stranger = await createCosignKeyPair(join(dir, 'cosign-stranger'), 'ecdsa-p256');
    emulator.addKey(
      'cosign-signing',
      createPublicKey(await readFile(pair.publicKeyPath, 'utf8')).export({ format: 'jwk' }),
    );
    const provider = await serve(
      azureKeyVaultProvider('akv-keys', vault({ keys: [{ name: 'cosign-signing' }] }), '5m') +
        `${COSIGN_STORE}---\n` +
        cosignVerifier([
          { name: 'vault', scopes: ['*'], keys: [{ provider: 'akv-keys' }], tLogVerify: false },
        ]),
    );
    const signed = await pushImage(registry, 'akv/cosign-signed', 'v1');
    await cosignSign(registry, pair, `${registry.host}/akv/cosign-signed@${signed.digest}`, dir);
    const foreign = await pushImage(registry, 'akv/cosign-foreign', 'v1');
    await cosignSign(registry, stranger, `${registry.host}/akv/cosign-foreign@${foreign.digest}`, dir);
    expect((await verify(provider, signed.reference)).value?.isSuccess).toBe(true);
    expect((await verify(provider, foreign.reference)).value?.isSuccess).toBe(false);
  });
});
