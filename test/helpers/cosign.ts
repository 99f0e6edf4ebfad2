// Key pairs, signatures and verdicts made by the real cosign v2 CLI (legacy `.sig` tags), offline: no Rekor
// upload, no TUF. Also raw manifest/blob writes, so tests can tamper with what cosign pushed.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestRegistry } from './registry.js';
import { runTool } from './tools.js';

export type CosignKeyKind =
  | 'cosign-generated'
  | 'rsa-2048'
  | 'rsa-3072'
  | 'rsa-4096'
  | 'ed25519'
  | 'ecdsa-p256'
  | 'ecdsa-p384'
  | 'ecdsa-p521';

/** `cosign` is v2 (legacy `.sig` tags); `cosign3` is v3 (Sigstore bundles as OCI referrers). */
export type CosignTool = 'cosign' | 'cosign3';

export interface CosignRunOptions {
  /** Default `cosign` (v2). */
  readonly tool?: CosignTool;
  /** More flags, placed before the image reference. */
  readonly extraArgs?: readonly string[];
  /** COSIGN_EXPERIMENTAL=1, which cosign v2's OCI 1.1 referrers mode needs. */
  readonly experimental?: boolean;
}

export interface CosignSignOptions extends CosignRunOptions {
  /** `--payload`: sign this simple-signing payload file instead of the one cosign generates. */
  readonly payloadPath?: string;
}

export interface CosignKeyPair {
  readonly kind: CosignKeyKind;
  /** `cosign.key`: the encrypted private key (empty password). */
  readonly privateKeyPath: string;
  /** `cosign.pub`: the PEM public key signet and `cosign verify` are given. */
  readonly publicKeyPath: string;
}

/** An empty password, and a TUF cache inside the test directory so cosign never reaches the public good instance. */
function cosignEnv(registry: TestRegistry | undefined, dir: string, experimental = false): NodeJS.ProcessEnv {
  return {
    COSIGN_PASSWORD: '',
    TUF_ROOT: join(dir, 'tuf'),
    ...(registry === undefined ? {} : { DOCKER_CONFIG: registry.dockerConfigDir }),
    ...(experimental ? { COSIGN_EXPERIMENTAL: '1' } : {}),
  };
}

const OPENSSL_KEY_ARGS: Readonly<Record<Exclude<CosignKeyKind, 'cosign-generated'>, readonly string[]>> = {
  'rsa-2048': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'rsa-3072': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
  'rsa-4096': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:4096'],
  ed25519: ['-algorithm', 'ED25519'],
  'ecdsa-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ecdsa-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'ecdsa-p521': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
};

/** A key pair in `dir`: `cosign generate-key-pair`, or an openssl key brought in with `cosign import-key-pair`. */
export async function createCosignKeyPair(dir: string, kind: CosignKeyKind): Promise<CosignKeyPair> {
  await mkdir(dir, { recursive: true });
  const env = cosignEnv(undefined, dir);
  if (kind === 'cosign-generated') {
    await runTool('cosign', ['generate-key-pair'], { cwd: dir, env });
  } else {
    const pem = join(dir, 'openssl.pem');
    await new Promise<void>((resolve, reject) => {
      execFile('openssl', ['genpkey', ...OPENSSL_KEY_ARGS[kind], '-out', pem], (error, _stdout, stderr) =>
        error ? reject(new Error(`openssl genpkey failed: ${stderr}`)) : resolve(),
      );
    });
    await runTool('cosign', ['import-key-pair', '--key', pem, '--output-key-prefix', 'cosign', '--yes'], {
      cwd: dir,
      env,
    });
  }
  return { kind, privateKeyPath: join(dir, 'cosign.key'), publicKeyPath: join(dir, 'cosign.pub') };
}

/**
 * `cosign sign` offline (no transparency log upload). cosign v2 leaves its `sha256-<hex>.sig` tag in the
 * repository; cosign v3 attaches a Sigstore bundle as an OCI referrer (pass its offline flags in `extraArgs`).
 */
export async function cosignSign(
  registry: TestRegistry,
  keys: CosignKeyPair,
  digestReference: string,
  dir: string,
  options: CosignSignOptions = {},
): Promise<void> {
  await runTool(
    options.tool ?? 'cosign',
    [
      'sign',
      '--key',
      keys.privateKeyPath,
      '--tlog-upload=false',
      '--allow-insecure-registry',
      '--allow-http-registry',
      '--yes',
      ...(options.payloadPath === undefined ? [] : ['--payload', options.payloadPath]),
      ...(options.extraArgs ?? []),
      digestReference,
    ],
    { env: cosignEnv(registry, dir, options.experimental) },
  );
}

/** What cosign prints when it judges an image unsigned or badly signed (a verdict, not a tool failure). */
const COSIGN_DENIAL =
  /no matching signatures|no signatures found|no matching attestations|none of the attestations matched/;

/** cosign's own verdict, offline: `cosign verify --key … --insecure-ignore-tlog`. True when cosign accepts. */
export async function cosignVerifies(
  registry: TestRegistry,
  publicKeyPath: string,
  reference: string,
  dir: string,
  options: CosignRunOptions & { readonly command?: 'verify' | 'verify-attestation' } = {},
): Promise<boolean> {
  try {
    await runTool(
      options.tool ?? 'cosign',
      [
        options.command ?? 'verify',
        '--key',
        publicKeyPath,
        '--insecure-ignore-tlog',
        '--allow-insecure-registry',
        '--allow-http-registry',
        ...(options.extraArgs ?? []),
        reference,
      ],
      { env: cosignEnv(registry, dir, options.experimental) },
    );
    return true;
  } catch (error) {
    if (error instanceof Error && COSIGN_DENIAL.test(error.message)) return false;
    throw error;
  }
}

/** `sha256-<hex>.sig`: cosign's signature tag for a subject digest. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function expectStatus(response: Response, expected: number, what: string): Promise<Response> {
  if (response.status !== expected)
    throw new Error(`${what} answered ${response.status}: ${await response.text()}`);
  return response;
}

/** Reads a manifest (anonymous registries only) as parsed JSON. */
export async function getManifestJson(
  registry: TestRegistry,
  repo: string,
  reference: string,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${registry.url}/v2/${repo}/manifests/${reference}`, {
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  await expectStatus(response, 200, `GET manifest ${repo}:${reference}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Uploads a blob (monolithic POST + PUT) and returns its digest. */
export async function putBlob(registry: TestRegistry, repo: string, bytes: Uint8Array): Promise<string> {
  const digest = sha256(bytes);
  const started = await expectStatus(
    await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' }),
    202,
    `POST blob upload to ${repo}`,
  );
  const location = new URL(started.headers.get('location') ?? '', registry.url);
  location.searchParams.set('digest', digest);
  await expectStatus(
    await fetch(location, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
    }),
    201,
    `PUT blob ${digest}`,
  );
  return digest;
}

/** Pushes a manifest under a tag (replacing what the tag named). */
export async function putManifestJson(
  registry: TestRegistry,
  repo: string,
  tag: string,
  manifest: unknown,
): Promise<void> {
  const response = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    body: JSON.stringify(manifest),
  });
  await expectStatus(response, 201, `PUT manifest ${repo}:${tag}`);
}

/** cosign v3's flags for signing offline with a key: no TUF signing config (and, via cosignSign, no Rekor upload). */
export const COSIGN3_OFFLINE_SIGN_ARGS: readonly string[] = ['--use-signing-config=false'];

/** Pushes a manifest by its digest (as referrers are pushed) and returns the digest. */
export async function putManifestByDigest(
  registry: TestRegistry,
  repo: string,
  manifest: unknown,
): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = sha256(bytes);
  const response = await fetch(`${registry.url}/v2/${repo}/manifests/${digest}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    body: bytes,
  });
  await expectStatus(response, 201, `PUT manifest ${repo}@${digest}`);
  return digest;
}

/** Deletes a manifest by digest (olareg runs with --api-delete). */
export async function deleteManifest(registry: TestRegistry, repo: string, digest: string): Promise<void> {
  const response = await fetch(`${registry.url}/v2/${repo}/manifests/${digest}`, { method: 'DELETE' });
  await expectStatus(response, 202, `DELETE manifest ${repo}@${digest}`);
}

/** The referrers of a subject (the registry's referrers API), optionally of one artifact type. */
export async function listReferrers(
  registry: TestRegistry,
  repo: string,
  subjectDigest: string,
  artifactType?: string,
): Promise<Array<{ digest: string; artifactType?: string }>> {
  const filter = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`;
  const response = await fetch(`${registry.url}/v2/${repo}/referrers/${subjectDigest}${filter}`);
  await expectStatus(response, 200, `GET referrers of ${repo}@${subjectDigest}`);
  const index = (await response.json()) as { manifests?: Array<{ digest: string; artifactType?: string }> };
  return index.manifests ?? [];
}

/** Reads a blob (anonymous registries only). */
export async function getBlob(registry: TestRegistry, repo: string, digest: string): Promise<Buffer> {
  const response = await fetch(`${registry.url}/v2/${repo}/blobs/${digest}`);
  await expectStatus(response, 200, `GET blob ${repo}@${digest}`);
  return Buffer.from(await response.arrayBuffer());
}

export interface CosignAttestOptions extends CosignRunOptions {
  /** cosign's `--type`: a short name (slsaprovenance, spdx, cyclonedx, vuln, custom, …) or a predicate type URI. */
  readonly type: string;
  /** The predicate JSON file. */
  readonly predicatePath: string;
}

/** `cosign attest` offline: v2 appends a DSSE layer to the `.att` tag; v3 attaches a bundle referrer. */
export async function cosignAttest(
  registry: TestRegistry,
  keys: CosignKeyPair,
  digestReference: string,
  dir: string,
  options: CosignAttestOptions,
): Promise<void> {
  await runTool(
    options.tool ?? 'cosign',
    [
      'attest',
      '--key',
      keys.privateKeyPath,
      '--type',
      options.type,
      '--predicate',
      options.predicatePath,
      '--tlog-upload=false',
      '--allow-insecure-registry',
      '--allow-http-registry',
      '--yes',
      ...(options.extraArgs ?? []),
      digestReference,
    ],
    { env: cosignEnv(registry, dir, options.experimental) },
  );
}

/** cosign's verdict on attestations, offline: `cosign verify-attestation --key … --type … --insecure-ignore-tlog`. */
export async function cosignVerifiesAttestation(
  registry: TestRegistry,
  publicKeyPath: string,
  reference: string,
  dir: string,
  options: CosignRunOptions & { readonly type: string },
): Promise<boolean> {
  return cosignVerifies(registry, publicKeyPath, reference, dir, {
    ...options,
    extraArgs: ['--type', options.type, ...(options.extraArgs ?? [])],
    command: 'verify-attestation',
  });
}
