// Revocation of notation signatures (OCSP, then CRL) against a real openssl CA: `openssl ocsp` answering requests and
// a CRL made by `openssl ca -gencrl`, both served by a loopback HTTP server in the test; images signed by the real notation CLI.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage } from '../helpers/images.js';
import {
  createCertificateChain,
  answerOcspRequest,
  createChainSigner,
  createCrl,
  issueLeaf,
  issueOcspResponder,
  revokeCertificate,
  type CertificateChain,
  type ChainOptions,
} from '../helpers/openssl-ca.js';
import { freePort, startProvider, type StartedProvider } from '../helpers/process.js';
import { notationConfig } from '../helpers/ratify-config.js';
import { startRevocationServer, type RevocationServer } from '../helpers/revocation-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const KEY = { $case: 'ec', curve: 'P-256' } as const;

let dir: string;
let registry: TestRegistry;
let chain: CertificateChain;
let revocationServer: RevocationServer | undefined;
const providers: Record<'strict' | 'permissive', StartedProvider | undefined> = {
  strict: undefined,
  permissive: undefined,
};
const signedImages = new Map<string, string>();

async function verify(level: 'strict' | 'permissive', key: string): Promise<ProviderItem> {
  const provider = providers[level];
  if (provider === undefined) throw new Error(`${level} provider not started`);
  const answer = await callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, [key]);
  const item = answer.body.response?.items?.[0];
  if (item === undefined)
    throw new Error(`no item for ${key}: ${answer.body.response?.systemError ?? 'no systemError'}`);
  return item;
}

function imageOf(leaf: string): string {
  const reference = signedImages.get(leaf);
  if (reference === undefined) throw new Error(`no image signed by ${leaf}`);
  return reference;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-notation-revocation-'));
  revocationServer = await startRevocationServer();
  const { crlUrl, ocspUrl } = revocationServer;
  // A port that was free a moment ago: nothing answers there.
  const deadUrl = `http://127.0.0.1:${await freePort()}`;

  registry = await startRegistry();
  chain = await createCertificateChain(dir, 'revocation', { key: KEY });
  const leaves: Record<string, ChainOptions> = {
    'good-ocsp': { key: KEY, ocspUrl },
    'revoked-ocsp': { key: KEY, ocspUrl },
    'revoked-crl': { key: KEY, crlUrl },
    'good-crl-fallback': { key: KEY, ocspUrl: deadUrl, crlUrl },
    unreachable: { key: KEY, ocspUrl: deadUrl },
  };
  const configHome = join(dir, 'notation-home');
  for (const [name, options] of Object.entries(leaves)) {
    const leaf = await issueLeaf(chain, name, options);
    if (name.startsWith('revoked')) await revokeCertificate(chain, leaf);
    const signer = await createChainSigner(configHome, name, { leaf, chainPath: leaf.chainPath });
    const image = await pushImage(registry, `revocation/${name}`, 'v1');
    await signer.sign(`${registry.host}/revocation/${name}@${image.digest}`);
    signedImages.set(name, image.reference);
  }
  revocationServer.setCrl(await createCrl(chain));
  const responder = await issueOcspResponder(chain, KEY);
  revocationServer.setOcspAnswerer((request) => answerOcspRequest(chain, responder, request));

  const root = await readFile(chain.root.certPath, 'utf8');
  for (const level of ['strict', 'permissive'] as const) {
    const configPath = join(dir, `config-${level}.yaml`);
    await writeFile(configPath, notationConfig({ trust: { $case: 'inline', certificatePem: root }, level }));
    providers[level] = await startProvider([
      '--insecure-http',
      '--config',
      configPath,
      '--log-level',
      'warn',
    ]);
  }
}, 300_000);

afterAll(async () => {
  for (const provider of Object.values(providers)) await provider?.stop();
  await revocationServer?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('notation revocation checking', () => {
  describe('a good leaf (OCSP answers good)', () => {
    it('is allowed', async () => {
      const item = await verify('strict', imageOf('good-ocsp'));
      expect(item.value?.verifierReports?.[0]?.message).toBeDefined();
      expect(item.value?.isSuccess).toBe(true);
    }, 30_000);
  });

  describe('a leaf revoked in the OCSP responder', () => {
    it('is denied at level strict, naming revocation', async () => {
      const item = await verify('strict', imageOf('revoked-ocsp'));
      expect(item.value?.isSuccess).toBe(false);
      expect(String(item.value?.verifierReports?.[0]?.message)).toMatch(
        /revocation validation failed.*is revoked/,
      );
    }, 30_000);

    it('is allowed at level permissive, where revocation is only logged', async () => {
      const item = await verify('permissive', imageOf('revoked-ocsp'));
      expect(item.value?.isSuccess).toBe(true);
    }, 30_000);
  });

  describe('a leaf revoked in the CRL (no OCSP responder named)', () => {
    it('is denied at level strict, naming revocation', async () => {
      const item = await verify('strict', imageOf('revoked-crl'));
      expect(item.value?.isSuccess).toBe(false);
      expect(String(item.value?.verifierReports?.[0]?.message)).toMatch(
        /revocation validation failed.*is revoked/,
      );
    }, 30_000);
  });

  describe('a leaf whose OCSP responder is down but whose CRL is served', () => {
    it('is allowed after falling back to the CRL', async () => {
      const item = await verify('strict', imageOf('good-crl-fallback'));
      expect(item.value?.isSuccess).toBe(true);
    }, 30_000);
  });

  describe('a leaf whose only revocation source is down', () => {
    it('is denied at level strict as a transient failure (revocation status is unknown), left for Gatekeeper to retry', async () => {
      const provider = providers.strict;
      if (provider === undefined) throw new Error('strict provider not started');
      const key = imageOf('unreachable');
      const answer = await callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, [key]);
      expect(answer.body.response?.items).toEqual([]);
      expect(answer.body.response?.systemError).toContain('REVOCATION_UNAVAILABLE');
      expect(answer.body.response?.systemError).toMatch(/revocation status is unknown/);
    }, 30_000);

    it('is allowed at level permissive, as notation logs the failure', async () => {
      const item = await verify('permissive', imageOf('unreachable'));
      expect(item.value?.isSuccess).toBe(true);
    }, 30_000);
  });
});
