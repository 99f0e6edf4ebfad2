// cosign v3 stores every signature and every attestation as its own Sigstore bundle referrer, all of one artifact
// type. signet judges them by what they prove (a signature, or an attestation of a predicate type): a trust
// policy's attestations are required under `all` and `any`, attestations of other types are ignored, and
// `count` counts distinct keys across bundles. Images are signed and attested by the real cosign v3 CLI
// (offline) in a real olareg registry and judged by a real signet process.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  COSIGN3_OFFLINE_SIGN_ARGS,
  cosignAttest,
  cosignSign,
  createCosignKeyPair,
  type CosignKeyPair,
} from '../helpers/cosign.js';
import { callProviderForKey, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { configPolicy } from '../helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SLSA_V02 = 'https://slsa.dev/provenance/v0.2';

let dir: string;
let registry: TestRegistry;
let allProvider: StartedProvider;
let anyProvider: StartedProvider;
let first: CosignKeyPair;
let second: CosignKeyPair;

function signetConfig(rule: 'any' | 'all'): string {
  const host = registry.host;
  const file = (keys: CosignKeyPair) => `{ file: ${JSON.stringify(keys.publicKeyPath)} }`;
  return `apiVersion: config.ratify.deislabs.io/v1beta1
kind: Store
metadata:
  name: store-oras
spec:
  name: oras
---
${configPolicy(rule)}---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-cosign
spec:
  name: cosign
  artifactTypes: ${BUNDLE_TYPE}
  parameters:
    trustPolicies:
      - name: provenance
        scopes: ["${host}/provenance/*"]
        keys: [${file(first)}]
        attestations: [{ predicateType: slsaprovenance }]
        tLogVerify: false
      - name: two-of-two
        scopes: ["${host}/count/*"]
        keys: [${file(first)}, ${file(second)}]
        count: 2
        tLogVerify: false
      - name: audit
        scopes: ["${host}/audit/*"]
        keys: [${file(first)}]
        required: false
        tLogVerify: false
`;
}

function verify(provider: StartedProvider, image: PushedManifest): Promise<ProviderItem> {
  return callProviderForKey(`${provider.url}/ratify/gatekeeper/v1/verify`, image.reference);
}

function messages(item: ProviderItem): string[] {
  return (item.value?.verifierReports ?? []).map((report) => String(report.message));
}

async function sign(image: PushedManifest, keys: CosignKeyPair): Promise<void> {
  await cosignSign(registry, keys, image.digestReference, dir, {
    tool: 'cosign3',
    extraArgs: COSIGN3_OFFLINE_SIGN_ARGS,
  });
}

async function attest(image: PushedManifest, type: string): Promise<void> {
  const predicatePath = join(dir, `${type}-${image.digest.slice(7, 19)}.json`);
  await writeFile(
    predicatePath,
    JSON.stringify({ builder: { id: 'https://ci.example' }, buildType: 'make' }),
  );
  await cosignAttest(registry, first, image.digestReference, dir, {
    tool: 'cosign3',
    type,
    predicatePath,
    extraArgs: COSIGN3_OFFLINE_SIGN_ARGS,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-cosign-bundles-'));
  registry = await startRegistry();
  [first, second] = await Promise.all([
    createCosignKeyPair(join(dir, 'first'), 'cosign-generated'),
    createCosignKeyPair(join(dir, 'second'), 'cosign-generated'),
  ]);
  const start = async (rule: 'any' | 'all') => {
    const configPath = join(dir, `config-${rule}.yaml`);
    await writeFile(configPath, signetConfig(rule));
    return startProvider(['--insecure-http', '--config', configPath, '--log-level', 'warn']);
  };
  [allProvider, anyProvider] = await Promise.all([start('all'), start('any')]);
});

afterAll(async () => {
  await allProvider?.stop();
  await anyProvider?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('cosign v3 bundles judged by what they prove', () => {
  describe('attestations: slsaprovenance required', () => {
    it('allows a signature bundle plus a provenance bundle under all, with one report nesting both', async () => {
      const image = await pushImage(registry, 'provenance/both', 'v1');
      await sign(image, first);
      await attest(image, 'slsaprovenance');
      const item = await verify(allProvider, image);
      expect(item.value?.isSuccess).toBe(true);
      const reports = item.value?.verifierReports ?? [];
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({
        artifactType: BUNDLE_TYPE,
        extensions: { trustPolicy: 'provenance' },
      });
      expect((reports[0]?.extensions as { proves: string[] }).proves.sort()).toEqual(
        [SLSA_V02, 'signature'].sort(),
      );
      expect(reports[0]?.nestedResults).toHaveLength(2);
    });

    it.each([
      ['all', () => allProvider],
      ['any', () => anyProvider],
    ])(
      'denies a signature without the required provenance under %s, naming the predicate type',
      async (_rule, provider) => {
        const image = await pushImage(registry, `provenance/signed-only-${_rule}`, 'v1');
        await sign(image, first);
        const item = await verify(provider(), image);
        expect(item.value?.isSuccess).toBe(false);
        expect(messages(item)).toEqual([
          `no matching signatures: trust policy "provenance" requires an attestation of predicate type ${SLSA_V02}; none was found among the 1 bundle(s) of the image`,
        ]);
      },
    );

    it('allows an extra attestation of a type the policy does not list, under all', async () => {
      const image = await pushImage(registry, 'provenance/extra', 'v1');
      await sign(image, first);
      await attest(image, 'slsaprovenance');
      await attest(image, 'custom');
      const item = await verify(allProvider, image);
      expect(item.value?.isSuccess).toBe(true);
      const nested = item.value?.verifierReports?.[0]?.nestedResults as { isSuccess: boolean }[] | undefined;
      expect(nested?.map((report) => report.isSuccess)).toEqual([true, true, true]);
    });
  });

  describe('count: 2 of two keys, counted across bundles', () => {
    it('allows signatures by both keys in two bundles', async () => {
      const image = await pushImage(registry, 'count/both', 'v1');
      await sign(image, first);
      await sign(image, second);
      const item = await verify(allProvider, image);
      expect(item.value?.isSuccess).toBe(true);
      expect(item.value?.verifierReports?.[0]?.extensions).toMatchObject({ count: 2, proves: ['signature'] });
    });

    it('denies a signature by one key, naming the count', async () => {
      const image = await pushImage(registry, 'count/one', 'v1');
      await sign(image, first);
      const item = await verify(allProvider, image);
      expect(item.value?.isSuccess).toBe(false);
      expect(messages(item)).toEqual([
        'no matching signatures: valid signature bundles by 1 of the 2 distinct keys trust policy "two-of-two" requires (count)',
      ]);
    });
  });

  describe('required: false', () => {
    it('allows an image without any signature, saying it was not required', async () => {
      const image = await pushImage(registry, 'audit/unsigned', 'v1');
      const item = await verify(allProvider, image);
      expect(item.value?.isSuccess).toBe(true);
      expect(messages(item)).toEqual([
        'cosign verification not required by trust policy "audit" (required: false): signature not found',
      ]);
    });
  });
});
