// Fast image fixtures for the benchmark: small OCI images pushed over the registry HTTP API (hundreds per second,
// where a crane process per image takes ~100 ms), and notation signatures copied byte for byte from a registry
// with the referrers API to one without it (the OCI tag schema: an index tagged `sha256-<hex>`).
import { constants, createHash, createPrivateKey, randomBytes, sign as cryptoSign } from 'node:crypto';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const TIMEOUT_MS = 10_000;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function expectStatus(response: Response, ok: readonly number[], what: string): Promise<void> {
  if (!ok.includes(response.status)) {
    throw new Error(`${what}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
  }
}

/** Monolithic blob upload (POST, then PUT with the digest); skipped when the registry already has the blob. */
export async function pushBlob(baseUrl: string, repo: string, bytes: Buffer): Promise<Descriptor> {
  const digest = sha256(bytes);
  const head = await fetch(`${baseUrl}/v2/${repo}/blobs/${digest}`, {
    method: 'HEAD',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (head.status !== 200) {
    const start = await fetch(`${baseUrl}/v2/${repo}/blobs/uploads/`, {
      method: 'POST',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await expectStatus(start, [202], `start upload to ${repo}`);
    await start.arrayBuffer();
    const location = new URL(start.headers.get('location') ?? '', baseUrl);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await expectStatus(put, [201], `upload ${digest} to ${repo}`);
    await put.arrayBuffer();
  }
  return { mediaType: 'application/octet-stream', digest, size: bytes.length };
}

export async function putManifest(
  baseUrl: string,
  repo: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
): Promise<string> {
  const response = await fetch(`${baseUrl}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: bytes,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await expectStatus(response, [201], `put manifest ${repo}:${reference}`);
  await response.arrayBuffer();
  return sha256(bytes);
}

export interface BenchImage {
  readonly repo: string;
  readonly tag: string;
  readonly digest: string;
  readonly manifest: Buffer;
  readonly blobs: readonly Buffer[];
}

/** A one-layer OCI image with `layerBytes` random bytes (its own digest every time); nothing is pushed yet. */
export function makeImage(repo: string, tag: string, layerBytes = 1024): BenchImage {
  const layer = randomBytes(layerBytes);
  const layerDigest = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length },
      ],
    }),
  );
  return { repo, tag, digest: sha256(manifest), manifest, blobs: [config, layer] };
}

/** Pushes the image's blobs and its manifest under its tag. */
export async function pushImage(baseUrl: string, image: BenchImage): Promise<void> {
  for (const blob of image.blobs) await pushBlob(baseUrl, image.repo, blob);
  const digest = await putManifest(baseUrl, image.repo, image.tag, OCI_MANIFEST, image.manifest);
  if (digest !== image.digest) throw new Error(`${image.repo}:${image.tag} stored as ${digest}`);
}

async function getBytes(url: string, accept?: string): Promise<Buffer> {
  const response = await fetch(url, {
    headers: accept === undefined ? {} : { accept },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await expectStatus(response, [200], `GET ${url}`);
  return Buffer.from(await response.arrayBuffer());
}

/**
 * Copies every referrer of `digest` in `repo` (read with the referrers API of `fromUrl`) to `toUrl`, with its blobs,
 * and writes the tag-schema referrers index there. Returns how many referrers were copied.
 */
export async function copyReferrersToTagSchema(
  fromUrl: string,
  toUrl: string,
  repo: string,
  digest: string,
): Promise<number> {
  const index = JSON.parse(
    (await getBytes(`${fromUrl}/v2/${repo}/referrers/${digest}`, OCI_INDEX)).toString('utf8'),
  ) as { manifests?: Descriptor[] };
  const referrers = index.manifests ?? [];
  for (const descriptor of referrers) {
    const bytes = await getBytes(
      `${fromUrl}/v2/${repo}/manifests/${descriptor.digest}`,
      descriptor.mediaType,
    );
    const manifest = JSON.parse(bytes.toString('utf8')) as { config?: Descriptor; layers?: Descriptor[] };
    for (const blob of [
      ...(manifest.config === undefined ? [] : [manifest.config]),
      ...(manifest.layers ?? []),
    ]) {
      await pushBlob(toUrl, repo, await getBytes(`${fromUrl}/v2/${repo}/blobs/${blob.digest}`));
    }
    await putManifest(toUrl, repo, descriptor.digest, descriptor.mediaType, bytes);
  }
  const tagIndex = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: referrers }),
  );
  await putManifest(toUrl, repo, digest.replace(':', '-'), OCI_INDEX, tagIndex);
  return referrers.length;
}

/** Runs `task` over `items`, `parallel` at a time, in order of start. */
export async function forEachLimited<T>(
  items: readonly T[],
  parallel: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
}

/** The signature manifest and envelope notation wrote for one image, read back from a registry with the referrers API. */
export interface NotationTemplate {
  readonly manifest: Buffer;
  readonly envelope: Buffer;
}

export async function readNotationTemplate(
  baseUrl: string,
  repo: string,
  digest: string,
): Promise<NotationTemplate> {
  const index = JSON.parse(
    (await getBytes(`${baseUrl}/v2/${repo}/referrers/${digest}`, OCI_INDEX)).toString('utf8'),
  ) as { manifests?: Descriptor[] };
  const [signature] = index.manifests ?? [];
  if (signature === undefined) throw new Error(`${repo}@${digest} has no signature to copy the form of`);
  const manifest = await getBytes(`${baseUrl}/v2/${repo}/manifests/${signature.digest}`, signature.mediaType);
  const layer = (JSON.parse(manifest.toString('utf8')) as { layers?: Descriptor[] }).layers?.[0];
  if (layer === undefined) throw new Error(`signature ${signature.digest} has no envelope layer`);
  return { manifest, envelope: await getBytes(`${baseUrl}/v2/${repo}/blobs/${layer.digest}`) };
}

const JWS_SIGNERS: Readonly<Record<string, { hash: string; pss: boolean }>> = {
  PS256: { hash: 'sha256', pss: true },
  PS384: { hash: 'sha384', pss: true },
  PS512: { hash: 'sha512', pss: true },
  ES256: { hash: 'sha256', pss: false },
  ES384: { hash: 'sha384', pss: false },
  ES512: { hash: 'sha512', pss: false },
};

/**
 * Signs images in-process in exactly the form notation gave `template` (same protected header, certificate chain
 * and manifest shape; a fresh signing time and a payload naming each image), with the key notation signed it with,
 * and pushes each signature over the registry API. Thousands of images are signed in seconds where the notation
 * CLI takes ~0.2 s per image, and every signature still names its own image: verifying one is as much work as
 * verifying one notation made.
 */
export function createTemplateSigner(
  template: NotationTemplate,
  privateKeyPem: string,
): (baseUrl: string, image: BenchImage) => Promise<void> {
  const key = createPrivateKey(privateKeyPem);
  const envelope = JSON.parse(template.envelope.toString('utf8')) as {
    protected: string;
    payload: string;
    header: unknown;
  };
  const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  const payload = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString('utf8')) as {
    targetArtifact: Record<string, unknown>;
  };
  const algorithm = JWS_SIGNERS[String(header.alg)];
  if (algorithm === undefined)
    throw new Error(`notation signed with ${String(header.alg)}, not supported here`);
  const manifestTemplate = JSON.parse(template.manifest.toString('utf8')) as {
    layers: Descriptor[];
    subject: Descriptor;
    annotations?: Record<string, string>;
  };
  const [layerTemplate] = manifestTemplate.layers;
  if (layerTemplate === undefined) throw new Error('the template signature has no layer');
  return async (baseUrl, image) => {
    const signingTime = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const protectedHeader = Buffer.from(
      JSON.stringify({ ...header, 'io.cncf.notary.signingTime': signingTime }),
    ).toString('base64url');
    const body = Buffer.from(
      JSON.stringify({
        ...payload,
        targetArtifact: {
          ...payload.targetArtifact,
          mediaType: OCI_MANIFEST,
          digest: image.digest,
          size: image.manifest.length,
        },
      }),
    ).toString('base64url');
    const signingInput = Buffer.from(`${protectedHeader}.${body}`);
    const signature = cryptoSign(
      algorithm.hash,
      signingInput,
      algorithm.pss
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : { key, dsaEncoding: 'ieee-p1363' },
    );
    const envelopeBytes = Buffer.from(
      JSON.stringify({
        payload: body,
        protected: protectedHeader,
        header: envelope.header,
        signature: signature.toString('base64url'),
      }),
    );
    const layer = await pushBlob(baseUrl, image.repo, envelopeBytes);
    await pushBlob(baseUrl, image.repo, Buffer.from('{}'));
    const manifest = Buffer.from(
      JSON.stringify({
        ...manifestTemplate,
        layers: [{ ...layerTemplate, digest: layer.digest, size: layer.size }],
        subject: { mediaType: OCI_MANIFEST, digest: image.digest, size: image.manifest.length },
        ...(manifestTemplate.annotations === undefined
          ? {}
          : {
              annotations: {
                ...manifestTemplate.annotations,
                'org.opencontainers.image.created': signingTime,
              },
            }),
      }),
    );
    await putManifest(baseUrl, image.repo, sha256(manifest), OCI_MANIFEST, manifest);
  };
}
