// Seed 004 (cosign v2 key pair + Kyverno verifyImages): `signet import kyverno` converts the seed's
// kyverno-check-image.yaml, with its key replaced by a real `cosign generate-key-pair` P-256 key (the seed's key has
// no private half), its image glob pointed at the loopback olareg registry and the transparency log ignored (cosign
// signs offline here, --tlog-upload=false). A real signet process serves the converted configuration; the seed's
// messages must appear verbatim.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { cosignSign, createCosignKeyPair, type CosignKeyPair } from '../helpers/cosign.js';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import { REPO_ROOT, startProvider, type StartedProvider } from '../helpers/process.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const SEEDS_DIR =
  process.env.SIGNET_SEEDS_DIR ??
  join(fileURLToPath(new URL('../..', import.meta.url)), '..', 'shared', 'seeds');

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the signet CLI from source, as a user would. */
function signet(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'provider/cli.ts', ...args],
      { cwd: REPO_ROOT, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

interface KyvernoKeys {
  publicKeys: string;
  rekor?: { ignoreTlog: boolean };
}

/** The seed policy with the key, the image glob and the transparency-log setting of this test bed. */
async function adaptSeed(publicKeyPem: string, host: string): Promise<string> {
  const path = join(SEEDS_DIR, 'kyverno-check-image.yaml');
  if (!existsSync(path)) throw new Error(`seed ${path} is missing (set SIGNET_SEEDS_DIR to override)`);
  const policy = parse(await readFile(path, 'utf8')) as {
    spec: {
      rules: {
        verifyImages: { imageReferences: string[]; attestors: { entries: { keys: KyvernoKeys }[] }[] }[];
      }[];
    };
  };
  const verifyImages = policy.spec.rules[0]?.verifyImages[0];
  const keys = verifyImages?.attestors[0]?.entries[0]?.keys;
  if (verifyImages === undefined || keys === undefined)
    throw new Error('the seed no longer has the expected shape');
  expect(verifyImages.imageReferences).toEqual(['314315960/nginx-demo*']);
  verifyImages.imageReferences = [`${host}/nginx-demo*`];
  keys.publicKeys = publicKeyPem.trim();
  keys.rekor = { ignoreTlog: true };
  return stringify(policy);
}

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

async function verify(key: string): Promise<ProviderItem> {
  const answer = await callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, [key]);
  const item = answer.body.response?.items?.[0];
  if (item === undefined)
    throw new Error(`no item for ${key}: ${answer.body.response?.systemError ?? 'no systemError'}`);
  return item;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-seed-004-'));
  registry = await startRegistry();
  [trusted, wrong] = await Promise.all([
    createCosignKeyPair(join(dir, 'trusted'), 'cosign-generated'),
    createCosignKeyPair(join(dir, 'wrong'), 'cosign-generated'),
  ]);
  [unsigned, signed, wrongKey] = await Promise.all([
    pushImage(registry, 'nginx-demo', 'unsigned'),
    pushImage(registry, 'nginx-demo', 'signed'),
    pushImage(registry, 'nginx-demo', 'wrongkey'),
  ]);
  await Promise.all([
    cosignSign(registry, trusted, signed.digestReference, dir),
    cosignSign(registry, wrong, wrongKey.digestReference, dir),
  ]);
  const policyPath = join(dir, 'check-image-sign-policy.yaml');
  await writeFile(policyPath, await adaptSeed(await readFile(trusted.publicKeyPath, 'utf8'), registry.host));
  const out = join(dir, 'converted');
  converted = await signet(['import', 'kyverno', policyPath, '-o', out]);
  validated = await signet(['config', 'validate', join(out, 'signet-config.yaml')]);
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
      const run = await signet(['import', 'kyverno', path]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('keys.publicKeys is not an inline PEM public key');
      expect(run.stderr).toContain('nothing usable');
    });
  });
});
