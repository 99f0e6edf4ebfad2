// Builds and pushes small test images and artifacts to a TestRegistry with the real crane and oras CLIs (no Docker).
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestRegistry } from './registry.js';
import { runTool } from './tools.js';

export interface PushedManifest {
  /** host/repo:tag */
  reference: string;
  /** host/repo@sha256:… */
  digestReference: string;
  digest: string;
  size: number;
  mediaType: string;
}

export interface PushImageOptions {
  /** Bytes of random content in the single layer (default 1024), so every pushed image has its own digest. */
  layerBytes?: number;
  /** OCI media types (default true); false pushes Docker v2 schema 2 media types. */
  oci?: boolean;
}

export interface PushIndexOptions extends PushImageOptions {
  /** Default ['linux/amd64', 'linux/arm64']. */
  platforms?: string[];
}

export interface PushedIndex extends PushedManifest {
  manifests: Array<PushedManifest & { platform: string }>;
}

export interface AttachedArtifact {
  digest: string;
  /** host/repo@sha256:… of the artifact manifest */
  digestReference: string;
  mediaType: string;
  size: number;
}

async function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'signet-image-'));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function crane(registry: TestRegistry, args: string[]) {
  return runTool('crane', [...args, '--insecure'], { env: { DOCKER_CONFIG: registry.dockerConfigDir } });
}

function orasTarget(registry: TestRegistry, prefix: '' | 'to-'): string[] {
  const args = [`--${prefix}plain-http`, `--${prefix}registry-config`, registry.dockerConfigPath];
  // olareg without its referrers API answers the referrers ping with 405, which oras treats as an error rather
  // than "unsupported": name the tag schema explicitly.
  if (!registry.referrersApi) args.push(`--${prefix}distribution-spec`, 'v1.1-referrers-tag');
  return args;
}

function oras(args: string[], cwd?: string) {
  return runTool('oras', [...args, '--no-tty'], cwd === undefined ? {} : { cwd });
}

/** One-file ustar archive: the layer content crane appends. */
function toTar(fileName: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) =>
    header.write(value, offset, length, 'ascii');
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0');
  field(0, 100, fileName);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(content.length, 12));
  field(136, 12, octal(0, 12));
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 8, 'ustar\u000000');
  let checksum = 0;
  for (const byte of header) checksum += byte;
  field(148, 8, `${octal(checksum, 7)}\u0000`);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/** Reads a pushed manifest back and checks its digest, so the result describes the registry's exact bytes. */
async function describeManifest(
  registry: TestRegistry,
  repo: string,
  tag: string,
  digest: string,
): Promise<PushedManifest> {
  const digestReference = `${registry.host}/${repo}@${digest}`;
  const { stdout } = await crane(registry, ['manifest', digestReference]);
  const bytes = Buffer.from(stdout, 'utf8');
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== digest) throw new Error(`manifest ${digestReference} read back with digest ${actual}`);
  const { mediaType } = JSON.parse(stdout) as { mediaType?: string };
  if (!mediaType) throw new Error(`manifest ${digestReference} has no mediaType`);
  return {
    reference: `${registry.host}/${repo}:${tag}`,
    digestReference,
    digest,
    size: bytes.length,
    mediaType,
  };
}

function digestOf(craneOutput: string): string {
  const match = /@(sha256:[0-9a-f]{64})\s*$/.exec(craneOutput.trim());
  if (!match?.[1]) throw new Error(`crane printed no digest reference: ${craneOutput}`);
  return match[1];
}

/** Pushes a one-layer image of random content to host/repo:tag. */
export async function pushImage(
  registry: TestRegistry,
  repo: string,
  tag: string,
  options: PushImageOptions = {},
): Promise<PushedManifest> {
  const reference = `${registry.host}/${repo}:${tag}`;
  return withTempDir(async (dir) => {
    const layer = join(dir, 'layer.tar');
    await writeFile(layer, toTar('payload.bin', randomBytes(options.layerBytes ?? 1024)));
    const args = ['append', '-f', layer, '-t', reference];
    if (options.oci ?? true) args.push('--oci-empty-base');
    const { stdout } = await crane(registry, args);
    return describeManifest(registry, repo, tag, digestOf(stdout));
  });
}

/** Pushes one image per platform (tagged `<tag>-<os>-<arch>`) and an index over them at host/repo:tag. */
export async function pushIndex(
  registry: TestRegistry,
  repo: string,
  tag: string,
  options: PushIndexOptions = {},
): Promise<PushedIndex> {
  const platforms = options.platforms ?? ['linux/amd64', 'linux/arm64'];
  const manifests: PushedIndex['manifests'] = [];
  for (const platform of platforms) {
    const childTag = `${tag}-${platform.replaceAll('/', '-')}`;
    const child = await pushImage(registry, repo, childTag, options);
    const { stdout } = await crane(registry, [
      'mutate',
      child.reference,
      '--set-platform',
      platform,
      '-t',
      child.reference,
    ]);
    manifests.push({ ...(await describeManifest(registry, repo, childTag, digestOf(stdout))), platform });
  }
  const args = ['index', 'append', '-t', `${registry.host}/${repo}:${tag}`];
  for (const child of manifests) args.push('-m', child.digestReference);
  if (!(options.oci ?? true)) args.push('--docker-empty-base');
  const { stdout } = await crane(registry, args);
  return { ...(await describeManifest(registry, repo, tag, digestOf(stdout))), manifests };
}

/** Tags an existing manifest (any reference) with another tag in the same repository. */
export async function tagImage(registry: TestRegistry, reference: string, newTag: string): Promise<void> {
  await crane(registry, ['tag', reference, newTag]);
}

/** Deletes a tag (the manifest stays reachable by digest). */
export async function deleteTag(registry: TestRegistry, repo: string, tag: string): Promise<void> {
  await crane(registry, ['delete', `${registry.host}/${repo}:${tag}`]);
}

/**
 * Attaches an artifact to a subject with `oras attach`: through the referrers API, or on a registry started with
 * `referrersApi: false` through the `sha256-<hex>` tag schema (oras maintains the referrers index tag).
 * Attach to one subject sequentially: olareg (and oras's tag-schema update) rewrite the subject's referrers list
 * without a lock, so concurrent attaches can lose entries.
 */
export async function attachArtifact(
  registry: TestRegistry,
  subjectReference: string,
  artifactType: string,
  fileContent: string | Buffer,
  mediaType: string,
): Promise<AttachedArtifact> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'artifact'), fileContent);
    const args = ['attach', ...orasTarget(registry, ''), '--artifact-type', artifactType, '--format', 'json'];
    const { stdout } = await oras([...args, subjectReference, `artifact:${mediaType}`], dir);
    const pushed = JSON.parse(stdout) as {
      digest?: string;
      reference?: string;
      mediaType?: string;
      size?: number;
    };
    if (!pushed.digest || !pushed.reference || !pushed.mediaType || pushed.size === undefined) {
      throw new Error(`oras attach printed an unexpected descriptor: ${stdout}`);
    }
    return {
      digest: pushed.digest,
      digestReference: pushed.reference,
      mediaType: pushed.mediaType,
      size: pushed.size,
    };
  });
}

/**
 * Pushes the manifest tagged `tag` in an OCI image layout directory, with its referrers (e.g. notation signatures),
 * to host/repo:tag (`oras cp -r`). The layout is copied first: oras opens layouts writable.
 */
export async function pushOciLayout(
  registry: TestRegistry,
  layoutDir: string,
  repo: string,
  tag: string,
): Promise<PushedManifest> {
  return withTempDir(async (dir) => {
    const layout = join(dir, 'layout');
    await cp(layoutDir, layout, { recursive: true });
    const target = `${registry.host}/${repo}:${tag}`;
    // One manifest at a time: olareg updates a subject's referrers list read-modify-write without a lock, so
    // signatures pushed concurrently for one subject can drop each other from the list.
    const args = ['cp', '-r', '--concurrency', '1', '--from-oci-layout', ...orasTarget(registry, 'to-')];
    await oras([...args, `${layout}:${tag}`, target]);
    const { stdout } = await crane(registry, ['digest', target]);
    return describeManifest(registry, repo, tag, stdout.trim());
  });
}

/** A fresh image in `repository` whose only signature is the notation JWS `envelope` makes for it (a hand-made one). */
export async function pushWithJwsSignature(
  registry: TestRegistry,
  repository: string,
  envelope: (image: PushedManifest) => Promise<string>,
): Promise<PushedManifest> {
  const image = await pushImage(registry, repository, 'v1');
  await attachArtifact(
    registry,
    image.digestReference,
    'application/vnd.cncf.notary.signature',
    await envelope(image),
    'application/jose+json',
  );
  return image;
}
