// Key pairs, signatures and verdicts made by the real cosign v2 CLI (legacy `.sig` tags), offline: no Rekor
// upload, no TUF. Also raw manifest/blob writes, so tests can tamper with what cosign pushed.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestRegistry } from './registry.js';
import { runTool } from './tools.js';

export type CosignKeyKind = 'cosign-generated' | 'rsa-3072' | 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384';

export interface CosignKeyPair {
  readonly kind: CosignKeyKind;
  /** `cosign.key`: the encrypted private key (empty password). */
  readonly privateKeyPath: string;
  /** `cosign.pub`: the PEM public key signet and `cosign verify` are given. */
  readonly publicKeyPath: string;
}

/** An empty password, and a TUF cache inside the test directory so cosign never reaches the public good instance. */
function cosignEnv(registry: TestRegistry | undefined, dir: string): NodeJS.ProcessEnv {
  return {
    COSIGN_PASSWORD: '',
    TUF_ROOT: join(dir, 'tuf'),
    ...(registry === undefined ? {} : { DOCKER_CONFIG: registry.dockerConfigDir }),
  };
}

const OPENSSL_KEY_ARGS: Readonly<Record<Exclude<CosignKeyKind, 'cosign-generated'>, readonly string[]>> = {
  'rsa-3072': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
  ed25519: ['-algorithm', 'ED25519'],
  'ecdsa-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ecdsa-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
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

/** `cosign sign` offline (no transparency log upload), leaving cosign's `sha256-<hex>.sig` tag in the repository. */
export async function cosignSign(
  registry: TestRegistry,
  keys: CosignKeyPair,
  digestReference: string,
  dir: string,
): Promise<void> {
  await runTool(
    'cosign',
    [
      'sign',
      '--key',
      keys.privateKeyPath,
      '--tlog-upload=false',
      '--allow-insecure-registry',
      '--allow-http-registry',
      '--yes',
      digestReference,
    ],
    { env: cosignEnv(registry, dir) },
  );
}

/** cosign's own verdict, offline: `cosign verify --key … --insecure-ignore-tlog`. True when cosign accepts. */
export async function cosignVerifies(
  registry: TestRegistry,
  publicKeyPath: string,
  reference: string,
  dir: string,
): Promise<boolean> {
  try {
    await runTool(
      'cosign',
      [
        'verify',
        '--key',
        publicKeyPath,
        '--insecure-ignore-tlog',
        '--allow-insecure-registry',
        '--allow-http-registry',
        reference,
      ],
      { env: cosignEnv(registry, dir) },
    );
    return true;
  } catch (error) {
    if (error instanceof Error && /no matching signatures|no signatures found/.test(error.message))
      return false;
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
