// signet's production build (`npm run build`, the container image, the benchmark): provider/ bundled by esbuild
// into ES modules — dist/cli.js plus one chunk per part loaded on demand (each verifier family, the Kubernetes
// config source, the compliance commands, …) — and the embedded default configuration beside them.
//
// Why a bundle and not tsc's one file per module: a Node.js process pays for every module it loads (resolution,
// a module record, the ESM loader's bookkeeping). `signet serve` on its default loads ~700 modules compiled one by
// one and ~10 bundled, which is 11–13 MiB less resident memory at ready on Node 24 (measured with the bench's
// `serve`), and a faster start. The packages loaded only when configured — the Kubernetes client, the Azure SDKs,
// Sigstore and Redis — stay external: they are imported from node_modules as before, so their own file layouts
// and optional requires keep working untouched. Types are checked by `npm run typecheck`, not here.
//
//   npx tsx deploy/build-dist.ts [--out dir]   (default dist/)
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Packages that a default `serve` never loads, imported at run time from node_modules instead of bundled. */
export const EXTERNAL_PACKAGES = ['@kubernetes/client-node', '@azure/*', '@sigstore/*', 'ioredis'] as const;

/** The asset read beside the code (provider/config/default-config.ts resolves it from its own module URL). */
const DEFAULT_CONFIG = 'provider/config/default-config.yaml';

// CommonJS packages inside an ES module bundle call require(); this gives every chunk a real one.
const REQUIRE_BANNER =
  "import { createRequire as createSignetRequire } from 'node:module'; const require = createSignetRequire(import.meta.url);";

export interface BuiltDist {
  readonly dir: string;
  /** The files written, sorted (cli.js, its chunks, default-config.yaml). */
  readonly files: readonly string[];
}

/** What a build leaves alone in its output directory: `npm run image` writes its OCI layout to dist/image/. */
const KEPT_IN_OUTPUT = new Set(['image']);

/** Writes the production build into `outDir`, emptied first of everything but KEPT_IN_OUTPUT. */
export async function buildDist(outDir: string, repoRoot: string = REPO_ROOT): Promise<BuiltDist> {
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  for (const entry of await readdir(dir))
    if (!KEPT_IN_OUTPUT.has(entry)) await rm(join(dir, entry), { recursive: true, force: true });
  await build({
    absWorkingDir: repoRoot,
    entryPoints: [join(repoRoot, 'provider', 'cli.ts')],
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    external: [...EXTERNAL_PACKAGES],
    banner: { js: REQUIRE_BANNER },
    // Readable names and lines in stack traces: minifying saves under 1 MiB of memory here.
    minify: false,
    legalComments: 'eof',
    charset: 'utf8',
    logLevel: 'warning',
  });
  await copyFile(join(repoRoot, DEFAULT_CONFIG), join(dir, 'default-config.yaml'));
  return { dir, files: (await readdir(dir)).filter((entry) => !KEPT_IN_OUTPUT.has(entry)).sort() };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(REPO_ROOT, 'dist') } } });
  const built = await buildDist(values.out);
  process.stdout.write(`signet built into ${built.dir}: ${built.files.length} files\n`);
}
