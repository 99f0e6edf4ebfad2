// RFC 3161 timestamps on loopback: notation signs through a TSA built on `openssl ts` with a leaf that expires
// seconds later; signet accepts the expired signature only with an authentic timestamp inside the leaf's
// validity (verifyTimestamp: afterCertExpiry, TSA root in a `tsa` store).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage } from '../helpers/images.js';
import { createCertificateChain, createChainSigner, type CertificateChain } from '../helpers/openssl-ca.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { inlineKeyProvider } from '../helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { startTsa, type TestTsa } from '../helpers/tsa.js';

/** Long enough to sign twice, short enough to wait for. */
const LEAF_LIFETIME_MS = 20_000;

let dir: string;
let registry: TestRegistry;
let tsa: TestTsa | undefined;
let provider: StartedProvider | undefined;
let chain: CertificateChain;
const images: Record<'timestamped' | 'plain', string> = { timestamped: '', plain: '' };

function timestampConfig(caPem: string, tsaPem: string): string {
  return `${inlineKeyProvider('certstore-ca', caPem)}${inlineKeyProvider('certstore-tsa', tsaPem)}apiVersion: config.ratify.deislabs.io/v1beta1
kind: Store
metadata:
  name: store-oras
spec:
  name: oras
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-notation
spec:
  name: notation
  artifactTypes: application/vnd.cncf.notary.signature
  parameters:
    verificationCertStores:
      ca:
        certs: [certstore-ca]
      tsa:
        stamps: [certstore-tsa]
    trustPolicyDoc:
      version: "1.0"
      trustPolicies:
        - name: default
          registryScopes: ["*"]
          signatureVerification:
            level: strict
            verifyTimestamp: afterCertExpiry
          trustStores: ["ca:certs", "tsa:stamps"]
          trustedIdentities: ["*"]
`;
}

async function verify(key: string): Promise<ProviderItem> {
  if (provider === undefined) throw new Error('provider not started');
  const answer = await callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, [key]);
  const item = answer.body.response?.items?.[0];
  if (item === undefined)
    throw new Error(`no item for ${key}: ${answer.body.response?.systemError ?? 'no systemError'}`);
  return item;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-notation-timestamp-'));
  registry = await startRegistry();
  tsa = await startTsa(dir);
  const now = Date.now();
  chain = await createCertificateChain(dir, 'short-lived', {
    key: { $case: 'ec', curve: 'P-256' },
    leafValidity: { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + LEAF_LIFETIME_MS) },
  });
  const signer = await createChainSigner(join(dir, 'notation-home'), 'short-lived', chain);
  for (const kind of ['timestamped', 'plain'] as const) {
    const image = await pushImage(registry, `timestamp/${kind}`, 'v1');
    await signer.sign(`${registry.host}/timestamp/${kind}@${image.digest}`, {
      extraArgs:
        kind === 'timestamped' ? ['--timestamp-url', tsa.url, '--timestamp-root-cert', tsa.rootPath] : [],
    });
    images[kind] = image.reference;
  }
  const configPath = join(dir, 'config.yaml');
  await writeFile(
    configPath,
    timestampConfig(await readFile(chain.root.certPath, 'utf8'), await readFile(tsa.rootPath, 'utf8')),
  );
  provider = await startProvider(['--insecure-http', '--config', configPath, '--log-level', 'warn']);
  const notAfter = now + LEAF_LIFETIME_MS;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, notAfter - Date.now()) + 2_000));
}, 180_000);

afterAll(async () => {
  await provider?.stop();
  await tsa?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('notation timestamps from a loopback TSA', () => {
  describe('a signature whose leaf has expired since signing', () => {
    it('is allowed with an authentic timestamp inside the leaf validity (afterCertExpiry)', async () => {
      const item = await verify(images.timestamped);
      expect(item.value?.verifierReports?.[0]?.message).toBeDefined();
      expect(item.value?.isSuccess).toBe(true);
    }, 30_000);

    it('is denied without a timestamp', async () => {
      const item = await verify(images.plain);
      expect(item.value?.isSuccess).toBe(false);
      expect(String(item.value?.verifierReports?.[0]?.message)).toMatch(
        /authenticTimestamp validation failed/,
      );
    }, 30_000);
  });
});
