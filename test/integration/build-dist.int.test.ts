// The production build (deploy/build-dist.ts: `npm run build`, the image, the benchmark) run as it is shipped: the
// bundle is written into an install root of its own (package.json, node_modules beside dist/, as in the image's
// /app), then `node dist/cli.js` answers --version, renders a shipped initiative, and serves: images pushed to a
// real olareg registry and signed by the real notation and cosign CLIs pass both verifiers (the cosign chunk
// imports Sigstore from node_modules, the external it stays), an unsigned one is denied.
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildDist, type BuiltDist } from '../../deploy/build-dist.js';
import { createCosignKeyPair, cosignSign } from '../helpers/cosign.js';
import { expectBothVerifiersAnswer } from '../helpers/expect-both-verifiers.js';
import { pushImage } from '../helpers/images.js';
import { createNotationSigner } from '../helpers/notation.js';
import { REPO_ROOT, startProvider } from '../helpers/process.js';
import { notationAndCosignConfig } from '../helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const execFileAsync = promisify(execFile);

describe('the production build', () => {
  let work: string;
  let built: BuiltDist;
  let cli: string;
  let registry: TestRegistry;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'signet-build-dist-'));
    const app = join(work, 'app');
    await mkdir(app);
    // "type": "module" for the chunks, and the external packages where the image puts them.
    await copyFile(join(REPO_ROOT, 'package.json'), join(app, 'package.json'));
    await symlink(join(REPO_ROOT, 'node_modules'), join(app, 'node_modules'));
    // The shipped initiatives at the install root, as in the repository: found by walking up from dist/.
    await symlink(join(REPO_ROOT, 'constraints'), join(app, 'constraints'));
    built = await buildDist(join(app, 'dist'));
    cli = join(built.dir, 'cli.js');
    registry = await startRegistry();
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('writes cli.js, its chunks and the embedded default configuration', () => {
    expect(built.files).toContain('cli.js');
    expect(built.files).toContain('default-config.yaml');
    // Each verifier family is its own chunk, loaded when configured.
    expect(built.files.some((file) => /^notation-[A-Z0-9]+\.js$/.test(file))).toBe(true);
    expect(built.files.some((file) => /^cosign-[A-Z0-9]+\.js$/.test(file))).toBe(true);
  });

  it('runs its commands: --version and an assignment of a shipped initiative', async () => {
    const version = await execFileAsync(process.execPath, [cli, '--version'], { timeout: 30_000 });
    const { version: expected } = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(version.stdout.trim()).toBe(expected);
    const rendered = await execFileAsync(
      process.execPath,
      [cli, 'assign', 'signet-image-integrity-notation', '--name', 'built', '--dry-run', '-o', 'json'],
      { timeout: 30_000, cwd: work },
    );
    const list = JSON.parse(rendered.stdout) as { items: { kind: string }[] };
    expect(list.items.map((item) => item.kind)).toContain('ConstraintTemplate');
  }, 60_000);

  it('serves: notation- and cosign-signed images pass both verifiers, an unsigned one is denied', async () => {
    const signed = await pushImage(registry, 'built/signed', 'v1');
    const unsigned = await pushImage(registry, 'built/unsigned', 'v1');
    const [notation, cosignKeys] = await Promise.all([
      createNotationSigner(join(work, 'notation'), 'signet-build'),
      createCosignKeyPair(join(work, 'cosign'), 'cosign-generated'),
    ]);
    await notation.sign(signed.digestReference);
    await cosignSign(registry, cosignKeys, signed.digestReference, join(work, 'cosign'));
    const configPath = join(work, 'config.yaml');
    await writeFile(configPath, notationAndCosignConfig(notation.certificatePath, cosignKeys.publicKeyPath));

    const provider = await startProvider(
      ['--insecure-http', '--host', '127.0.0.1', '--config', configPath, '--log-level', 'warn'],
      {},
      [cli],
    );
    try {
      await expectBothVerifiersAnswer(
        provider,
        [signed.reference, signed.digestReference],
        unsigned.reference,
      );
    } finally {
      await provider.stop();
    }
  }, 180_000);
});
