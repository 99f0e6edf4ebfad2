// Builds signet's container image as an OCI image layout without a Docker daemon, from what the package registries
// serve: a minimal Debian root filesystem (the shared libraries node links against, CA certificates, time zones),
// Node.js from the npm package of the repository's pinned version, the production node_modules and signet's
// bundled dist/ (deploy/build-dist.ts). Reproducible: same inputs, same digest. A CycloneDX SBOM goes beside the
// layout and into it as a referrer of the image manifest. See deploy/image/README.md.
//
//   npm run image -- [--out dir] [--tag t] [--push registry/repo:tag [--plain-http]] [--dist dir] [--cache dir]
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import {
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  CYCLONEDX_MEDIA_TYPE,
  cycloneDx,
  readNpmTree,
  type DebianPackage,
  type NodeRuntime,
} from './sbom.js';
import { buildDist } from '../build-dist.js';
import { IMAGE_CLI, IMAGE_NODE, PRODUCTION_NODE_FLAGS } from '../node-flags.js';
import { LayerTree, addDirectory, writeTar } from './tar.js';

const gzipAsync = promisify(gzip);

export const DEFAULT_REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The chart's image (deploy/helm/signet values.yaml) lives under this project; override with --source. */
const DEFAULT_SOURCE = 'https://github.com/signet/signet';
const TOOL = { name: 'signet deploy/image/build-image.ts', version: '1' };

/** Shared libraries node links against (`ldd node`): their Debian dependencies are followed. */
const DEBIAN_LIBRARIES = ['libc6', 'libstdc++6', 'libgcc-s1'];
/** Packages shipped for their data only (their maintainer scripts never run, so their dependencies are not needed). */
const DEBIAN_DATA = ['base-files', 'ca-certificates', 'tzdata'];

const NONROOT = 65532;
const GZIP_LEVEL = 9;
const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

const ARCHES: Record<string, { node: string; triplet: string }> = {
  amd64: { node: 'linux-x64', triplet: 'x86_64-linux-gnu' },
  arm64: { node: 'linux-arm64', triplet: 'aarch64-linux-gnu' },
};

export interface BuildImageOptions {
  repoRoot?: string;
  /** OCI layout directory (replaced). Default <repo>/dist/image/oci-layout. */
  out?: string;
  /** Default: sbom.cdx.json beside the layout. */
  sbomPath?: string;
  /** Downloads and intermediate results, reused across builds. Default $SIGNET_IMAGE_CACHE or ~/.cache/signet/image. */
  cacheDir?: string;
  /** Tag (org.opencontainers.image.ref.name in index.json). Default: package.json version. */
  tag?: string;
  /** Ship this prebuilt dist/ instead of compiling provider/ afresh. */
  distDir?: string;
  /**
   * Compile, install and compress again instead of taking those results from the cache (downloads are still
   * reused): shows that the same inputs give the same bytes, not merely the same cache entries.
   */
  rebuild?: boolean;
  /** Seconds since the epoch for every mtime and `created`. Default $SOURCE_DATE_EPOCH, else git HEAD's commit time. */
  sourceDateEpoch?: number;
  source?: string;
  log?: (line: string) => void;
}

export interface BuiltLayer {
  name: string;
  digest: string;
  diffId: string;
  size: number;
  uncompressedSize: number;
  entries: number;
}

export interface BuiltImage {
  layout: string;
  sbomPath: string;
  tag: string;
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  sbomManifestDigest: string;
  layers: BuiltLayer[];
  /** Manifest + config + layers, as a registry stores them. */
  compressedSize: number;
  created: string;
  revision?: string;
  debian: { name: string; version: string; architecture: string }[];
  node: string;
  npmPackages: number;
  /** What the image is a function of: two builds with equal inputs must give the same digest. */
  inputs: {
    epoch: number;
    revision?: string;
    source: string;
    tag: string;
    debian: string[];
    node: string;
    modules: string;
    dist: string;
    zlib: string;
  };
  seconds: Record<string, number>;
}

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // npm and tsc run under the Node that runs this script (the repository's pinned Node 24).
  const path = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  return { ...process.env, PATH: path, ...extra };
}

function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? childEnv(),
        timeout: options.timeoutMs ?? 10 * 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `${command} ${args.join(' ')} failed: ${stderr.trim() || stdout.trim() || error.message}`,
            ),
          );
          return;
        }
        resolvePromise(stdout);
      },
    );
  });
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function hashFile(path: string, algorithm: 'sha256' | 'sha512'): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash(algorithm);
    createReadStream(path)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Moves a finished directory into the cache; when another build got there first, keeps theirs. */
async function publish(tmp: string, target: string): Promise<void> {
  try {
    await rename(tmp, target);
  } catch (error) {
    if (!(await exists(target))) throw error;
    await rm(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Debian packages

interface AptRecord extends DebianPackage {
  depends: string[];
}

function parseControl(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (/^\s/.test(line) && last !== undefined) fields.set(last, `${fields.get(last)}\n${line}`);
    else {
      const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (match) {
        last = match[1]!;
        fields.set(last, match[2]!);
      }
    }
  }
  return fields;
}

function dependencyNames(field: string | undefined): string[] {
  if (field === undefined || field.trim() === '') return [];
  return field.split(',').map((clause) =>
    clause
      .split('|')[0]!
      .trim()
      .replace(/\s*\(.*\)$/, '')
      .replace(/:any$/, '')
      .trim(),
  );
}

let aptUpdated = false;
/** `apt-get update`, once per process and only as root: for a machine whose package lists are missing or stale. */
async function aptUpdate(why: string, log: (line: string) => void): Promise<boolean> {
  if (aptUpdated || process.getuid?.() !== 0) return false;
  log(`${why}: running apt-get update once`);
  await run('apt-get', ['update']);
  aptUpdated = true;
  return true;
}

async function aptShow(names: readonly string[], log: (line: string) => void): Promise<AptRecord[]> {
  let output: string;
  try {
    output = await run('apt-cache', ['show', '--no-all-versions', ...names]);
  } catch (error) {
    if (!(await aptUpdate('apt-cache knows no candidate', log))) throw error;
    output = await run('apt-cache', ['show', '--no-all-versions', ...names]);
  }
  const records: AptRecord[] = [];
  for (const block of output.split(/\n\s*\n/)) {
    if (block.trim() === '') continue;
    const fields = parseControl(block);
    const name = fields.get('Package');
    const version = fields.get('Version');
    const architecture = fields.get('Architecture');
    const sha = fields.get('SHA256');
    if (!name || !version || !architecture || !sha)
      throw new Error(`apt-cache show: incomplete record:\n${block}`);
    records.push({
      name,
      version,
      architecture,
      sha256: sha,
      depends: [...dependencyNames(fields.get('Pre-Depends')), ...dependencyNames(fields.get('Depends'))],
      ...(fields.get('Source') ? { source: fields.get('Source')!.replace(/\s*\(.*\)$/, '') } : {}),
      ...(fields.get('Maintainer') ? { maintainer: fields.get('Maintainer')! } : {}),
      ...(fields.get('Homepage') ? { homepage: fields.get('Homepage')! } : {}),
    });
  }
  return records;
}

/** The candidate versions of the packages and of the libraries' dependencies, from the (signed) apt index. */
async function resolveDebian(log: (line: string) => void): Promise<AptRecord[]> {
  const resolved = new Map<string, AptRecord>();
  const follow = new Set(DEBIAN_LIBRARIES);
  let pending = [...DEBIAN_LIBRARIES, ...DEBIAN_DATA];
  while (pending.length > 0) {
    const records = await aptShow(pending, log);
    pending = [];
    for (const record of records) resolved.set(record.name, record);
    for (const record of records) {
      if (!follow.has(record.name)) continue;
      for (const dep of record.depends) {
        if (resolved.has(dep) || pending.includes(dep)) continue;
        follow.add(dep);
        pending.push(dep);
      }
    }
  }
  return [...resolved.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function debFileName(pkg: DebianPackage): string {
  return `${pkg.name}_${pkg.version.replace(/:/g, '%3a')}_${pkg.architecture}.deb`;
}

/** `apt-get download` of what the cache lacks; every .deb is checked against the index's SHA-256. */
async function fetchDebs(
  packages: readonly AptRecord[],
  cacheDir: string,
  log: (line: string) => void,
): Promise<Map<string, string>> {
  const dir = join(cacheDir, 'debs');
  await mkdir(dir, { recursive: true });
  const paths = new Map<string, string>();
  const missing: AptRecord[] = [];
  for (const pkg of packages) {
    const path = join(dir, debFileName(pkg));
    if ((await exists(path)) && (await hashFile(path, 'sha256')) === pkg.sha256) paths.set(pkg.name, path);
    else missing.push(pkg);
  }
  if (missing.length > 0) {
    log(`apt-get download ${missing.map((p) => `${p.name}=${p.version}`).join(' ')}`);
    const tmp = await mkdtemp(join(dir, '.download-'));
    try {
      await run(
        'apt-get',
        ['download', '-o', 'APT::Sandbox::User=root', ...missing.map((p) => `${p.name}=${p.version}`)],
        {
          cwd: tmp,
        },
      );
      const bySha = new Map<string, string>();
      for (const name of await readdir(tmp))
        bySha.set(await hashFile(join(tmp, name), 'sha256'), join(tmp, name));
      for (const pkg of missing) {
        const downloaded = bySha.get(pkg.sha256);
        if (downloaded === undefined)
          throw new Error(`apt-get download: no file with the index's SHA-256 for ${pkg.name}`);
        const path = join(dir, debFileName(pkg));
        await rename(downloaded, path);
        paths.set(pkg.name, path);
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  return paths;
}

// ---------------------------------------------------------------------------------------------------------------
// Node.js

interface NodeTarball {
  version: string;
  npmPackage: string;
  path: string;
  integrity: string;
  tarball: string;
}

async function fetchNode(
  version: string,
  npmPackage: string,
  cacheDir: string,
  log: (line: string) => void,
): Promise<NodeTarball> {
  const dir = join(cacheDir, 'npm');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${npmPackage}-${version}.tgz`);
  const metaPath = `${path}.json`;
  const integrityHex = (integrity: string): string =>
    Buffer.from(integrity.replace(/^sha512-/, ''), 'base64').toString('hex');
  if ((await exists(path)) && (await exists(metaPath))) {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { integrity: string; tarball: string };
    if ((await hashFile(path, 'sha512')) === integrityHex(meta.integrity))
      return { version, npmPackage, path, ...meta };
  }
  log(`npm pack ${npmPackage}@${version}`);
  const npmCache = join(cacheDir, 'npm-cache');
  const dist = JSON.parse(
    await run('npm', ['view', `${npmPackage}@${version}`, 'dist', '--json', '--cache', npmCache]),
  ) as { integrity: string; tarball: string };
  const tmp = await mkdtemp(join(dir, '.pack-'));
  try {
    const packed = JSON.parse(
      await run('npm', [
        'pack',
        `${npmPackage}@${version}`,
        '--json',
        '--pack-destination',
        tmp,
        '--cache',
        npmCache,
      ]),
    ) as { filename: string; integrity: string }[];
    const file = join(tmp, packed[0]!.filename);
    if (
      packed[0]!.integrity !== dist.integrity ||
      (await hashFile(file, 'sha512')) !== integrityHex(dist.integrity)
    )
      throw new Error(
        `${npmPackage}@${version}: tarball does not match the registry's integrity ${dist.integrity}`,
      );
    await writeFile(metaPath, JSON.stringify({ integrity: dist.integrity, tarball: dist.tarball }));
    await rename(file, path);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { version, npmPackage, path, integrity: dist.integrity, tarball: dist.tarball };
}

// ---------------------------------------------------------------------------------------------------------------
// npm production dependencies and dist/

interface Built {
  dir: string;
  /** What the output is a function of (hashed): equal keys, equal output. */
  key: string;
}

/** Where a cached result goes: in the cache, or (rebuild) in this build's staging directory. */
interface Place {
  cacheDir: string;
  staging: string;
  rebuild: boolean;
}

async function productionModules(
  repoRoot: string,
  place: Place,
  log: (line: string) => void,
): Promise<Built> {
  const { cacheDir } = place;
  const packageJson = await readFile(join(repoRoot, 'package.json'));
  const lock = await readFile(join(repoRoot, 'package-lock.json'));
  const manifest = JSON.parse(packageJson.toString('utf8')) as Record<string, unknown>;
  const npmVersion = (await run('npm', ['--version'])).trim();
  // Only what decides the installed tree: the dependency fields, the lockfile, npm's version and the flags.
  const keyOf = [
    'dependencies',
    'devDependencies',
    'optionalDependencies',
    'peerDependencies',
    'overrides',
  ].map((field) => [field, manifest[field]]);
  const key = sha256(
    JSON.stringify({ keyOf, lock: sha256(lock), npmVersion, flags: 'ci --omit=dev --ignore-scripts' }),
  ).slice(0, 32);
  const dir = place.rebuild ? place.staging : join(cacheDir, 'node_modules');
  const target = join(dir, place.rebuild ? 'modules' : key);
  if (await exists(join(target, 'node_modules', '.package-lock.json'))) return { dir: target, key };
  await mkdir(dir, { recursive: true });
  const tmp = await mkdtemp(join(dir, '.install-'));
  try {
    log(`npm ci --omit=dev (npm ${npmVersion})`);
    await writeFile(join(tmp, 'package.json'), packageJson);
    await writeFile(join(tmp, 'package-lock.json'), lock);
    await run(
      'npm',
      [
        'ci',
        '--omit=dev',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        '--cache',
        join(cacheDir, 'npm-cache'),
      ],
      { cwd: tmp },
    );
    await publish(tmp, target);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  return { dir: target, key };
}

async function prebuiltDist(dir: string): Promise<Built> {
  if (!(await exists(join(dir, 'cli.js'))))
    throw new Error(`${dir} has no cli.js: run \`npm run build\` first`);
  const hash = createHash('sha256');
  await hashTree(dir, hash);
  return { dir, key: hash.digest('hex').slice(0, 32) };
}

async function hashTree(
  root: string,
  hash: ReturnType<typeof createHash>,
  skip: (name: string) => boolean = () => false,
): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (skip(name)) continue;
      const path = join(dir, name);
      const info = await stat(path);
      if (info.isDirectory()) await walk(path);
      else
        hash
          .update(`${relative(root, path)}\0`)
          .update(await readFile(path))
          .update('\0');
    }
  };
  await walk(root);
}

/** `npm run build`'s output (deploy/build-dist.ts) built afresh, cached by its inputs. */
async function compileDist(repoRoot: string, place: Place, log: (line: string) => void): Promise<Built> {
  const hash = createHash('sha256');
  // What the bundle is made of: provider/ less its tests and test fixtures, the locked packages it bundles, the
  // bundler, the compiler options it reads (tsconfig.json) and the build script.
  await hashTree(join(repoRoot, 'provider'), hash, (name) => /\.test\.ts$|^test-fixtures\.ts$/.test(name));
  for (const file of [
    'package-lock.json',
    'tsconfig.json',
    'deploy/build-dist.ts',
    'node_modules/esbuild/package.json',
  ])
    hash
      .update(`${file}\0`)
      .update(await readFile(join(repoRoot, file)))
      .update('\0');
  const key = hash.digest('hex').slice(0, 32);
  const dir = place.rebuild ? place.staging : join(place.cacheDir, 'dist');
  const target = join(dir, place.rebuild ? 'dist' : key);
  if (await exists(join(target, 'cli.js'))) return { dir: target, key };
  await mkdir(dir, { recursive: true });
  const tmp = await mkdtemp(join(dir, '.build-'));
  try {
    log('deploy/build-dist.ts');
    await buildDist(tmp, repoRoot);
    if (!(await exists(join(tmp, 'cli.js')))) throw new Error('the build wrote no cli.js');
    await publish(tmp, target);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  return { dir: target, key };
}

const CACHE_KINDS = ['debs', 'npm', 'node_modules', 'dist', 'layers'];
const UNUSED_DAYS = 14;

/**
 * Marks what this build used (mtime now) and removes cache entries no build used for UNUSED_DAYS days, and
 * leftovers of interrupted builds (names starting with '.') older than a day. npm's own cache is npm's business.
 */
async function pruneCache(cacheDir: string, used: readonly string[]): Promise<void> {
  const now = new Date();
  const inUse = new Set(used.map((path) => resolve(path)));
  for (const path of inUse) if (path.startsWith(`${cacheDir}/`)) await utimes(path, now, now).catch(() => {});
  for (const kind of CACHE_KINDS) {
    const dir = join(cacheDir, kind);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const path = join(dir, name);
      if (inUse.has(path)) continue;
      const info = await stat(path).catch(() => undefined);
      if (info === undefined) continue;
      const days = (now.getTime() - info.mtimeMs) / 86_400_000;
      if (days > (name.startsWith('.') ? 1 : UNUSED_DAYS)) await rm(path, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Layers and the layout

async function gzipLayer(
  tar: Buffer,
  diffId: string,
  place: Place,
): Promise<{ path: string; digest: string; size: number }> {
  const dir = place.rebuild ? place.staging : join(place.cacheDir, 'layers');
  await mkdir(dir, { recursive: true });
  // Deterministic gzip: zlib's header carries no name and mtime 0; the level is fixed. The bytes are those of the
  // zlib inside the pinned Node, so the cache key names both.
  const path = join(
    dir,
    `${diffId.replace('sha256:', '')}-gzip${GZIP_LEVEL}-zlib${process.versions.zlib}.tar.gz`,
  );
  if (!(await exists(path))) {
    const compressed = await gzipAsync(tar, { level: GZIP_LEVEL });
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, compressed);
    await rename(tmp, path);
  }
  const info = await stat(path);
  return { path, digest: `sha256:${await hashFile(path, 'sha256')}`, size: info.size };
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function gitOutput(repoRoot: string, args: string[]): Promise<string | undefined> {
  return run('git', ['-C', repoRoot, ...args]).then(
    (out) => out.trim() || undefined,
    () => undefined,
  );
}

function sourceUrl(
  manifest: { repository?: string | { url?: string } },
  remote: string | undefined,
): string | undefined {
  const raw =
    typeof manifest.repository === 'string' ? manifest.repository : (manifest.repository?.url ?? remote);
  if (raw === undefined) return undefined;
  const url = raw
    .replace(/^git\+/, '')
    .replace(/^git@([^:]+):/, 'https://$1/')
    .replace(/\.git$/, '');
  // A clone of a local path (CI clones the working copy) names no public source.
  return /^https?:\/\//.test(url) ? url : undefined;
}

function caBundle(rootfs: string, names: string[]): Promise<Buffer> {
  return Promise.all(names.map((name) => readFile(join(rootfs, 'usr/share/ca-certificates', name)))).then(
    (pems) =>
      Buffer.concat(pems.map((pem) => (pem.at(-1) === 0x0a ? pem : Buffer.concat([pem, Buffer.from('\n')])))),
  );
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) out.push(...(await listFiles(path, `${prefix}${name}/`)));
    else out.push(`${prefix}${name}`);
  }
  return out;
}

/** Every shared library `ldd` names for the binary must be in the root filesystem. */
async function checkLibraries(binary: string, rootfs: string, triplet: string): Promise<void> {
  let output: string;
  try {
    output = await run('ldd', [binary]);
  } catch {
    return; // no ldd on this host: the image test still runs node from the root filesystem
  }
  const dirs = ['lib', 'usr/lib', `lib/${triplet}`, `usr/lib/${triplet}`, 'lib64'];
  for (const line of output.split('\n')) {
    const match = /^\s*(\S+\.so[^\s]*)(?:\s+=>\s+(\S+))?/.exec(line);
    if (!match || match[1]!.startsWith('linux-vdso')) continue;
    const name = basename(match[1]!);
    if (!dirs.some((dir) => existsSync(join(rootfs, dir, name))))
      throw new Error(`node needs ${name}, which none of ${DEBIAN_LIBRARIES.join(', ')} ships`);
  }
}

export async function buildImage(options: BuildImageOptions = {}): Promise<BuiltImage> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[image] ${line}\n`));
  const repoRoot = resolve(options.repoRoot ?? DEFAULT_REPO_ROOT);
  const out = resolve(options.out ?? join(repoRoot, 'dist/image/oci-layout'));
  const sbomPath = resolve(options.sbomPath ?? join(dirname(out), 'sbom.cdx.json'));
  const cacheDir = resolve(
    options.cacheDir ?? process.env.SIGNET_IMAGE_CACHE ?? join(homedir(), '.cache/signet/image'),
  );
  const seconds: Record<string, number> = {};
  const started = Date.now();
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      seconds[name] = (Date.now() - t0) / 1000;
    }
  };

  const manifest = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    description?: string;
    license?: string;
    repository?: string | { url?: string };
    devDependencies?: Record<string, string>;
  };
  const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const tag = options.tag ?? manifest.version;
  const revision = await gitOutput(repoRoot, ['rev-parse', 'HEAD']);
  const epochText =
    options.sourceDateEpoch?.toString() ??
    process.env.SOURCE_DATE_EPOCH ??
    (await gitOutput(repoRoot, ['log', '-1', '--format=%ct', 'HEAD']));
  if (epochText === undefined || !/^\d+$/.test(epochText))
    throw new Error('no SOURCE_DATE_EPOCH and no git HEAD to take the time from: set SOURCE_DATE_EPOCH');
  const epoch = Number(epochText);
  const created = new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const source =
    options.source ??
    process.env.SIGNET_IMAGE_SOURCE ??
    sourceUrl(manifest, await gitOutput(repoRoot, ['remote', 'get-url', 'origin'])) ??
    DEFAULT_SOURCE;

  const debArch = (await run('dpkg', ['--print-architecture'])).trim();
  const arch = ARCHES[debArch];
  if (arch === undefined) throw new Error(`no Node.js npm package known for Debian architecture ${debArch}`);
  const nodeVersion = lock.packages['node_modules/node']?.version ?? manifest.devDependencies?.node;
  if (nodeVersion === undefined || !/^\d+\.\d+\.\d+$/.test(nodeVersion))
    throw new Error(`the node devDependency must pin an exact version (found ${String(nodeVersion)})`);
  const nodePackage = `node-${arch.node}`;

  const staging = await mkdtemp(join(tmpdir(), 'signet-image-'));
  try {
    const place: Place = { cacheDir, staging, rebuild: options.rebuild ?? false };
    // Downloads and npm's install run while the bundle is built.
    const [debs, nodeTarball, modules, dist] = await Promise.all([
      timed('debian', async () => {
        const packages = await resolveDebian(log);
        try {
          return { packages, files: await fetchDebs(packages, cacheDir, log) };
        } catch (error) {
          // Stale lists name versions the mirror no longer serves: update them and resolve again.
          if (!(await aptUpdate('apt-get download failed', log))) throw error;
          const fresh = await resolveDebian(log);
          return { packages: fresh, files: await fetchDebs(fresh, cacheDir, log) };
        }
      }),
      timed('node', () => fetchNode(nodeVersion, nodePackage, cacheDir, log)),
      timed('npm', () => productionModules(repoRoot, place, log)),
      timed('dist', () =>
        options.distDir ? prebuiltDist(resolve(options.distDir)) : compileDist(repoRoot, place, log),
      ),
    ]);
    const modulesRoot = modules.dir;
    const distDir = dist.dir;

    // --- base layer: Debian root filesystem, generated /etc files, node
    const base = await timed('rootfs', async () => {
      const rootfs = join(staging, 'rootfs');
      await mkdir(rootfs);
      const controls = new Map<string, Buffer>();
      for (const pkg of debs.packages) {
        const deb = debs.files.get(pkg.name)!;
        await run('dpkg-deb', ['-x', deb, rootfs]);
        controls.set(pkg.name, Buffer.from(await run('dpkg-deb', ['--info', deb, 'control'])));
      }
      const nodeDir = join(staging, 'node');
      await mkdir(nodeDir);
      await run('tar', ['-xzf', nodeTarball.path, '-C', nodeDir, 'package/bin/node', 'package/LICENSE']);
      const nodeBinary = join(nodeDir, 'package/bin/node');
      const reported = (await run(nodeBinary, ['--version'])).trim();
      if (reported !== `v${nodeVersion}`)
        throw new Error(`${nodePackage}@${nodeVersion} says it is ${reported}`);
      await checkLibraries(nodeBinary, rootfs, arch.triplet);

      const tree = new LayerTree();
      await addDirectory(tree, rootfs, { at: '', modes: 'preserve' });
      const file = (path: string, bytes: Buffer | string, mode = 0o644): void =>
        tree.add({ type: 'file', path, mode, uid: 0, gid: 0, source: { bytes: Buffer.from(bytes) } });
      file(
        'etc/passwd',
        `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n`,
      );
      file('etc/group', `root:x:0:\nnonroot:x:${NONROOT}:\n`);
      file(
        'etc/nsswitch.conf',
        'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n',
      );
      // update-ca-certificates never runs (no shell): the bundle it would write, from every certificate shipped.
      const certs = (await listFiles(join(rootfs, 'usr/share/ca-certificates'))).filter((name) =>
        name.endsWith('.crt'),
      );
      file('etc/ssl/certs/ca-certificates.crt', await caBundle(rootfs, certs));
      tree.add({ type: 'dir', path: 'home/nonroot', mode: 0o700, uid: NONROOT, gid: NONROOT });
      // dpkg's database in distroless form, so image scanners find the packages.
      for (const [name, control] of controls) file(`var/lib/dpkg/status.d/${name}`, control);
      tree.add({
        type: 'file',
        path: 'usr/local/bin/node',
        mode: 0o755,
        uid: 0,
        gid: 0,
        source: { file: nodeBinary },
      });
      tree.add({
        type: 'file',
        path: 'usr/local/share/doc/node/LICENSE',
        mode: 0o644,
        uid: 0,
        gid: 0,
        source: { file: join(nodeDir, 'package/LICENSE') },
      });
      const osVersion = (await readFile(join(rootfs, 'etc/debian_version'), 'utf8')).trim();
      return { tree, nodeBinarySha256: await hashFile(nodeBinary, 'sha256'), osVersion };
    });

    // --- deps layer: production node_modules; app layer: package.json (for "type": "module") and dist/
    const deps = new LayerTree();
    await addDirectory(deps, join(modulesRoot, 'node_modules'), {
      at: 'app/node_modules',
      modes: 'normalize',
    });
    const app = new LayerTree();
    app.add({
      type: 'file',
      path: 'app/package.json',
      mode: 0o644,
      uid: 0,
      gid: 0,
      source: { file: join(repoRoot, 'package.json') },
    });
    await addDirectory(app, distDir, { at: 'app/dist', modes: 'normalize' });

    const layers = await timed('layers', () =>
      Promise.all(
        (
          [
            ['base', base.tree, 'Debian libraries, CA certificates, tzdata; /etc/passwd with nonroot; node'],
            ['deps', deps, 'npm ci --omit=dev'],
            ['app', app, 'signet dist/'],
          ] as const
        ).map(async ([name, tree, comment]) => {
          const tar = await writeTar(tree, epoch);
          const diffId = `sha256:${sha256(tar)}`;
          const gz = await gzipLayer(tar, diffId, place);
          return { name, comment, diffId, uncompressedSize: tar.length, entries: tree.size, ...gz };
        }),
      ),
    );

    const labels: Record<string, string> = {
      'org.opencontainers.image.created': created,
      ...(manifest.description === undefined
        ? {}
        : { 'org.opencontainers.image.description': manifest.description }),
      ...(manifest.license === undefined ? {} : { 'org.opencontainers.image.licenses': manifest.license }),
      ...(revision === undefined ? {} : { 'org.opencontainers.image.revision': revision }),
      'org.opencontainers.image.source': source,
      'org.opencontainers.image.title': manifest.name,
      'org.opencontainers.image.version': manifest.version,
    };
    const config = json({
      created,
      architecture: debArch,
      os: 'linux',
      config: {
        User: `${NONROOT}:${NONROOT}`,
        ExposedPorts: { '6001/tcp': {}, '8888/tcp': {} },
        Env: ['PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin', 'NODE_ENV=production'],
        Entrypoint: [IMAGE_NODE, ...PRODUCTION_NODE_FLAGS, IMAGE_CLI],
        Cmd: ['serve'],
        WorkingDir: '/app',
        Labels: labels,
        StopSignal: 'SIGTERM',
      },
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
      history: layers.map((layer) => ({
        created,
        created_by: `${TOOL.name}: ${layer.name} layer`,
        comment: layer.comment,
      })),
    });
    const configDigest = `sha256:${sha256(config)}`;
    const imageManifest = json({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: configDigest, size: config.length },
      layers: layers.map((layer) => ({ mediaType: MEDIA.layer, digest: layer.digest, size: layer.size })),
      annotations: labels,
    });
    const manifestDigest = `sha256:${sha256(imageManifest)}`;

    const npmTree = await readNpmTree(modulesRoot, '/app/node_modules');
    const node: NodeRuntime = {
      version: nodeVersion,
      npmPackage: nodePackage,
      tarballSha512: Buffer.from(nodeTarball.integrity.replace(/^sha512-/, ''), 'base64').toString('hex'),
      tarballUrl: nodeTarball.tarball,
      binarySha256: base.nodeBinarySha256,
      path: '/usr/local/bin/node',
    };
    const sbom = cycloneDx({
      image: { name: manifest.name, tag, manifestDigest, created, source },
      app: {
        name: manifest.name,
        version: manifest.version,
        ...(manifest.license === undefined ? {} : { license: manifest.license }),
        ...(manifest.description === undefined ? {} : { description: manifest.description }),
      },
      os: { name: 'debian', version: base.osVersion },
      debian: debs.packages.map(({ depends: _depends, ...pkg }) => pkg),
      node,
      npm: npmTree,
      tool: TOOL,
    });
    const empty = Buffer.from('{}');
    const sbomManifest = json({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      artifactType: CYCLONEDX_MEDIA_TYPE,
      config: {
        mediaType: MEDIA.empty,
        digest: `sha256:${sha256(empty)}`,
        size: empty.length,
        data: empty.toString('base64'),
      },
      layers: [
        {
          mediaType: CYCLONEDX_MEDIA_TYPE,
          digest: `sha256:${sha256(sbom)}`,
          size: sbom.length,
          annotations: { 'org.opencontainers.image.title': basename(sbomPath) },
        },
      ],
      subject: { mediaType: MEDIA.manifest, digest: manifestDigest, size: imageManifest.length },
      annotations: { 'org.opencontainers.image.created': created },
    });
    const sbomManifestDigest = `sha256:${sha256(sbomManifest)}`;
    const index = json({
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [
        {
          mediaType: MEDIA.manifest,
          digest: manifestDigest,
          size: imageManifest.length,
          platform: { architecture: debArch, os: 'linux' },
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
        {
          mediaType: MEDIA.manifest,
          artifactType: CYCLONEDX_MEDIA_TYPE,
          digest: sbomManifestDigest,
          size: sbomManifest.length,
        },
      ],
    });

    await timed('write', async () => {
      await mkdir(dirname(out), { recursive: true });
      const tmp = await mkdtemp(`${out}.tmp-`);
      try {
        const blobs = join(tmp, 'blobs/sha256');
        await mkdir(blobs, { recursive: true });
        const blob = (bytes: Buffer): Promise<void> => writeFile(join(blobs, sha256(bytes)), bytes);
        for (const layer of layers)
          await copyFile(layer.path, join(blobs, layer.digest.replace('sha256:', '')));
        await Promise.all([blob(config), blob(imageManifest), blob(sbom), blob(empty), blob(sbomManifest)]);
        await writeFile(join(tmp, 'oci-layout'), json({ imageLayoutVersion: '1.0.0' }));
        await writeFile(join(tmp, 'index.json'), index);
        if (await exists(out)) {
          if (!(await exists(join(out, 'oci-layout'))) && (await readdir(out)).length > 0)
            throw new Error(`${out} exists and is not an OCI layout: not replacing it`);
          await rm(out, { recursive: true, force: true });
        }
        await rename(tmp, out);
      } catch (error) {
        await rm(tmp, { recursive: true, force: true });
        throw error;
      }
      await mkdir(dirname(sbomPath), { recursive: true });
      await writeFile(sbomPath, sbom);
    });
    await pruneCache(cacheDir, [
      ...debs.files.values(),
      nodeTarball.path,
      `${nodeTarball.path}.json`,
      modules.dir,
      dist.dir,
      ...layers.map((layer) => layer.path),
    ]);
    seconds.total = (Date.now() - started) / 1000;

    const built: BuiltImage = {
      layout: out,
      sbomPath,
      tag,
      manifestDigest,
      manifestSize: imageManifest.length,
      configDigest,
      sbomManifestDigest,
      layers: layers.map(({ name, digest, diffId, size, uncompressedSize, entries }) => ({
        name,
        digest,
        diffId,
        size,
        uncompressedSize,
        entries,
      })),
      compressedSize:
        imageManifest.length + config.length + layers.reduce((sum, layer) => sum + layer.size, 0),
      created,
      ...(revision === undefined ? {} : { revision }),
      debian: debs.packages.map(({ name, version, architecture }) => ({ name, version, architecture })),
      node: nodeVersion,
      npmPackages: npmTree.packages.length,
      inputs: {
        epoch,
        ...(revision === undefined ? {} : { revision }),
        source,
        tag,
        debian: debs.packages.map((pkg) => `${pkg.name}=${pkg.version} sha256:${pkg.sha256}`),
        node: `${nodePackage}@${nodeVersion} ${nodeTarball.integrity}`,
        modules: modules.key,
        dist: dist.key,
        zlib: `${process.versions.zlib} level ${GZIP_LEVEL}`,
      },
      seconds,
    };
    await writeFile(join(dirname(out), `${basename(out)}.json`), `${JSON.stringify(built, null, 2)}\n`);
    return built;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Push

export function findTool(name: 'oras' | 'crane'): string | undefined {
  const fromEnv = process.env[name.toUpperCase()];
  if (fromEnv) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(delimiter))
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  const tools = join(process.env.SIGNET_TOOLS_DIR ?? join(homedir(), '.cache/signet/tools'), 'bin', name);
  return existsSync(tools) ? tools : undefined;
}

export interface PushOptions {
  /** Talk plain HTTP to the registry (a local test registry). */
  plainHttp?: boolean;
  /** A docker config.json with the registry's credentials. */
  registryConfig?: string;
  /** The oras binary; default $ORAS, PATH, then test/tools/setup.sh's tools directory. */
  oras?: string;
}

/** Copies the tagged image and its referrers (the SBOM) from the layout to `ref` with `oras cp -r`. */
export async function pushImage(
  layout: string,
  tag: string,
  ref: string,
  options: PushOptions = {},
): Promise<void> {
  const oras = options.oras ?? findTool('oras');
  if (oras === undefined)
    throw new Error(
      'pushing needs oras (PATH, $ORAS, or `bash test/tools/setup.sh oras`): it copies the SBOM referrer too',
    );
  const args = ['cp', '-r', '--from-oci-layout', `${layout}:${tag}`, ref];
  if (options.plainHttp) args.push('--to-plain-http');
  if (options.registryConfig) args.push('--to-registry-config', options.registryConfig);
  await run(oras, args);
}

// ---------------------------------------------------------------------------------------------------------------
// CLI

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      sbom: { type: 'string' },
      cache: { type: 'string' },
      tag: { type: 'string' },
      dist: { type: 'string' },
      source: { type: 'string' },
      'source-date-epoch': { type: 'string' },
      push: { type: 'string' },
      'plain-http': { type: 'boolean', default: false },
      rebuild: { type: 'boolean', default: false },
      'registry-config': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      [
        'Usage: npm run image -- [options]',
        '  --out <dir>               OCI layout to write (default dist/image/oci-layout)',
        '  --sbom <file>             CycloneDX SBOM (default sbom.cdx.json beside the layout)',
        '  --tag <tag>               tag in the layout and when pushing (default package.json version)',
        '  --cache <dir>             download cache (default $SIGNET_IMAGE_CACHE or ~/.cache/signet/image)',
        '  --dist <dir>              ship this prebuilt dist/ instead of compiling provider/',
        '  --source <url>            org.opencontainers.image.source',
        '  --rebuild                 compile, install and compress again (downloads still cached)',
        '  --source-date-epoch <s>   timestamps (default $SOURCE_DATE_EPOCH, else git HEAD commit time)',
        '  --push <ref>              then copy image + SBOM referrer to registry/repo[:tag] with oras',
        '  --plain-http              push over plain HTTP',
        '  --registry-config <file>  docker config.json with credentials for the push',
        '',
      ].join('\n'),
    );
    return;
  }
  const built = await buildImage({
    ...(values.out === undefined ? {} : { out: values.out }),
    ...(values.sbom === undefined ? {} : { sbomPath: values.sbom }),
    ...(values.cache === undefined ? {} : { cacheDir: values.cache }),
    ...(values.tag === undefined ? {} : { tag: values.tag }),
    ...(values.dist === undefined ? {} : { distDir: values.dist }),
    ...(values.source === undefined ? {} : { source: values.source }),
    rebuild: values.rebuild,
    ...(values['source-date-epoch'] === undefined
      ? {}
      : { sourceDateEpoch: Number(values['source-date-epoch']) }),
  });
  const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  const lines = [
    `layout   ${built.layout} (tag ${built.tag})`,
    `digest   ${built.manifestDigest}`,
    `size     ${mib(built.compressedSize)} compressed`,
    ...built.layers.map(
      (l) => `layer    ${l.name.padEnd(5)} ${l.digest} ${mib(l.size)} (${mib(l.uncompressedSize)} unpacked)`,
    ),
    `sbom     ${built.sbomPath} (referrer ${built.sbomManifestDigest})`,
    `time     ${Object.entries(built.seconds)
      .map(([k, v]) => `${k} ${v.toFixed(1)}s`)
      .join(', ')}`,
  ];
  if (values.push !== undefined) {
    await pushImage(built.layout, built.tag, values.push, {
      plainHttp: values['plain-http'],
      ...(values['registry-config'] === undefined ? {} : { registryConfig: values['registry-config'] }),
    });
    lines.push(`pushed   ${values.push}@${built.manifestDigest}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`[image] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
