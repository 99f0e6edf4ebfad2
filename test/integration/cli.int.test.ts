// The signet command line as users run it: `config validate` on the seed files and `verify` against a
// real registry, through the same composition root the provider uses.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pushImage } from '../helpers/images.js';
import { createCa } from '../helpers/pki.js';
import { REPO_ROOT } from '../helpers/process.js';
import { seedPath } from '../helpers/seeds.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const execFileAsync = promisify(execFile);

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function signet(args: readonly string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', 'provider/cli.ts', ...args],
      {
        cwd: REPO_ROOT,
        timeout: 60_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

let dir: string;
let registry: TestRegistry;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-cli-'));
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('signet CLI', () => {
  describe('config validate', () => {
    it('accepts the seed files unchanged as valid', async () => {
      const kmp = seedPath('verify-config-kmp.yaml');
      const certificateStore = seedPath('verify-config-certificatestore.yaml');
      const run = await signet(['config', 'validate', kmp, certificateStore]);
      expect(run.stdout).toBe(`${kmp}: valid\n${certificateStore}: valid\n`);
      expect(run.code).toBe(0);
    });

    it('names document, kind, name and field of an invalid resource', async () => {
      const path = join(dir, 'bad.yaml');
      await writeFile(
        path,
        'apiVersion: config.ratify.deislabs.io/v1beta1\nkind: Verifier\nmetadata:\n  name: v\nspec:\n  name: notation\n  artifactType: x\n',
      );
      const run = await signet(['config', 'validate', path]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/document 1 \(Verifier "v"\)/);
      expect(run.stdout).toContain('artifactTypes');
    });
  });

  describe('verify', () => {
    it('prints the verdict as a table and as Ratify JSON, exit 1 when denied', async () => {
      const image = await pushImage(registry, 'cli/app', 'v1');
      const table = await signet(['verify', image.reference]);
      expect(table.code).toBe(1);
      expect(table.stdout).toContain('verdict:  DENIED');
      expect(table.stdout).toContain(`image verification failed for ${image.reference}: signature not found`);
      const json = await signet(['verify', '-o', 'json', image.reference]);
      const parsed = JSON.parse(json.stdout) as { key: string; value: { isSuccess: boolean } }[];
      expect(parsed[0]?.key).toBe(image.reference);
      expect(parsed[0]?.value.isSuccess).toBe(false);
    });

    it('rejects a missing TLS setup for serve with a clear message', async () => {
      const run = await signet(['serve', '--port', '0', '--metrics-port', '0']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('HTTPS with mTLS needs --tls-cert, --tls-key and --client-ca');
    });
  });

  describe('provider-resource', () => {
    it('prints the Provider with the serving CA as caBundle', async () => {
      const ca = await createCa(dir, 'serving-ca');
      const url = 'https://signet.signet-system:6001/ratify/gatekeeper/v1/verify';
      const run = await signet(['provider-resource', '--url', url, '--ca-file', ca.cert, '--timeout', '7']);
      expect(run.code).toBe(0);
      const resource = JSON.parse(run.stdout) as { spec: { url: string; timeout: number; caBundle: string } };
      expect(resource).toMatchObject({
        apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
        kind: 'Provider',
        metadata: { name: 'ratify-provider' },
      });
      expect(resource.spec).toMatchObject({ url, timeout: 7 });
      expect(Buffer.from(resource.spec.caBundle, 'base64').toString()).toContain('BEGIN CERTIFICATE');
    });

    it('refuses a plain-HTTP URL with the reason', async () => {
      const ca = await createCa(dir, 'serving-ca-2');
      const run = await signet(['provider-resource', '--url', 'http://signet:6001/x', '--ca-file', ca.cert]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Gatekeeper calls external data providers over HTTPS only');
    });
  });
});
