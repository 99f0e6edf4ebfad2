// docker credential helpers as signet runs them: a real helper binary on PATH (test/tools/credential-helper, the
// upstream credentials.Serve protocol over a JSON store in the HOME signet runs with), real olareg registries
// with basic and token auth that refuse anonymous pulls, and notation-signed images judged by `signet verify`.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCredentialHelpers } from '../../provider/registry/index.js';
import { pushImage } from '../helpers/images.js';
import { createNotationSigner, type NotationSigner } from '../helpers/notation.js';
import { notationConfig } from '../helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { runSignetCli, type CliRun } from '../helpers/signet-cli.js';
import { toolPath, toolsBinDir } from '../helpers/tools.js';

const HELPER = 'signet-test';
/** The variables provider/registry/README.md says a helper is started with. */
const HELPER_VARIABLE =
  /^(?:PATH|HOME|(?:AWS|GOOGLE|CLOUDSDK|GCE|AZURE)_\w+|HTTPS?_PROXY|NO_PROXY|SSL_CERT_FILE|SSL_CERT_DIR)$/i;

interface HelperEntry {
  readonly Username?: string;
  readonly Secret?: string;
  readonly Behaviour?: 'hang' | 'flood' | 'fail';
}

interface HelperCall {
  readonly action: string;
  readonly server: string;
  readonly env: readonly string[];
}

let dir: string;
let basicRegistry: TestRegistry;
let tokenRegistry: TestRegistry;
let signer: NotationSigner;
let basicImage: string;
let tokenImage: string;
let scenarios = 0;

/** A HOME holding the helper's store; `calls()` reads what the helper was asked. */
async function helperHome(servers: Readonly<Record<string, HelperEntry>>) {
  const home = join(dir, `home-${(scenarios += 1)}`);
  await mkdir(home);
  await writeFile(join(home, 'signet-test-helper.json'), JSON.stringify({ servers }));
  return {
    home,
    async calls(): Promise<HelperCall[]> {
      const text = await readFile(join(home, 'signet-test-helper.calls'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as HelperCall);
    },
  };
}

/** The helper's credentials for both registries (`password` replaces the real one). */
function storeFor(password?: string): Record<string, HelperEntry> {
  return Object.fromEntries(
    [basicRegistry, tokenRegistry].map((registry) => [
      registry.host,
      { Username: registry.username ?? '', Secret: password ?? registry.password ?? '' },
    ]),
  );
}

/**
 * `signet verify` of `images` with a docker config naming `helper` for both registries (Ratify's default
 * `dockerConfig` auth provider with `configPath`), run with HOME `home` and the tools directory on PATH.
 */
async function verify(home: string, images: readonly string[], helper = HELPER): Promise<CliRun> {
  const scenario = join(dir, `scenario-${(scenarios += 1)}`);
  await mkdir(scenario);
  const dockerConfig = join(scenario, 'config.json');
  await writeFile(
    dockerConfig,
    JSON.stringify({ credHelpers: { [basicRegistry.host]: helper, [tokenRegistry.host]: helper } }),
  );
  const config = join(scenario, 'signet.yaml');
  await writeFile(
    config,
    notationConfig({
      trust: { $case: 'paths', paths: [signer.certificatePath] },
      storeParameters: { authProvider: { name: 'dockerConfig', configPath: dockerConfig } },
    }),
  );
  return runSignetCli(['verify', '--config', config, ...images], {
    env: {
      HOME: home,
      PATH: `${toolsBinDir()}:${process.env.PATH ?? ''}`,
      SIGNET_UNRELATED_SECRET: 'not-for-helpers',
    },
  });
}

beforeAll(async () => {
  toolPath('docker-credential-signet-test');
  dir = await mkdtemp(join(tmpdir(), 'signet-credential-helpers-'));
  [basicRegistry, tokenRegistry] = await Promise.all([
    startRegistry({ auth: 'basic' }),
    startRegistry({ auth: 'token' }),
  ]);
  signer = await createNotationSigner(join(dir, 'notation'), 'signet-test');
  const pushSigned = async (registry: TestRegistry): Promise<string> => {
    const image = await pushImage(registry, 'helped/app', 'v1');
    await signer.sign(image.digestReference, { dockerConfigDir: registry.dockerConfigDir });
    return image.digestReference;
  };
  [basicImage, tokenImage] = await Promise.all([pushSigned(basicRegistry), pushSigned(tokenRegistry)]);
});

afterAll(async () => {
  await Promise.all([basicRegistry?.stop(), tokenRegistry?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('docker credential helpers through signet verify', () => {
  describe("the helper's credentials", () => {
    it('allow notation-signed images on basic and token registries, running the helper once per registry', async () => {
      const helper = await helperHome(storeFor());
      const run = await verify(helper.home, [basicImage, tokenImage]);
      expect(run.stdout.match(/verdict: {2}ALLOWED/g)).toHaveLength(2);
      expect(run.code).toBe(0);
      const calls = await helper.calls();
      expect(calls.map((call) => `${call.action} ${call.server}`).sort()).toEqual(
        [`get ${basicRegistry.host}`, `get ${tokenRegistry.host}`].sort(),
      );
      // PATH, HOME and the cloud SDK / proxy / CA variables only (this machine may set some of the latter).
      for (const call of calls) {
        expect(call.env).toEqual(expect.arrayContaining(['HOME', 'PATH']));
        expect(call.env).not.toContain('SIGNET_UNRELATED_SECRET');
        for (const name of call.env) expect(name).toMatch(HELPER_VARIABLE);
      }
    });

    it('are the only way in: a helper without credentials for the registries leaves signet anonymous, and denied', async () => {
      const helper = await helperHome({});
      const run = await verify(helper.home, [basicImage, tokenImage]);
      expect(run.code).toBe(1);
      expect(run.stdout.match(/verdict: {2}DENIED/g)).toHaveLength(2);
      expect(run.stdout.match(/reason: {3}REGISTRY_UNAUTHORIZED/g)).toHaveLength(2);
      expect(run.stdout).toContain(
        `registry ${basicRegistry.host} requires Basic authentication and no username/password is configured`,
      );
    });
  });

  describe('wrong credentials from the helper', () => {
    it("surface the registry's refusal as REGISTRY_UNAUTHORIZED, without the secret", async () => {
      const helper = await helperHome(storeFor('not-the-password'));
      const run = await verify(helper.home, [basicImage, tokenImage]);
      expect(run.code).toBe(1);
      expect(run.stdout.match(/verdict: {2}DENIED/g)).toHaveLength(2);
      // olareg answers wrong Basic credentials with 401, and its token endpoint with 403.
      expect(run.stdout).toContain(
        `REGISTRY_UNAUTHORIZED (resolve): image verification failed for ${basicImage}: registry ${basicRegistry.host} answered HTTP 401 to HEAD /v2/helped/app/manifests/`,
      );
      expect(run.stdout).toContain(
        `REGISTRY_UNAUTHORIZED (resolve): image verification failed for ${tokenImage}: registry ${tokenRegistry.host} answered HTTP 403 to GET /token`,
      );
      expect(`${run.stdout}${run.stderr}`).not.toContain('not-the-password');
    });
  });

  describe('a failing helper', () => {
    it.each<[string, HelperEntry | undefined, string]>([
      [
        'missing from PATH',
        undefined,
        'docker-credential-absent for registry {host} is not installed (not found on PATH)',
      ],
      [
        'exiting non-zero',
        { Behaviour: 'fail' },
        'docker-credential-signet-test for registry {host} exited with status 3: signet-test helper: the credential backend is unavailable',
      ],
      [
        'hanging (killed after the 10 s default timeout)',
        { Behaviour: 'hang' },
        'docker-credential-signet-test for registry {host} did not answer within 10000 ms (killed)',
      ],
      [
        'writing megabytes',
        { Behaviour: 'flood' },
        'docker-credential-signet-test for registry {host} wrote more output than allowed (killed)',
      ],
    ])(
      '%s is CREDENTIAL_HELPER_FAILED naming helper and registry, and no allow',
      async (_, behaviour, reason) => {
        const helper = await helperHome(behaviour === undefined ? {} : { [basicRegistry.host]: behaviour });
        const run = await verify(helper.home, [basicImage], behaviour === undefined ? 'absent' : HELPER);
        expect(run.code).toBe(1);
        expect(run.stdout).toContain('verdict:  DENIED');
        expect(run.stdout).toContain(
          `reason:   CREDENTIAL_HELPER_FAILED (resolve): image verification failed for ${basicImage}: ` +
            `credential helper ${reason.replace('{host}', basicRegistry.host)}`,
        );
      },
    );
  });
});

describe('the credential helper runner against the real helper', () => {
  const environment = (home: string): NodeJS.ProcessEnv => ({
    PATH: toolsBinDir(),
    HOME: home,
    AWS_REGION: 'eu-west-1',
    SIGNET_UNRELATED_SECRET: 'x',
  });

  describe('answers', () => {
    it('reads basic credentials and identity tokens, and hands Docker Hub its docker config key', async () => {
      const helper = await helperHome({
        'r.example': { Username: 'robot', Secret: 'pw' },
        'https://index.docker.io/v1/': { Username: '<token>', Secret: 'refresh' },
      });
      const helpers = createCredentialHelpers({ environment: environment(helper.home) });
      expect(await helpers.get(HELPER, 'r.example')).toEqual({
        $case: 'basic',
        username: 'robot',
        password: 'pw',
      });
      expect(await helpers.get(HELPER, 'docker.io')).toEqual({
        $case: 'identityToken',
        identityToken: 'refresh',
      });
      expect(await helpers.get(HELPER, 'unknown.example')).toBeUndefined();
      const calls = await helper.calls();
      expect(calls.map((call) => call.server)).toEqual([
        'r.example',
        'https://index.docker.io/v1/',
        'unknown.example',
      ]);
      expect(calls[0]?.env).toEqual(['AWS_REGION', 'HOME', 'PATH']);
    });
  });

  describe('caching', () => {
    it('reuses an answer (credentials or none) until it is older than the TTL, and runs one helper for concurrent asks', async () => {
      const helper = await helperHome({ 'r.example': { Username: 'robot', Secret: 'pw' } });
      let now = 0;
      const helpers = createCredentialHelpers({
        environment: environment(helper.home),
        cacheTtlMs: 60_000,
        now: () => now,
      });
      await Promise.all(Array.from({ length: 5 }, () => helpers.get(HELPER, 'r.example')));
      await helpers.get(HELPER, 'none.example');
      now = 59_999;
      await helpers.get(HELPER, 'r.example');
      await helpers.get(HELPER, 'none.example');
      expect(await helper.calls()).toHaveLength(2);
      now = 60_000;
      expect(await helpers.get(HELPER, 'r.example')).toMatchObject({ username: 'robot' });
      expect((await helper.calls()).map((call) => call.server)).toEqual([
        'r.example',
        'none.example',
        'r.example',
      ]);
    });

    it('does not cache failures', async () => {
      const helper = await helperHome({ 'r.example': { Behaviour: 'fail' } });
      const helpers = createCredentialHelpers({ environment: environment(helper.home) });
      await expect(helpers.get(HELPER, 'r.example')).rejects.toMatchObject({
        code: 'CREDENTIAL_HELPER_FAILED',
      });
      await expect(helpers.get(HELPER, 'r.example')).rejects.toMatchObject({
        code: 'CREDENTIAL_HELPER_FAILED',
      });
      expect(await helper.calls()).toHaveLength(2);
    });
  });

  describe('bounds', () => {
    it('kills a helper that does not answer within the timeout', async () => {
      const helper = await helperHome({ 'r.example': { Behaviour: 'hang' } });
      const helpers = createCredentialHelpers({ environment: environment(helper.home), timeoutMs: 300 });
      await expect(helpers.get(HELPER, 'r.example')).rejects.toMatchObject({
        code: 'CREDENTIAL_HELPER_FAILED',
        reason:
          'credential helper docker-credential-signet-test for registry r.example did not answer within 300 ms (killed)',
      });
    });
  });
});
