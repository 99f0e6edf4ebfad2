// Seed 004 (cosign v2 key pair + Kyverno verifyImages): `signet import kyverno` converts the seed's
// kyverno-check-image.yaml, with its key replaced by a real `cosign generate-key-pair` P-256 key (the seed's key has
// no private half), its image glob pointed at the loopback olareg registry and the transparency log ignored (cosign
// signs offline here, --tlog-upload=false). A real signet process serves the converted configuration; the seed's
// messages must appear verbatim.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushCosignImages } from '../helpers/cosign-images.js';
import { createCosignKeyPair, type CosignKeyPair } from '../helpers/cosign.js';
import { callProviderForKey, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { convertKyvernoSeed } from '../helpers/seeds.js';
import { runSignetCli, type CliRun } from '../helpers/signet-cli.js';

let dir: string;
let registry: TestRegistry;
let trusted: CosignKeyPair;
let wrong: CosignKeyPair;
let provider: StartedProvider;
let converted: CliRun;
let validated: CliRun;
let unsigned: PushedManifest;
let signed: PushedManifest;
let wrongKey: PushedManifest;

function verify(key: string): Promise<ProviderItem> {
  return callProviderForKey(`${provider.url}/ratify/gatekeeper/v1/verify`, key);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-seed-004-'));
  registry = await startRegistry();
  [trusted, wrong] = await Promise.all([
    createCosignKeyPair(join(dir, 'trusted'), 'cosign-generated'),
    createCosignKeyPair(join(dir, 'wrong'), 'cosign-generated'),
  ]);
  [unsigned, signed, wrongKey] = await pushCosignImages(registry, dir, [
    { repository: 'nginx-demo', tag: 'unsigned' },
    { repository: 'nginx-demo', tag: 'signed', signer: trusted },
    { repository: 'nginx-demo', tag: 'wrongkey', signer: wrong },
  ]);
  const { run, outDir: out } = await convertKyvernoSeed(
    dir,
    await readFile(trusted.publicKeyPath, 'utf8'),
    `${registry.host}/nginx-demo*`,
  );
  converted = run;
  validated = await runSignetCli(['config', 'validate', join(out, 'signet-config.yaml')]);
  if (converted.code !== 0)
    throw new Error(`signet import kyverno failed (${converted.code}): ${converted.stderr}`);
  provider = await startProvider([
    '--insecure-http',
    '--config',
    join(out, 'signet-config.yaml'),
    '--log-level',
    'warn',
  ]);
});

afterAll(async () => {
  await provider?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('seed 004: signet import kyverno', () => {
  describe('the converted seed policy', () => {
    it('converts, naming what it did not convert on stderr, and loads in signet config validate', async () => {
      expect(converted.stdout.trim().split('\n')).toEqual([
        join(dir, 'converted', 'signet-config.yaml'),
        join(dir, 'converted', 'constraints.yaml'),
      ]);
      expect(converted.stderr).toContain(
        '[not converted] ClusterPolicy check-image: webhookTimeoutSeconds 30',
      );
      expect(converted.stderr).toContain('mutateDigest (Kyverno default true) not generated');
      expect(validated).toMatchObject({
        code: 0,
        stdout: `${join(dir, 'converted', 'signet-config.yaml')}: valid\n`,
      });
      const constraints = await readFile(join(dir, 'converted', 'constraints.yaml'), 'utf8');
      expect(constraints).toContain('kind: SignetVerification');
      expect(constraints).toContain('enforcementAction: deny');
    });
  });

  describe('an unsigned image', () => {
    it('reads "image verification failed for <ref>: signature not found"', async () => {
      const item = await verify(unsigned.reference);
      expect(item.value?.isSuccess).toBe(false);
      expect(item.value?.verifierReports?.[0]?.message).toBe(
        `image verification failed for ${unsigned.reference}: signature not found`,
      );
    });
  });

  describe('an image signed with the policy key', () => {
    it('is allowed', async () => {
      const item = await verify(signed.reference);
      expect(item.value?.isSuccess).toBe(true);
      expect(item.value?.verifierReports?.[0]).toMatchObject({ isSuccess: true, name: 'cosign' });
    });
  });

  describe('an image signed with another key', () => {
    it('reads "no matching signatures" with the reason', async () => {
      const item = await verify(wrongKey.reference);
      expect(item.value?.isSuccess).toBe(false);
      expect(item.value?.verifierReports?.[0]?.message).toMatch(
        /^no matching signatures: invalid signature: it does not verify with the 1 key\(s\) of trust policy "check-image-check-image-1"/,
      );
    });
  });

  describe('an image outside the converted scope', () => {
    it('is denied as the import notes warn (Kyverno would skip it)', async () => {
      const other = await pushImage(registry, 'other/app', 'v1');
      const item = await verify(other.reference);
      expect(item.value?.isSuccess).toBe(false);
      expect(converted.stderr).toContain('Kyverno does not check images outside imageReferences');
    });
  });
});

describe('seed 004: a policy with nothing convertible', () => {
  describe('only a keys reference to a Kubernetes Secret', () => {
    it('exits 1 and says why', async () => {
      const path = join(dir, 'secret-only.yaml');
      await writeFile(
        path,
        `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: secret-only }
spec:
  rules:
    - name: r
      match: { any: [{ resources: { kinds: [Pod] } }] }
      verifyImages:
        - imageReferences: ["*"]
          attestors: [{ entries: [{ keys: { publicKeys: "k8s://kyverno/cosign-pub" } }] }]
`,
      );
      const run = await runSignetCli(['import', 'kyverno', path]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('keys.publicKeys is not an inline PEM public key');
      expect(run.stderr).toContain('nothing usable');
    });
  });
});
