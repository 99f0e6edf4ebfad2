// Images signed by the real cosign v2 CLI (legacy `sha256-<hex>.sig` tags, offline: --tlog-upload=false), pushed to a
// real olareg registry and judged by a real signet process. Every case is also judged by `cosign verify --key …
// --insecure-ignore-tlog`, and signet must agree with cosign. Trust policies set `tLogVerify: false` (Ratify's
// default is true) because nothing here is uploaded to a transparency log.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cosignSign,
  cosignVerifies,
  createCosignKeyPair,
  getManifestJson,
  putBlob,
  putManifestJson,
  signatureTag,
  type CosignKeyPair,
} from '../helpers/cosign.js';
import { callProviderForKey, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { COSIGN_STORE } from '../helpers/ratify-config.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { indentBlock } from '../helpers/yaml-block.js';

const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

let dir: string;
let registry: TestRegistry;
let provider: StartedProvider;
let trusted: CosignKeyPair;
let stranger: CosignKeyPair;
let rsa: CosignKeyPair;
let ed25519: CosignKeyPair;
let imported: CosignKeyPair;
let p384: CosignKeyPair;

/** A Store, an inline key provider (imported P-256) and one cosign Verifier whose trust policies are scoped per key. */
async function cosignConfig(): Promise<string> {
  const host = registry.host;
  return `${COSIGN_STORE}---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: KeyManagementProvider
metadata:
  name: kmp-imported
spec:
  type: inline
  parameters:
    contentType: key
    value: |
${indentBlock(await readFile(imported.publicKeyPath, 'utf8'), 6)}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-cosign
spec:
  name: cosign
  artifactTypes: application/vnd.dev.cosign.artifact.sig.v1+json
  parameters:
    trustPolicies:
      - name: rsa
        scopes: ["${host}/rsa/*"]
        keys: [{ file: ${JSON.stringify(rsa.publicKeyPath)} }]
        tLogVerify: false
      - name: ed25519
        scopes: ["${host}/ed25519/*"]
        keys: [{ file: ${JSON.stringify(ed25519.publicKeyPath)} }]
        tLogVerify: false
      - name: p384
        scopes: ["${host}/p384/*"]
        keys: [{ file: ${JSON.stringify(p384.publicKeyPath)} }]
        tLogVerify: false
      - name: tlog-default
        scopes: ["${host}/tlog/*"]
        keys: [{ file: ${JSON.stringify(trusted.publicKeyPath)} }]
      - name: imported
        scopes: ["${host}/imported/*"]
        keys: [{ provider: kmp-imported }]
        tLogVerify: false
      - name: default
        scopes: ["*"]
        keys: [{ file: ${JSON.stringify(trusted.publicKeyPath)} }]
        tLogVerify: false
`;
}

function verify(key: string): Promise<ProviderItem> {
  return callProviderForKey(`${provider.url}/ratify/gatekeeper/v1/verify`, key);
}

function firstReport(item: ProviderItem): Record<string, unknown> & { extensions?: Record<string, unknown> } {
  const report = item.value?.verifierReports?.[0];
  if (report === undefined) throw new Error(`no verifier report for ${item.key}: ${JSON.stringify(item)}`);
  return report;
}

/** Signet's and cosign's verdicts on one image, judged with the key of the trust policy covering it. */
async function verdicts(
  image: PushedManifest,
  publicKeyPath: string,
): Promise<{ signet: ProviderItem; cosign: boolean }> {
  const [signet, cosign] = await Promise.all([
    verify(image.reference),
    cosignVerifies(registry, publicKeyPath, image.digestReference, dir),
  ]);
  return { signet, cosign };
}

async function signedImage(repo: string, keys: CosignKeyPair = trusted): Promise<PushedManifest> {
  const image = await pushImage(registry, repo, 'v1');
  await cosignSign(registry, keys, image.digestReference, dir);
  return image;
}

/** Rewrites the one signature layer of `image`'s `.sig` manifest in place. */
async function rewriteSignatureLayer(
  repo: string,
  image: PushedManifest,
  rewrite: (layer: Record<string, unknown> & { annotations: Record<string, string> }) => Promise<void>,
): Promise<void> {
  const tag = signatureTag(image.digest);
  const manifest = await getManifestJson(registry, repo, tag);
  const layers = manifest.layers as (Record<string, unknown> & { annotations: Record<string, string> })[];
  expect(layers).toHaveLength(1);
  await rewrite(layers[0]!);
  await putManifestJson(registry, repo, tag, manifest);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-cosign-'));
  registry = await startRegistry();
  [trusted, stranger, rsa, ed25519, imported, p384] = await Promise.all([
    createCosignKeyPair(join(dir, 'trusted'), 'cosign-generated'),
    createCosignKeyPair(join(dir, 'stranger'), 'cosign-generated'),
    createCosignKeyPair(join(dir, 'rsa'), 'rsa-3072'),
    createCosignKeyPair(join(dir, 'ed25519'), 'ed25519'),
    createCosignKeyPair(join(dir, 'imported'), 'ecdsa-p256'),
    createCosignKeyPair(join(dir, 'p384'), 'ecdsa-p384'),
  ]);
  const configPath = join(dir, 'config.yaml');
  await writeFile(configPath, await cosignConfig());
  provider = await startProvider(['--insecure-http', '--config', configPath, '--log-level', 'warn']);
});

afterAll(async () => {
  await provider?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('cosign verifier against the cosign v2 CLI', () => {
  describe('a signature by the trusted ECDSA P-256 key (cosign generate-key-pair)', () => {
    it('is allowed by signet and by cosign, with a Ratify-shaped report', async () => {
      const image = await signedImage('valid/app');
      const { signet, cosign } = await verdicts(image, trusted.publicKeyPath);
      expect(cosign).toBe(true);
      expect(signet.value?.isSuccess).toBe(true);
      const report = firstReport(signet);
      expect(report).toMatchObject({
        isSuccess: true,
        name: 'cosign',
        verifierName: 'cosign',
        type: 'cosign',
        verifierType: 'cosign',
        artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      });
      expect(report.extensions).toMatchObject({
        trustPolicy: 'default',
        signatures: [{ isSuccess: true, key: `file:${trusted.publicKeyPath}`, keyAlgorithm: 'ECDSA P-256' }],
      });
    });
  });

  describe.each([
    ['RSA 3072 (openssl, cosign import-key-pair), key file', 'rsa/app', () => rsa, 'RSA 3072'],
    [
      'ECDSA P-256 (openssl, cosign import-key-pair), inline KeyManagementProvider key',
      'imported/app',
      () => imported,
      'ECDSA P-256',
    ],
  ] as const)('a signature by %s', (_name, repo, keys, algorithm) => {
    it('is allowed by signet and by cosign under the trust policy scoped to its repository', async () => {
      const image = await signedImage(repo, keys());
      const { signet, cosign } = await verdicts(image, keys().publicKeyPath);
      expect(cosign).toBe(true);
      expect(signet.value?.isSuccess).toBe(true);
      expect(firstReport(signet).extensions).toMatchObject({
        signatures: [{ isSuccess: true, keyAlgorithm: algorithm }],
      });
    });
  });

  // cosign v2.6 signs with an imported key's default algorithm (P-384: ECDSA over SHA-384, checked by hand; Ed25519:
  // Ed25519ph) but `cosign verify --key` (and Ratify, which uses cosign's library) checks ECDSA over SHA-256 and pure
  // Ed25519, so cosign rejects its own signature: "no matching signatures: failed to verify signature". signet
  // verifies as cosign verifies (the pure-Ed25519 and P-384/SHA-256 paths are unit-tested) and agrees.
  describe.each([
    ['ECDSA P-384', 'p384/app', () => p384],
    ['Ed25519', 'ed25519/app', () => ed25519],
  ] as const)('a signature by an imported %s key (openssl, cosign import-key-pair)', (_name, repo, keys) => {
    it('is denied by cosign and by signet alike', async () => {
      const image = await signedImage(repo, keys());
      const { signet, cosign } = await verdicts(image, keys().publicKeyPath);
      expect(cosign).toBe(false);
      expect(signet.value?.isSuccess).toBe(false);
      expect(String(firstReport(signet).message)).toMatch(/^no matching signatures: invalid signature/);
    });
  });

  describe('a signature by a key outside the trust policy', () => {
    it('is denied by both: no matching signatures', async () => {
      const image = await signedImage('stranger/app', stranger);
      const { signet, cosign } = await verdicts(image, trusted.publicKeyPath);
      expect(cosign).toBe(false);
      expect(signet.value?.isSuccess).toBe(false);
      expect(String(firstReport(signet).message)).toMatch(/^no matching signatures: invalid signature/);
    });

    it('is denied when an RSA-scoped repository holds a P-256 signature (scopes pick the key)', async () => {
      const image = await signedImage('rsa/other');
      const { signet, cosign } = await verdicts(image, rsa.publicKeyPath);
      expect(cosign).toBe(false);
      expect(signet.value?.isSuccess).toBe(false);
      expect(firstReport(signet).extensions).toMatchObject({ trustPolicy: 'rsa' });
    });
  });

  describe('signatures by a stranger and by the trusted key on one image (two layers of one .sig manifest)', () => {
    it('is allowed by both: any valid signature suffices', async () => {
      const image = await signedImage('both/app', stranger);
      await cosignSign(registry, trusted, image.digestReference, dir);
      const { signet, cosign } = await verdicts(image, trusted.publicKeyPath);
      expect(cosign).toBe(true);
      expect(signet.value?.isSuccess).toBe(true);
      expect(firstReport(signet).extensions).toMatchObject({
        signatures: [{ isSuccess: false }, { isSuccess: true, keyAlgorithm: 'ECDSA P-256' }],
      });
    });
  });

  describe("a trust policy left at Ratify's default tLogVerify: true", () => {
    it('denies a signature made with --tlog-upload=false, saying how to verify with keys only', async () => {
      const image = await signedImage('tlog/app');
      const signet = await verify(image.reference);
      expect(signet.value?.isSuccess).toBe(false);
      expect(String(firstReport(signet).message)).toBe(
        'no matching signatures: trust policy "tlog-default" has tLogVerify: true but the signature has no Rekor bundle (dev.sigstore.cosign/bundle); sign with the transparency log or set tLogVerify: false',
      );
    });
  });

  describe('an unsigned image', () => {
    it('is denied by both: signature not found', async () => {
      const image = await pushImage(registry, 'unsigned/app', 'v1');
      const { signet, cosign } = await verdicts(image, trusted.publicKeyPath);
      expect(cosign).toBe(false);
      expect(signet.value?.isSuccess).toBe(false);
      expect(firstReport(signet).message).toBe(
        `image verification failed for ${image.reference}: signature not found`,
      );
    });
  });

  describe('a signature copied from another image', () => {
    it('is denied by both: the payload names the other digest', async () => {
      const signed = await signedImage('copied/app');
      const other = await pushImage(registry, 'copied/app', 'other');
      const manifest = await getManifestJson(registry, 'copied/app', signatureTag(signed.digest));
      await putManifestJson(registry, 'copied/app', signatureTag(other.digest), manifest);
      const { signet, cosign } = await verdicts(other, trusted.publicKeyPath);
      expect(cosign).toBe(false);
      expect(signet.value?.isSuccess).toBe(false);
      expect(String(firstReport(signet).message)).toBe(
        `no matching signatures: simple-signing payload names digest ${signed.digest}, not the subject's ${other.digest}`,
      );
    });
  });

  describe('a signature annotation that is not base64', () => {
    it('is denied by both', async () => {
      const image = await signedImage('corrupt/app');
      await rewriteSignatureLayer('corrupt/app', image, (layer) => {
        layer.annotations[SIGNATURE_ANNOTATION] = `!${layer.annotations[SIGNATURE_ANNOTATION]}`;
        return Promise.resolve();
      });
      const { signet, cosign } = await verdicts(image, trusted.publicKeyPath);
      expect(cosign).toBe(false);
      expect(signet.value?.isSuccess).toBe(false);
      expect(String(firstReport(signet).message)).toBe(
        'no matching signatures: signature annotation is not valid base64',
      );
    });
  });

  describe('a payload altered after signing', () => {
    it('is denied by both: the signature no longer covers it', async () => {
      const image = await signedImage('tampered/app');
      await rewriteSignatureLayer('tampered/app', image, async (layer) => {
        const response = await fetch(`${registry.url}/v2/tampered/app/blobs/${String(layer.digest)}`);
        const payload = JSON.parse(await response.text()) as Record<string, unknown>;
        const tampered = Buffer.from(JSON.stringify({ ...payload, optional: { approved: 'yes' } }));
        layer.digest = await putBlob(registry, 'tampered/app', tampered);
        layer.size = tampered.byteLength;
      });
      const { signet, cosign } = await verdicts(image, trusted.publicKeyPath);
      expect(cosign).toBe(false);
      expect(signet.value?.isSuccess).toBe(false);
      expect(String(firstReport(signet).message)).toMatch(/^no matching signatures: invalid signature/);
    });
  });
});
