// The container image built without Docker (deploy/image/build-image.ts): built as `npm run image` builds it, then
// built again from scratch (same digest), unpacked and run from its own root filesystem (read-only, as uid 65532,
// through chroot), pushed to a real olareg registry with its SBOM as a referrer, and its config and layers checked;
// then signed with the real notation and cosign CLIs and verified by signet itself (an unsigned copy is denied).
// Downloads (.debs, the Node.js npm tarball, npm's cache) are kept in ~/.cache/signet/image, so only the first run on
// a machine downloads anything.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { buildImage, pushImage, type BuiltImage } from '../../deploy/image/build-image.js';
import { createCosignKeyPair, cosignSign } from '../helpers/cosign.js';
import { expectBothVerifiersAnswer } from '../helpers/expect-both-verifiers.js';
import { callProvider } from '../helpers/gatekeeper-client.js';
import { createNotationSigner } from '../helpers/notation.js';
import { freePort, REPO_ROOT, startProvider, waitForHttp } from '../helpers/process.js';
import { notationAndCosignConfig } from '../helpers/ratify-config.js';
import { registryRequest, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { runTool, toolPath } from '../helpers/tools.js';

const execFileAsync = promisify(execFile);
const BUILD_TIMEOUT_MS = 15 * 60_000;
const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? it : it.skip;
// The host's PATH for chroot/unshare/mount (in sbin), which is also the image's PATH once inside.
const runEnv = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  NODE_ENV: 'production',
};

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}
interface Manifest {
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}
interface ImageConfig {
  created: string;
  architecture: string;
  os: string;
  config: {
    User: string;
    Entrypoint: string[];
    Cmd: string[];
    WorkingDir: string;
    Env: string[];
    ExposedPorts: Record<string, object>;
    Labels: Record<string, string>;
  };
  rootfs: { type: string; diff_ids: string[] };
}
interface Bom {
  bomFormat: string;
  specVersion: string;
  metadata: { component: { type: string; purl: string } };
  components: { type: string; name: string; group?: string; version: string; purl?: string }[];
}

const packageJson = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
};

let work: string;
let first: BuiltImage;

async function blob(layout: string, digest: string): Promise<Buffer> {
  return readFile(join(layout, 'blobs', digest.replace(':', '/')));
}
async function blobJson<T>(layout: string, digest: string): Promise<T> {
  return JSON.parse((await blob(layout, digest)).toString('utf8')) as T;
}
async function imageManifest(image: BuiltImage): Promise<Manifest> {
  return blobJson<Manifest>(image.layout, image.manifestDigest);
}

interface TarMember {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  linkname: string;
}

/** An independent reader for the layer format: ustar headers with checksums, PAX `path`/`linkpath` records. */
function readTar(tar: Buffer): TarMember[] {
  const members: TarMember[] = [];
  const field = (block: Buffer, start: number, length: number): string =>
    block
      .subarray(start, start + length)
      .toString('utf8')
      .replace(/\0.*$/s, '');
  const num = (block: Buffer, start: number, length: number): number =>
    parseInt(field(block, start, length).trim() || '0', 8);
  let offset = 0;
  let pax: Record<string, string> = {};
  for (;;) {
    const block = tar.subarray(offset, offset + 512);
    if (block.length < 512) throw new Error('tar ends without the two zero blocks');
    if (block.every((byte) => byte === 0)) {
      expect(tar.subarray(offset, offset + 1024).every((byte) => byte === 0)).toBe(true);
      break;
    }
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
    expect(num(block, 148, 8)).toBe(sum);
    expect(field(block, 257, 6)).toBe('ustar');
    const size = num(block, 124, 12);
    const type = field(block, 156, 1);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      // Records are "<length> <key>=<value>\n", the length in bytes and counting itself.
      pax = {};
      let rest = body;
      while (rest.length > 0) {
        const space = rest.indexOf(0x20);
        const length = Number(rest.subarray(0, space).toString('ascii'));
        const record = rest.subarray(space + 1, length - 1).toString('utf8');
        const eq = record.indexOf('=');
        pax[record.slice(0, eq)] = record.slice(eq + 1);
        rest = rest.subarray(length);
      }
      continue;
    }
    const prefix = field(block, 345, 155);
    const name = field(block, 0, 100);
    members.push({
      path: pax.path ?? (prefix ? `${prefix}/${name}` : name),
      type,
      mode: num(block, 100, 8),
      uid: num(block, 108, 8),
      gid: num(block, 116, 8),
      mtime: num(block, 136, 12),
      size,
      linkname: pax.linkpath ?? field(block, 157, 100),
    });
    pax = {};
  }
  return members;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-image-test-'));
  // The first build as `npm run image` runs it (a child process, the CLI), downloads reused from the cache.
  const out = join(work, 'a', 'oci-layout');
  await execFileAsync(process.execPath, ['--import', 'tsx', 'deploy/image/build-image.ts', '--out', out], {
    cwd: REPO_ROOT,
    timeout: BUILD_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  first = JSON.parse(await readFile(join(work, 'a', 'oci-layout.json'), 'utf8')) as BuiltImage;
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('the image built without Docker', () => {
  it(
    'is reproducible: compiled, installed and compressed again, it has the same manifest digest',
    async () => {
      const rebuild = (): Promise<BuiltImage> =>
        buildImage({ out: join(work, 'b', 'oci-layout'), rebuild: true, log: () => {} });
      let reference = first;
      let second = await rebuild();
      if (JSON.stringify(second.inputs) !== JSON.stringify(reference.inputs)) {
        // The working tree changed between the two builds (someone editing provider/ meanwhile): build the pair
        // once more, back to back, from what is there now.
        reference = await buildImage({ out: join(work, 'c', 'oci-layout'), log: () => {} });
        second = await rebuild();
      }
      // Equal inputs first: a failure here means the sources changed between the two builds, not the builder.
      expect(second.inputs).toEqual(reference.inputs);
      expect(second.layers.map((layer) => layer.diffId)).toEqual(
        reference.layers.map((layer) => layer.diffId),
      );
      expect(second.layers.map((layer) => layer.digest)).toEqual(
        reference.layers.map((layer) => layer.digest),
      );
      expect(second.manifestDigest).toBe(reference.manifestDigest);
      expect(second.sbomManifestDigest).toBe(reference.sbomManifestDigest);
      expect(await readFile(second.sbomPath)).toEqual(await readFile(reference.sbomPath));
      expect(await readFile(join(second.layout, 'index.json'))).toEqual(
        await readFile(join(reference.layout, 'index.json')),
      );
    },
    BUILD_TIMEOUT_MS,
  );

  it('has the config, labels and layout the deployment relies on', async () => {
    const manifest = await imageManifest(first);
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.layers).toHaveLength(3);
    for (const layer of manifest.layers)
      expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    const config = await blobJson<ImageConfig>(first.layout, manifest.config.digest);
    expect(config.architecture).toBe('amd64');
    expect(config.os).toBe('linux');
    expect(config.config.User).toBe('65532:65532');
    expect(config.config.Entrypoint).toEqual(['/usr/local/bin/node', '/app/dist/cli.js']);
    expect(config.config.Cmd).toEqual(['serve']);
    expect(config.config.WorkingDir).toBe('/app');
    expect(config.config.Env).toContain('NODE_ENV=production');
    expect(config.config.Env.some((env) => env.startsWith('PATH=/usr/local/bin:'))).toBe(true);
    expect(Object.keys(config.config.ExposedPorts).sort()).toEqual(['6001/tcp', '8888/tcp']);
    expect(config.rootfs.diff_ids).toEqual(first.layers.map((layer) => layer.diffId));

    const created = new Date(first.inputs.epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect(config.created).toBe(created);
    const labels = config.config.Labels;
    expect(labels['org.opencontainers.image.title']).toBe(packageJson.name);
    expect(labels['org.opencontainers.image.version']).toBe(packageJson.version);
    expect(labels['org.opencontainers.image.licenses']).toBe(packageJson.license);
    expect(labels['org.opencontainers.image.created']).toBe(created);
    expect(labels['org.opencontainers.image.source']).toMatch(/^https:\/\//);
    const head = await execFileAsync('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD']).then(
      ({ stdout }) => stdout.trim(),
      () => undefined,
    );
    if (head !== undefined) expect(labels['org.opencontainers.image.revision']).toBe(head);
    // The same set as manifest annotations (what registries and `oras discover` show).
    expect(manifest.annotations).toEqual(labels);

    const index = JSON.parse(await readFile(join(first.layout, 'index.json'), 'utf8')) as {
      manifests: Descriptor[];
    };
    expect(index.manifests[0]).toMatchObject({
      digest: first.manifestDigest,
      annotations: { 'org.opencontainers.image.ref.name': packageJson.version },
    });
    const sbomDescriptor = index.manifests.find((m) => m.artifactType === 'application/vnd.cyclonedx+json');
    expect(sbomDescriptor?.digest).toBe(first.sbomManifestDigest);
    const sbomManifest = await blobJson<Manifest>(first.layout, first.sbomManifestDigest);
    expect(sbomManifest.subject).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: first.manifestDigest,
      size: first.manifestSize,
    });
    expect(await blob(first.layout, sbomManifest.layers[0]!.digest)).toEqual(await readFile(first.sbomPath));
  });

  it('writes deterministic layers: sorted entries, one mtime, root-owned read-only files, no shell', async () => {
    const manifest = await imageManifest(first);
    const all = new Map<string, TarMember>();
    for (const layer of manifest.layers) {
      const gz = await blob(first.layout, layer.digest);
      // No file name and no mtime in the gzip header.
      expect(gz.readUInt32LE(4)).toBe(0);
      expect(gz[3]! & 0x08).toBe(0);
      const members = readTar(gunzipSync(gz));
      const paths = members.map((m) => Buffer.from(m.path.replace(/\/$/, '')));
      const sorted = [...paths].sort(Buffer.compare);
      expect(paths).toEqual(sorted);
      expect(new Set(paths.map(String)).size).toBe(paths.length);
      for (const member of members) {
        expect(member.mtime).toBe(first.inputs.epoch);
        all.set(member.path.replace(/\/$/, ''), member);
      }
    }
    for (const [path, member] of all) {
      if (path === 'home/nonroot') {
        expect([member.uid, member.gid, member.mode]).toEqual([65532, 65532, 0o700]);
        continue;
      }
      expect([path, member.uid, member.gid]).toEqual([path, 0, 0]);
      // Nothing the runtime user may change: no world-writable file; world-writable directories only sticky (/tmp).
      if (member.type === '5' && member.mode & 0o002)
        expect([path, member.mode & 0o1000]).toEqual([path, 0o1000]);
      if (member.type === '0') expect([path, member.mode & 0o022]).toEqual([path, 0]);
    }
    for (const shell of [
      'bin/sh',
      'bin/bash',
      'bin/dash',
      'usr/bin/sh',
      'usr/bin/bash',
      'usr/bin/env',
      'bin/ls',
    ])
      expect(all.has(shell)).toBe(false);
    expect(all.get('usr/local/bin/node')).toMatchObject({ type: '0', mode: 0o755 });
    // The bundle's entry carries its hashbang, and esbuild marks it executable.
    expect(all.get('app/dist/cli.js')).toMatchObject({ type: '0', mode: 0o755 });
    expect(all.has('app/package.json')).toBe(true);
    expect(all.has('app/node_modules/express/package.json')).toBe(true);
    expect(all.has('etc/ssl/certs/ca-certificates.crt')).toBe(true);
    expect(all.get('tmp')).toMatchObject({ type: '5', mode: 0o1777 });
  });

  rootOnly(
    'runs from its own root filesystem, read-only and as uid 65532: --version, then serve answers a ProviderRequest',
    async () => {
      const rootfs = join(work, 'rootfs');
      await mkdir(rootfs);
      for (const layer of (await imageManifest(first)).layers) {
        await execFileAsync('tar', [
          '-xzpf',
          join(first.layout, 'blobs', layer.digest.replace(':', '/')),
          '-C',
          rootfs,
          '--same-owner',
          '--numeric-owner',
        ]);
      }
      const passwd = await readFile(join(rootfs, 'etc/passwd'), 'utf8');
      expect(passwd).toContain('nonroot:x:65532:65532:');
      expect(await readFile(join(rootfs, 'etc/group'), 'utf8')).toContain('nonroot:x:65532:');
      expect(existsSync(join(rootfs, 'bin/sh'))).toBe(false);

      const entrypoint = ['/usr/local/bin/node', '/app/dist/cli.js'];
      const version = await execFileAsync(
        'chroot',
        ['--userspec=65532:65532', rootfs, ...entrypoint, '--version'],
        { timeout: 60_000, env: runEnv },
      );
      expect(version.stdout.trim()).toBe(packageJson.version);

      const port = await freePort();
      const metricsPort = await freePort();
      const serve = [
        'serve',
        '--insecure-http',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--metrics-port',
        String(metricsPort),
      ];
      // A private mount namespace: the root filesystem bound read-only, /tmp a tmpfs (the pod's emptyDir), /proc and
      // /dev as a runtime provides them; then chroot to uid 65532 and exec the image's entrypoint.
      const script = [
        'set -e',
        'R="$1"; shift',
        'mount --bind "$R" "$R"',
        'mount -o remount,bind,ro "$R"',
        'mount -t tmpfs -o mode=1777,size=16m tmpfs "$R/tmp"',
        'mount -t proc proc "$R/proc" 2>/dev/null || mount --rbind /proc "$R/proc"',
        'mount --rbind /dev "$R/dev"',
        'exec chroot --userspec=65532:65532 "$R" "$@"',
      ].join('\n');
      const child = spawn(
        'unshare',
        ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', rootfs, ...entrypoint, ...serve],
        {
          env: runEnv,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await Promise.race([
          waitForHttp(`http://127.0.0.1:${metricsPort}/readyz`, 60_000),
          exited.then(() => {
            throw new Error(`the image's signet exited before it was ready:\n${output}`);
          }),
        ]);
        // The server runs as 65532 (chroot exec'd node in place of the shell).
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        expect(status).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
        // Its / (mount point field, relative to its root) is mounted read-only; /tmp is the only writable mount.
        const mounts = (await readFile(`/proc/${child.pid}/mountinfo`, 'utf8'))
          .split('\n')
          .map((line) => line.split(' '))
          .filter((fields) => fields.length > 5);
        const rootMount = mounts.filter((fields) => fields[4] === '/').at(-1);
        expect(rootMount?.[5]?.split(',')).toContain('ro');
        const answer = await callProvider(`http://127.0.0.1:${port}/ratify/gatekeeper/v1/verify`, [
          '127.0.0.1:1/none:v1',
        ]);
        expect(answer.status).toBe(200);
        expect(answer.body.apiVersion).toBe('externaldata.gatekeeper.sh/v1beta1');
        expect(answer.body.kind).toBe('ProviderResponse');
        const response = answer.body.response!;
        const items = response.items ?? [];
        const answered =
          items.some((item) => item.key === '127.0.0.1:1/none:v1') ||
          typeof response.systemError === 'string';
        expect(answered).toBe(true);
        expect(output).not.toMatch(/EROFS|read-only file system/i);
      } catch (error) {
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}\nsignet output:\n${output}`,
        );
      } finally {
        if (child.exitCode === null) child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
    },
    180_000,
  );

  describe('pushed to a registry', () => {
    let registry: TestRegistry;
    beforeAll(async () => {
      registry = await startRegistry();
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it('carries its SBOM as a referrer that lists node, express and libc6', async () => {
      const ref = `${registry.host}/signet:${first.tag}`;
      await pushImage(first.layout, first.tag, ref, { plainHttp: true, oras: toolPath('oras') });

      const head = await registryRequest(registry, `/v2/signet/manifests/${first.tag}`, {
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(head.status).toBe(200);
      expect(head.headers.get('docker-content-digest')).toBe(first.manifestDigest);
      // Every blob arrived intact (crane checks the layer digests and diff_ids).
      await runTool('crane', ['validate', '--insecure', '--remote', ref], { timeoutMs: 120_000 });

      const discovered = JSON.parse(
        (await runTool('oras', ['discover', '--plain-http', '--format', 'json', ref])).stdout,
      ) as { referrers?: Descriptor[]; manifests?: Descriptor[] };
      const referrers = discovered.referrers ?? discovered.manifests ?? [];
      expect(referrers.map((r) => [r.artifactType, r.digest])).toContainEqual([
        'application/vnd.cyclonedx+json',
        first.sbomManifestDigest,
      ]);

      const api = await registryRequest(registry, `/v2/signet/referrers/${first.manifestDigest}`);
      expect(api.status).toBe(200);
      const listed = JSON.parse(api.body.toString('utf8')) as { manifests: Descriptor[] };
      expect(listed.manifests.map((m) => m.artifactType)).toContain('application/vnd.cyclonedx+json');

      const sbomManifest = JSON.parse(
        (
          await registryRequest(registry, `/v2/signet/manifests/${first.sbomManifestDigest}`, {
            headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
          })
        ).body.toString('utf8'),
      ) as Manifest;
      expect(sbomManifest.subject?.digest).toBe(first.manifestDigest);
      const sbomBlob = await registryRequest(registry, `/v2/signet/blobs/${sbomManifest.layers[0]!.digest}`);
      expect(sbomBlob.status).toBe(200);
      const bom = JSON.parse(sbomBlob.body.toString('utf8')) as Bom;
      expect(bom.bomFormat).toBe('CycloneDX');
      expect(bom.specVersion).toBe('1.6');
      expect(bom.metadata.component.type).toBe('container');
      expect(bom.metadata.component.purl).toContain(encodeURIComponent(first.manifestDigest));
      const byName = new Map(bom.components.map((c) => [c.group ? `${c.group}/${c.name}` : c.name, c]));
      expect(byName.get('node')).toMatchObject({
        version: first.node,
        purl: `pkg:generic/node@${first.node}`,
      });
      expect(byName.get('express')?.purl).toMatch(/^pkg:npm\/express@\d+\.\d+\.\d+$/);
      expect(byName.get('libc6')?.purl).toMatch(/^pkg:deb\/debian\/libc6@[^?]+\?arch=amd64$/);
      for (const pkg of first.debian) expect(byName.get(pkg.name)?.version).toBe(pkg.version);
      // Every npm package the image ships is listed (the production tree, nothing from devDependencies).
      const npm = bom.components.filter((c) => c.purl?.startsWith('pkg:npm/'));
      expect(npm).toHaveLength(first.npmPackages);
      expect(byName.has('jest')).toBe(false);
      expect(byName.has('typescript')).toBe(false);
    });

    it('is signed with notation and cosign and verified by signet; an unsigned copy is denied', async () => {
      const signDir = join(work, 'sign');
      const ref = `${registry.host}/signet:${first.tag}`;
      const digestRef = `${registry.host}/signet@${first.manifestDigest}`;
      // Pushed by the test above; pushed again so this test stands alone (the same content: a no-op in olareg).
      await pushImage(first.layout, first.tag, ref, { plainHttp: true, oras: toolPath('oras') });
      const [notation, cosignKeys] = await Promise.all([
        createNotationSigner(join(signDir, 'notation'), 'signet-image'),
        createCosignKeyPair(join(signDir, 'cosign'), 'cosign-generated'),
      ]);
      await notation.sign(digestRef);
      await cosignSign(registry, cosignKeys, digestRef, join(signDir, 'cosign'));

      // The same layout under another repository, without signatures.
      const unsignedRef = `${registry.host}/signet-unsigned:${first.tag}`;
      await pushImage(first.layout, first.tag, unsignedRef, { plainHttp: true, oras: toolPath('oras') });

      // signet trusts both: notation's test certificate and the cosign public key; both Verifiers must pass.
      const configPath = join(signDir, 'config.yaml');
      await writeFile(
        configPath,
        notationAndCosignConfig(notation.certificatePath, cosignKeys.publicKeyPath),
      );
      const provider = await startProvider([
        '--insecure-http',
        '--config',
        configPath,
        '--log-level',
        'warn',
      ]);
      try {
        await expectBothVerifiersAnswer(provider, [ref, digestRef], unsignedRef);
      } finally {
        await provider.stop();
      }
    }, 180_000);
  });
});
