// Seed 001 (ACK kritis-validation-hook): an RSA-2048 "KMS" key is an attestor; a GenericAttestationPolicy enables
// verification per namespace; only digest references can be attested. Images are pushed by crane to a real olareg
// registry and signed by the real cosign v2 CLI (key from openssl via `cosign import-key-pair`, offline); a real
// signet process answers Gatekeeper-style `[namespace]image` keys. The denial wording is kritis' own.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushCosignImages } from '../helpers/cosign-images.js';
import { cosignSign, createCosignKeyPair, type CosignKeyPair } from '../helpers/cosign.js';
import { callProviderForKey, type ProviderItem } from '../helpers/gatekeeper-client.js';
import type { PushedManifest } from '../helpers/images.js';
import { kritisConfig } from '../helpers/kritis.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { COSIGN_STORE, cosignVerifier } from '../helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

let dir: string;
let registry: TestRegistry;
let kms: CosignKeyPair;
let stranger: CosignKeyPair;
/** Only the seed's kritis resources (and a Store). */
let kritisOnly: StartedProvider;
/** The same kritis policy in "default" beside a cluster-wide cosign Verifier trusting the same key. */
let withRatify: StartedProvider;
let signed: PushedManifest;
let atomic: PushedManifest;
let unsigned: PushedManifest;
let strangerSigned: PushedManifest;

function verify(provider: StartedProvider, key: string): Promise<ProviderItem> {
  return callProviderForKey(`${provider.url}/ratify/gatekeeper/v1/verify`, key);
}

function messageOf(item: ProviderItem): unknown {
  return item.value?.verifierReports?.[0]?.message;
}

/** A simple-signing payload in the containers/image (kritis) format, which cosign signs as given. */
async function atomicPayload(image: PushedManifest): Promise<string> {
  const path = join(dir, 'atomic-payload.json');
  await writeFile(
    path,
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': image.reference.replace(/:[^:/]+$/, '') },
        image: { 'docker-manifest-digest': image.digest },
        type: 'atomic container signature',
      },
      optional: null,
    }),
  );
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-seed-001-'));
  registry = await startRegistry();
  [kms, stranger] = await Promise.all([
    createCosignKeyPair(join(dir, 'kms'), 'rsa-2048'),
    createCosignKeyPair(join(dir, 'stranger'), 'rsa-2048'),
  ]);
  [signed, atomic, unsigned, strangerSigned] = await pushCosignImages(registry, dir, [
    { repository: 'kritis-demo/alpine', tag: '3.11', signer: kms },
    // Signed below, over its own payload.
    { repository: 'kritis-demo/atomic', tag: '3.11' },
    { repository: 'kritis-demo/unsigned', tag: '3.11' },
    { repository: 'kritis-demo/stranger', tag: '3.11', signer: stranger },
  ]);
  await cosignSign(registry, kms, atomic.digestReference, dir, { payloadPath: await atomicPayload(atomic) });

  const kritis = kritisConfig({
    authorityName: 'demo-aa',
    publicKeyPem: await readFile(kms.publicKeyPath, 'utf8'),
    publicKeyId: '4a2ef103-5aa3-4220-kms-key-id',
    policyName: 'demo-gap',
  });
  const kritisOnlyPath = join(dir, 'kritis-only.yaml');
  await writeFile(kritisOnlyPath, `${COSIGN_STORE}---\n${kritis}`);
  const withRatifyPath = join(dir, 'with-ratify.yaml');
  const ratify = cosignVerifier([
    { name: 'default', scopes: ['*'], keys: [{ file: kms.publicKeyPath }], tLogVerify: false },
  ]);
  await writeFile(withRatifyPath, `${COSIGN_STORE}---\n${kritis}---\n${ratify}`);
  [kritisOnly, withRatify] = await Promise.all([
    startProvider(['--insecure-http', '--config', kritisOnlyPath, '--log-level', 'warn']),
    startProvider(['--insecure-http', '--config', withRatifyPath, '--log-level', 'warn']),
  ]);
});

afterAll(async () => {
  await Promise.all([kritisOnly?.stop(), withRatify?.stop()]);
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('seed 001: kritis attestation policy in namespace "default"', () => {
  describe('a tag reference', () => {
    it('reads "image alpine:3.11 is not attested" without asking any registry (docker.io is unreachable here)', async () => {
      const item = await verify(kritisOnly, '[default]alpine:3.11');
      expect(item.value?.isSuccess).toBe(false);
      expect(messageOf(item)).toBe('image alpine:3.11 is not attested');
      expect(item.value?.verifierReports?.[0]?.extensions).toMatchObject({ code: 'NOT_ATTESTED' });
    });

    it('is not attested even when the tag names a signed image', async () => {
      const item = await verify(kritisOnly, `[default]${signed.reference}`);
      expect(messageOf(item)).toBe(`image ${signed.reference} is not attested`);
    });
  });

  describe('a digest reference without a signature', () => {
    it('reads "image <ref> is not attested"', async () => {
      const item = await verify(kritisOnly, `[default]${unsigned.digestReference}`);
      expect(item.value?.isSuccess).toBe(false);
      expect(messageOf(item)).toBe(`image ${unsigned.digestReference} is not attested`);
      expect(item.value?.verifierReports?.[0]?.errorReason).toContain(
        'no cosign signature was found for the digest',
      );
    });
  });

  describe('a digest reference signed by another key', () => {
    it('is not attested, naming why', async () => {
      const item = await verify(kritisOnly, `[default]${strangerSigned.digestReference}`);
      expect(messageOf(item)).toBe(`image ${strangerSigned.digestReference} is not attested`);
      expect(item.value?.verifierReports?.[0]?.errorReason).toContain(
        'not attested by AttestationAuthority "demo-aa": the signature does not verify',
      );
    });
  });

  describe('a digest reference signed by the attestor key', () => {
    it('is admitted (cosign simple signing)', async () => {
      const item = await verify(kritisOnly, `[default]${signed.digestReference}`);
      expect(item.value?.isSuccess).toBe(true);
      expect(item.value?.verifierReports?.[0]).toMatchObject({
        isSuccess: true,
        name: 'demo-aa',
        type: 'attestor',
        extensions: {
          attestationAuthority: 'demo-aa',
          keyId: '4a2ef103-5aa3-4220-kms-key-id',
          keyAlgorithm: 'RSA 2048',
        },
      });
    });

    it('is admitted ("atomic container signature" payload signed by cosign)', async () => {
      const item = await verify(kritisOnly, `[default]${atomic.digestReference}`);
      expect(item.value?.isSuccess).toBe(true);
      expect(item.value?.verifierReports?.[0]?.extensions).toMatchObject({
        payloadType: 'atomic container signature',
      });
    });

    it('must also pass the Ratify verifiers configured beside the policy', async () => {
      const item = await verify(withRatify, `[default]${signed.digestReference}`);
      expect(item.value?.isSuccess).toBe(true);
      const names = item.value?.verifierReports?.map((report) => report.name);
      expect(names).toEqual(expect.arrayContaining(['demo-aa', 'cosign']));
    });
  });
});

describe('seed 001: namespaces without an attestation policy are unaffected', () => {
  describe('a signed tag reference in another namespace', () => {
    it('is resolved and verified by the Ratify cosign Verifier as before', async () => {
      const item = await verify(withRatify, `[other]${signed.reference}`);
      expect(item.value?.isSuccess).toBe(true);
      expect(item.value?.verifierReports?.map((report) => report.name)).toEqual(['cosign']);
    });
  });

  describe('an unsigned tag reference in another namespace', () => {
    it("is denied with the Ratify wording, not kritis'", async () => {
      const item = await verify(withRatify, `[other]${unsigned.reference}`);
      expect(messageOf(item)).toBe(
        `image verification failed for ${unsigned.reference}: signature not found`,
      );
    });
  });

  describe('a key without a namespace prefix', () => {
    it('is not subject to namespaced kritis policies', async () => {
      const item = await verify(withRatify, signed.reference);
      expect(item.value?.isSuccess).toBe(true);
    });
  });
});
