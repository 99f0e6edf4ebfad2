// openssl-made chains root → intermediate → leaf for every key type notation supports, signed by the real
// notation CLI (JWS and COSE), pushed to a real olareg registry and judged by a real signet process.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { attachArtifact, pushImage } from '../helpers/images.js';
import { createJwsEnvelope } from '../helpers/notation-verify.js';
import {
  KEY_SPECS,
  createCertificateChain,
  createChainSigner,
  keySpecName,
  type CertificateChain,
  type ChainSigner,
} from '../helpers/openssl-ca.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { notationConfig } from '../helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const NOTATION_SIGNATURE = 'application/vnd.cncf.notary.signature';

let dir: string;
let registry: TestRegistry;
let provider: StartedProvider | undefined;
const chains = new Map<string, { chain: CertificateChain; signer: ChainSigner }>();

async function verify(key: string): Promise<ProviderItem> {
  if (provider === undefined) throw new Error('provider not started');
  const answer = await callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, [key]);
  const item = answer.body.response?.items?.[0];
  if (item === undefined)
    throw new Error(`no item for ${key}: ${answer.body.response?.systemError ?? 'no systemError'}`);
  return item;
}

async function signed(name: string, format: 'jws' | 'cose'): Promise<string> {
  const entry = chains.get(name);
  if (entry === undefined) throw new Error(`no chain ${name}`);
  const repository = `chains/${name.toLowerCase()}`;
  const image = await pushImage(registry, repository, format);
  await entry.signer.sign(`${registry.host}/${repository}@${image.digest}`, { format });
  return image.reference;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-notation-chains-'));
  registry = await startRegistry();
  const configHome = join(dir, 'notation-home');
  const specs = [
    ...KEY_SPECS.map((key) => ({
      name: keySpecName(key),
      key,
      leafExtendedKeyUsage: 'codeSigning' as const,
    })),
    { name: 'stranger', key: KEY_SPECS[0]!, leafExtendedKeyUsage: 'codeSigning' as const },
    { name: 'server-auth', key: KEY_SPECS[3]!, leafExtendedKeyUsage: 'serverAuth' as const },
  ];
  // Sequential: key generation is CPU-bound and the machine is shared.
  for (const spec of specs) {
    const chain = await createCertificateChain(dir, spec.name, spec);
    chains.set(spec.name, { chain, signer: await createChainSigner(configHome, spec.name, chain) });
  }
  const trustedRoots = await Promise.all(
    [...chains]
      .filter(([name]) => name !== 'stranger')
      .map(([, { chain }]) => readFile(chain.root.certPath, 'utf8')),
  );
  const configPath = join(dir, 'config.yaml');
  await writeFile(
    configPath,
    notationConfig({ trust: { $case: 'inline', certificatePem: trustedRoots.join('') } }),
  );
  provider = await startProvider(['--insecure-http', '--config', configPath, '--log-level', 'warn']);
}, 300_000);

afterAll(async () => {
  await provider?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('notation signatures by openssl-made chains', () => {
  describe.each(KEY_SPECS.map((key) => [keySpecName(key)]))('%s root → intermediate → leaf', (name) => {
    const formats =
      name === 'RSA-2048' || name === 'EC-P-256' ? (['jws', 'cose'] as const) : (['jws'] as const);
    it.each(formats.map((format) => [format]))(
      '%s signature is allowed with the root in the trust store',
      async (format) => {
        const reference = await signed(name, format);
        const item = await verify(reference);
        expect(item.value?.verifierReports?.[0]?.message).toBeDefined();
        expect(item.value?.isSuccess).toBe(true);
        const report = item.value?.verifierReports?.[0] as
          { extensions?: Record<string, unknown> } | undefined;
        expect(report?.extensions?.SN).toBe(`CN=${name}-leaf,O=signet-test,C=US`);
        expect(report?.extensions?.Issuer).toBe(`CN=${name}-intermediate,O=signet-test,C=US`);
      },
      60_000,
    );
  });

  describe('a chain whose root is not in the trust store', () => {
    it('is denied, naming authenticity', async () => {
      const item = await verify(await signed('stranger', 'jws'));
      expect(item.value?.isSuccess).toBe(false);
      expect(String(item.value?.verifierReports?.[0]?.message)).toMatch(/authenticity/);
    }, 60_000);
  });
});

async function attachedJws(name: string): Promise<string> {
  const entry = chains.get(name);
  if (entry === undefined) throw new Error(`no chain ${name}`);
  const repository = `handmade/${name.toLowerCase()}`;
  const image = await pushImage(registry, repository, 'v1');
  // notation refuses to sign with these leaves (it checks the EKU itself), so the envelope is made here.
  const envelope = await createJwsEnvelope(entry.chain, entry.chain.leaf, image);
  await attachArtifact(
    registry,
    `${registry.host}/${repository}@${image.digest}`,
    NOTATION_SIGNATURE,
    envelope,
    'application/jose+json',
  );
  return image.reference;
}

describe('a leaf with extended key usage serverAuth only', () => {
  it('is refused by notation itself at signing time', async () => {
    await expect(signed('server-auth', 'jws')).rejects.toThrow(/serverAuth|extended key usage|ExtKeyUsage/i);
  }, 60_000);

  it('is denied by signet when signed anyway (the same envelope builder with a codeSigning leaf is allowed)', async () => {
    const control = await verify(await attachedJws('EC-P-256'));
    expect(control.value?.isSuccess).toBe(true);
    const item = await verify(await attachedJws('server-auth'));
    expect(item.value?.isSuccess).toBe(false);
    expect(String(item.value?.verifierReports?.[0]?.message)).toMatch(
      /authenticity|extended key usage|serverAuth/i,
    );
  }, 60_000);
});
