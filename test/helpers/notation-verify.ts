// The real `notation verify` as a differential oracle: its trust policy and trust store written under an
// XDG_CONFIG_HOME of the test's choosing, the envelopes it reads fetched back with oras, and hand-made JWS
// envelopes for certificates notation refuses to sign with.
import { X509Certificate, createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PushedManifest } from './images.js';
import type { CertificateChain, IssuedCertificate } from './openssl-ca.js';
import type { TestRegistry } from './registry.js';
import { runTool } from './tools.js';

export interface TrustPolicyStatement {
  readonly name: string;
  readonly registryScopes: readonly string[];
  readonly signatureVerification: { readonly level: string; readonly verifyTimestamp?: string };
  /** Absent at level skip, where notation rejects them. */
  readonly trustStores?: readonly string[];
  readonly trustedIdentities?: readonly string[];
}

/**
 * Writes `trustpolicy.json` and the trust stores notation reads under `configHome`: `stores` maps a trust
 * policy's store name (`ca:certs`, `tsa:stamps`) to PEM certificates.
 */
export async function writeNotationTrust(
  configHome: string,
  stores: Readonly<Record<string, string>>,
  trustPolicies: readonly TrustPolicyStatement[],
): Promise<void> {
  const notationDir = join(configHome, 'notation');
  for (const [typed, pem] of Object.entries(stores)) {
    const [type, store] = typed.split(':');
    if (type === undefined || store === undefined)
      throw new Error(`trust store ${typed} is not <type>:<name>`);
    const storeDir = join(notationDir, 'truststore', 'x509', type, store);
    await mkdir(storeDir, { recursive: true });
    await writeFile(join(storeDir, `${store}.crt`), pem);
  }
  await writeFile(
    join(notationDir, 'trustpolicy.json'),
    JSON.stringify({ version: '1.0', trustPolicies }, null, 2),
  );
}

/** Whether `notation verify` (configured under `configHome`) accepts `digestReference`; its output on failure. */
export async function notationVerify(
  configHome: string,
  digestReference: string,
): Promise<{ readonly verified: boolean; readonly output: string }> {
  const env = { XDG_CONFIG_HOME: configHome, XDG_CACHE_HOME: join(configHome, 'cache') };
  try {
    const { stdout, stderr } = await runTool('notation', ['verify', '--insecure-registry', digestReference], {
      env,
    });
    return { verified: true, output: `${stdout}${stderr}` };
  } catch (error) {
    return { verified: false, output: error instanceof Error ? error.message : String(error) };
  }
}

function oras(registry: TestRegistry, args: readonly string[]) {
  return runTool('oras', [...args, '--plain-http', '--registry-config', registry.dockerConfigPath]);
}

/** The bytes of the only notation signature envelope attached to `subjectDigestReference` (host/repo@digest). */
export async function fetchNotationEnvelope(
  registry: TestRegistry,
  subjectDigestReference: string,
): Promise<Buffer> {
  const { stdout } = await oras(registry, [
    'discover',
    '--format',
    'json',
    '--artifact-type',
    'application/vnd.cncf.notary.signature',
    subjectDigestReference,
  ]);
  const referrers = (JSON.parse(stdout) as { referrers?: Array<{ digest?: string }> }).referrers ?? [];
  const signature = referrers[0]?.digest;
  if (referrers.length !== 1 || signature === undefined)
    throw new Error(`expected one notation signature on ${subjectDigestReference}: ${stdout}`);
  const repository = subjectDigestReference.slice(0, subjectDigestReference.indexOf('@'));
  const manifest = await oras(registry, ['manifest', 'fetch', `${repository}@${signature}`]);
  const layer = (JSON.parse(manifest.stdout) as { layers?: Array<{ digest?: string }> }).layers?.[0]?.digest;
  if (layer === undefined)
    throw new Error(`signature manifest ${signature} has no layer: ${manifest.stdout}`);
  const { stdout: envelope } = await runTool('oras', [
    'blob',
    'fetch',
    '--plain-http',
    '--registry-config',
    registry.dockerConfigPath,
    '--output',
    '-',
    `${repository}@${layer}`,
  ]);
  return Buffer.from(envelope, 'utf8');
}

export interface JwsEnvelopeOptions {
  /** Default: a minute ago. */
  readonly signingTime?: Date;
}

/**
 * A notation JWS envelope (notary.x509, ES256: the chain's keys must be EC P-256) for `subject`, signed by
 * `leaf` with node's crypto: for certificates notation refuses to sign with (it checks EKU and validity itself).
 */
export async function createJwsEnvelope(
  chain: Pick<CertificateChain, 'root' | 'intermediate'>,
  leaf: IssuedCertificate,
  subject: PushedManifest,
  options: JwsEnvelopeOptions = {},
): Promise<string> {
  const signingTime = options.signingTime ?? new Date(Date.now() - 60_000);
  const protectedHeader = {
    alg: 'ES256',
    crit: ['io.cncf.notary.signingScheme'],
    cty: 'application/vnd.cncf.notary.payload.v1+json',
    'io.cncf.notary.signingScheme': 'notary.x509',
    'io.cncf.notary.signingTime': signingTime.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  const payload = {
    targetArtifact: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode(protectedHeader)}.${encode(payload)}`;
  const key = createPrivateKey(await readFile(leaf.keyPath));
  const signature = cryptoSign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
  const certificates = await Promise.all(
    [leaf, chain.intermediate, chain.root].map(async (c) =>
      new X509Certificate(await readFile(c.certPath)).raw.toString('base64'),
    ),
  );
  return JSON.stringify({
    payload: encode(payload),
    protected: encode(protectedHeader),
    header: { x5c: certificates, 'io.cncf.notary.signingAgent': 'signet-test' },
    signature: signature.toString('base64url'),
  });
}
