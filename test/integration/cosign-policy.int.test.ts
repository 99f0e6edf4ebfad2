// signet's additions to cosign trust policies, judged on images signed and attested by the real cosign v2 and v3
// CLIs (offline) in a real olareg registry, through a real signet process: Kyverno-style `count` (n of m keys) and
// `required: false`, and signatures combined with attestations. cosign has no such policies, so there is no
// differential verdict here; cosign's own verdict on each signature is covered by cosign-differential.int.test.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  COSIGN3_OFFLINE_SIGN_ARGS,
  cosignAttest,
  cosignSign,
  createCosignKeyPair,
  type CosignKeyPair,
  type CosignTool,
} from '../helpers/cosign.js';
import { callProviderForKey, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { COSIGN_STORE } from '../helpers/ratify-config.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const SIG_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const ATT_TYPE = 'application/vnd.dev.cosign.artifact.att.v1+json';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

let dir: string;
let registry: TestRegistry;
let provider: StartedProvider;
let first: CosignKeyPair;
let second: CosignKeyPair;
let stranger: CosignKeyPair;

function signetConfig(): string {
  const host = registry.host;
  const file = (keys: CosignKeyPair) => `{ file: ${JSON.stringify(keys.publicKeyPath)} }`;
  return `${COSIGN_STORE}---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-cosign
spec:
  name: cosign
  artifactTypes: ${SIG_TYPE},${ATT_TYPE},${BUNDLE_TYPE}
  parameters:
    trustPolicies:
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
      - name: provenance
        scopes: ["${host}/provenance/*"]
        keys: [${file(first)}]
        attestations: [{ predicateType: slsaprovenance }]
        tLogVerify: false
      - name: trusted-builder
        scopes: ["${host}/builder/*"]
        keys: [${file(first)}]
        attestations:
          - predicateType: slsaprovenance
            conditions:
              - all:
                  - { key: "{{ builder.id }}", operator: Equals, value: "https://ci.example" }
        tLogVerify: false
`;
}

function verify(image: PushedManifest): Promise<ProviderItem> {
  return callProviderForKey(`${provider.url}/ratify/gatekeeper/v1/verify`, image.reference);
}

function messages(item: ProviderItem): string[] {
  return (item.value?.verifierReports ?? []).map((report) => String(report.message));
}

function offline(tool: CosignTool): readonly string[] {
  return tool === 'cosign3' ? COSIGN3_OFFLINE_SIGN_ARGS : [];
}

async function sign(image: PushedManifest, keys: CosignKeyPair, tool: CosignTool = 'cosign'): Promise<void> {
  await cosignSign(registry, keys, image.digestReference, dir, { tool, extraArgs: offline(tool) });
}

async function attest(
  image: PushedManifest,
  type: string,
  tool: CosignTool = 'cosign',
  builder = 'https://ci.example',
): Promise<void> {
  const predicatePath = join(dir, `${type}-${image.digest.slice(7, 19)}.json`);
  await writeFile(predicatePath, JSON.stringify({ builder: { id: builder }, buildType: 'make' }));
  await cosignAttest(registry, first, image.digestReference, dir, {
    tool,
    type,
    predicatePath,
    extraArgs: offline(tool),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-cosign-policy-'));
  registry = await startRegistry();
  [first, second, stranger] = await Promise.all([
    createCosignKeyPair(join(dir, 'first'), 'cosign-generated'),
    createCosignKeyPair(join(dir, 'second'), 'cosign-generated'),
    createCosignKeyPair(join(dir, 'stranger'), 'cosign-generated'),
  ]);
  const configPath = join(dir, 'config.yaml');
  await writeFile(configPath, signetConfig());
  provider = await startProvider(['--insecure-http', '--config', configPath, '--log-level', 'warn']);
});

afterAll(async () => {
  await provider?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('cosign trust policy extensions', () => {
  describe('attestation conditions (builder.id Equals https://ci.example)', () => {
    it.each(['cosign', 'cosign3'] as const)(
      'allows provenance from the trusted builder (%s)',
      async (tool) => {
        const image = await pushImage(registry, `builder/${tool}`, 'v1');
        await attest(image, 'slsaprovenance', tool);
        const item = await verify(image);
        expect(item.value?.isSuccess).toBe(true);
        expect(item.value?.verifierReports?.[0]?.extensions).toMatchObject({
          signatures: [{ isSuccess: true, predicate: { predicateType: 'https://slsa.dev/provenance/v0.2' } }],
        });
      },
    );

    it.each(['cosign', 'cosign3'] as const)('denies provenance from another builder (%s)', async (tool) => {
      const image = await pushImage(registry, `builder/other-${tool}`, 'v1');
      await attest(image, 'slsaprovenance', tool, 'https://evil.example');
      const item = await verify(image);
      expect(item.value?.isSuccess).toBe(false);
      expect(messages(item)).toEqual([
        'no matching signatures: attestation https://slsa.dev/provenance/v0.2 does not meet the conditions of trust policy "trusted-builder": {{ builder.id }} Equals "https://ci.example" does not hold (found "https://evil.example")',
      ]);
    });
  });

  describe('count: 2 of two keys', () => {
    it('allows an image signed by both keys', async () => {
      const image = await pushImage(registry, 'count/both', 'v1');
      await sign(image, first);
      await sign(image, second);
      const item = await verify(image);
      expect(item.value?.isSuccess).toBe(true);
      expect(item.value?.verifierReports?.[0]?.extensions).toMatchObject({ count: 2 });
    });

    it('denies an image signed by one key, naming the count', async () => {
      const image = await pushImage(registry, 'count/one', 'v1');
      await sign(image, first);
      const item = await verify(image);
      expect(item.value?.isSuccess).toBe(false);
      expect(messages(item)).toEqual([
        'no matching signatures: valid signatures by 1 of the 2 distinct keys trust policy "two-of-two" requires (count)',
      ]);
    });
  });

  describe('required: false', () => {
    it('allows an image signed by a stranger, reporting the failure', async () => {
      const image = await pushImage(registry, 'audit/app', 'v1');
      await sign(image, stranger);
      const item = await verify(image);
      expect(item.value?.isSuccess).toBe(true);
      expect(messages(item)[0]).toMatch(
        /^cosign verification not required by trust policy "audit" \(required: false\): no matching signatures: invalid signature/,
      );
    });
  });

  describe('signatures and attestations together (attestations: slsaprovenance)', () => {
    it.each(['cosign', 'cosign3'] as const)(
      'allows an image signed and attested with SLSA provenance by %s',
      async (tool) => {
        const image = await pushImage(registry, `provenance/${tool}`, 'v1');
        await sign(image, first, tool);
        await attest(image, 'slsaprovenance', tool);
        const item = await verify(image);
        expect(item.value?.isSuccess).toBe(true);
        // v2: the .sig and .att artifacts; v3: one report judging both bundles by what they prove.
        expect(item.value?.verifierReports).toHaveLength(tool === 'cosign' ? 2 : 1);
      },
    );

    it.each(['cosign', 'cosign3'] as const)(
      'denies an image signed but attested only with another predicate type by %s',
      async (tool) => {
        const image = await pushImage(registry, `provenance/other-${tool}`, 'v1');
        await sign(image, first, tool);
        await attest(image, 'custom', tool);
        const item = await verify(image);
        expect(item.value?.isSuccess).toBe(false);
        expect(messages(item)).toContain(
          tool === 'cosign'
            ? 'no matching signatures: attestation predicate type https://cosign.sigstore.dev/attestation/v1 is not one trust policy "provenance" accepts (https://slsa.dev/provenance/v0.2)'
            : 'no matching signatures: trust policy "provenance" requires an attestation of predicate type https://slsa.dev/provenance/v0.2; none was found among the 2 bundle(s) of the image',
        );
      },
    );
  });
});
