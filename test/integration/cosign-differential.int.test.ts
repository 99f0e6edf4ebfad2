// Differential test: every case is judged by the real `cosign verify --key … --insecure-ignore-tlog` (offline, by its
// exit status) and by a real signet process trusting the same key; they must agree, and agree with the expected
// verdict (or differ exactly as a case's documented divergence says). Images live in a real olareg registry and are
// signed by the real cosign v2 CLI (legacy `.sig` tags) and cosign v3 CLI (Sigstore bundles attached as OCI referrers),
// both offline (--tlog-upload=false); tampered signatures are fetched back, modified here and pushed anew. Each case has
// its own repository and a trust policy scoped to it, so one signet configuration serves the whole table.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  COSIGN3_OFFLINE_SIGN_ARGS,
  cosignAttest,
  cosignSign,
  cosignVerifies,
  cosignVerifiesAttestation,
  createCosignKeyPair,
  deleteManifest,
  getBlob,
  getManifestJson,
  listReferrers,
  putBlob,
  putManifestByDigest,
  putManifestJson,
  signatureTag,
  type CosignKeyKind,
  type CosignKeyPair,
  type CosignTool,
} from '../helpers/cosign.js';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { COSIGN_STORE } from '../helpers/ratify-config.js';
import { pushImage, pushIndex, type PushedManifest } from '../helpers/images.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
const COSIGN_TYPE = 'cosign container image signature';
const ATOMIC_TYPE = 'atomic container signature';
const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const ATTESTATION_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.att.v1+json';
/** A small predicate per `cosign attest --type`, shaped as each type's documents are, and the type URI cosign writes. */
const PREDICATES: Readonly<Record<string, { readonly uri: string; readonly predicate: unknown }>> = {
  slsaprovenance: {
    uri: 'https://slsa.dev/provenance/v0.2',
    predicate: { builder: { id: 'https://ci.example/builder' }, buildType: 'https://ci.example/build/v1' },
  },
  spdx: {
    uri: 'https://spdx.dev/Document',
    predicate: { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'app', packages: [] },
  },
  cyclonedx: {
    uri: 'https://cyclonedx.org/bom',
    predicate: { bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [] },
  },
  vuln: {
    uri: 'https://cosign.sigstore.dev/attestation/vuln/v1',
    predicate: { scanner: { uri: 'https://scanner.example', version: '1.0', result: {} }, metadata: {} },
  },
  custom: { uri: 'https://cosign.sigstore.dev/attestation/v1', predicate: { approvedBy: 'release-team' } },
};

type KeyName = CosignKeyKind | 'stranger';
const VERB = { pass: 'passes', fail: 'fails' } as const;

interface DifferentialCase {
  readonly name: string;
  /** Repository path prefix; the image is `<repo>/app` and the case's trust policy is scoped to `<repo>/*`. */
  readonly repo: string;
  /** Which cosign signs and judges: v2 (`.sig` tags, the default) or v3 (bundles as referrers). */
  readonly tool?: CosignTool;
  /** The key the trust policy holds and `cosign verify --key` is given. */
  readonly trusts: KeyName;
  /** cosign's verdict, and signet's unless the case names a deliberate divergence. */
  readonly expected: 'pass' | 'fail';
  /** signet is stricter than cosign here on purpose: why, and signet's verdict. */
  readonly divergence?: { readonly why: string; readonly signet: 'pass' | 'fail' };
  /** What signet's report extensions must hold (toMatchObject). */
  readonly extensions?: Record<string, unknown>;
  /** What signet's report must say when the case fails, so both verdicts come from the intended check. */
  readonly reason?: RegExp;
  /** Judge attestations of this `--type` (`cosign verify-attestation`; signet's `attestations` rule) instead of signatures. */
  readonly attestationType?: string;
  /** Extra trust policy fields (YAML, one per line) and the matching `cosign verify` flags. */
  readonly policy?: readonly string[];
  readonly verifyArgs?: readonly string[];
  /** Run `cosign verify` with COSIGN_EXPERIMENTAL=1. */
  readonly experimental?: boolean;
  /** Pushes `<repo>/app` and signs (or tampers with) it as the case needs. */
  readonly image: (repo: string) => Promise<PushedManifest>;
}

let dir: string;
let registry: TestRegistry;
let provider: StartedProvider;
const keys = new Map<KeyName, CosignKeyPair>();

function key(name: KeyName): CosignKeyPair {
  const pair = keys.get(name);
  if (pair === undefined) throw new Error(`key ${name} was not created`);
  return pair;
}

async function signedImage(
  repo: string,
  signer: KeyName = 'cosign-generated',
  tool: CosignTool = 'cosign',
): Promise<PushedManifest> {
  const image = await pushImage(registry, repo, 'v1');
  await cosignSign(registry, key(signer), image.digestReference, dir, {
    tool,
    extraArgs: tool === 'cosign3' ? COSIGN3_OFFLINE_SIGN_ARGS : [],
  });
  return image;
}

/** `cosign attest --type <type>` with the type's predicate, by cosign v2 (`.att` tag) or v3 (bundle referrer). */
async function attestedImage(
  repo: string,
  type: string,
  signer: KeyName = 'cosign-generated',
  tool: CosignTool = 'cosign',
): Promise<PushedManifest> {
  const image = await pushImage(registry, repo, 'v1');
  const predicatePath = join(dir, `${type}.predicate.json`);
  await writeFile(predicatePath, JSON.stringify(PREDICATES[type]?.predicate));
  await cosignAttest(registry, key(signer), image.digestReference, dir, {
    tool,
    type,
    predicatePath,
    extraArgs: tool === 'cosign3' ? COSIGN3_OFFLINE_SIGN_ARGS : [],
  });
  return image;
}

type Json = Record<string, unknown>;

/** The one Sigstore bundle referrer cosign v3 attached to `image`: its manifest digest and JSON. */
async function bundleReferrer(
  repo: string,
  image: PushedManifest,
): Promise<{ digest: string; manifest: Json }> {
  const referrers = await listReferrers(registry, repo, image.digest, BUNDLE_ARTIFACT_TYPE);
  expect(referrers).toHaveLength(1);
  const digest = referrers[0]!.digest;
  return { digest, manifest: await getManifestJson(registry, repo, digest) };
}

/** Replaces `image`'s bundle referrer by one whose bundle JSON `rewrite` changed. */
async function rewriteBundle(
  repo: string,
  image: PushedManifest,
  rewrite: (bundle: Json) => void,
): Promise<void> {
  const { digest, manifest } = await bundleReferrer(repo, image);
  const layers = manifest.layers as Json[];
  expect(layers).toHaveLength(1);
  const bundle = JSON.parse(
    (await getBlob(registry, repo, String(layers[0]!.digest))).toString('utf8'),
  ) as Json;
  rewrite(bundle);
  const bytes = Buffer.from(JSON.stringify(bundle));
  layers[0] = { ...layers[0], digest: await putBlob(registry, repo, bytes), size: bytes.byteLength };
  await putManifestByDigest(registry, repo, manifest);
  await deleteManifest(registry, repo, digest);
}

function dsseEnvelope(bundle: Json): Json & { payload: string; signatures: Json[] } {
  return bundle.dsseEnvelope as Json & { payload: string; signatures: Json[] };
}

/** A simple-signing payload as cosign writes it, with the fields a case wants changed. */
async function payloadFile(name: string, digest: string, repository: string, type: string): Promise<string> {
  const path = join(dir, `${name}.payload.json`);
  const payload = {
    critical: {
      identity: { 'docker-reference': repository },
      image: { 'docker-manifest-digest': digest },
      type,
    },
    optional: null,
  };
  await writeFile(path, JSON.stringify(payload));
  return path;
}

/** Signs `payload` (not cosign's generated one) onto the image's `.sig` tag with `cosign sign --payload`. */
async function signPayload(image: PushedManifest, payloadPath: string): Promise<void> {
  await cosignSign(registry, key('cosign-generated'), image.digestReference, dir, { payloadPath });
}

type SignatureLayer = Record<string, unknown> & { annotations: Record<string, string> };

/** Rewrites the one signature layer of `image`'s `.sig` (or `.att`) manifest in place. */
async function rewriteSignatureLayer(
  repo: string,
  image: PushedManifest,
  rewrite: (layer: SignatureLayer) => Promise<void>,
  suffix: 'sig' | 'att' = 'sig',
): Promise<void> {
  const tag = signatureTag(image.digest).replace(/\.sig$/, `.${suffix}`);
  const manifest = await getManifestJson(registry, repo, tag);
  const layers = manifest.layers as SignatureLayer[];
  expect(layers).toHaveLength(1);
  await rewrite(layers[0]!);
  await putManifestJson(registry, repo, tag, manifest);
}

const CASES: readonly DifferentialCase[] = [
  {
    name: 'valid signature (ECDSA P-256, cosign generate-key-pair)',
    repo: 'valid',
    trusts: 'cosign-generated',
    expected: 'pass',
    image: (repo) => signedImage(`${repo}/app`),
  },
  {
    name: 'wrong key (signed by a key the policy does not hold)',
    repo: 'wrong-key',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason: /^no matching signatures: invalid signature/,
    image: (repo) => signedImage(`${repo}/app`, 'stranger'),
  },
  {
    name: 'tampered payload (altered after signing)',
    repo: 'tampered',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason: /^no matching signatures: invalid signature/,
    async image(repo) {
      const image = await signedImage(`${repo}/app`);
      await rewriteSignatureLayer(`${repo}/app`, image, async (layer) => {
        const response = await fetch(`${registry.url}/v2/${repo}/app/blobs/${String(layer.digest)}`);
        const payload = JSON.parse(await response.text()) as Record<string, unknown>;
        const tampered = Buffer.from(JSON.stringify({ ...payload, optional: { approved: 'yes' } }));
        layer.digest = await putBlob(registry, `${repo}/app`, tampered);
        layer.size = tampered.byteLength;
      });
      return image;
    },
  },
  {
    name: 'signature copied from another image',
    repo: 'copied',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason:
      /^no matching signatures: simple-signing payload names digest sha256:[0-9a-f]{64}, not the subject's/,
    async image(repo) {
      const signed = await signedImage(`${repo}/app`);
      const other = await pushImage(registry, `${repo}/app`, 'other');
      const manifest = await getManifestJson(registry, `${repo}/app`, signatureTag(signed.digest));
      await putManifestJson(registry, `${repo}/app`, signatureTag(other.digest), manifest);
      return other;
    },
  },
  {
    name: 'digest mismatch in payload (validly signed payload naming another digest, cosign sign --payload)',
    repo: 'mismatch',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason:
      /^no matching signatures: simple-signing payload names digest sha256:[0-9a-f]{64}, not the subject's/,
    async image(repo) {
      const other = await pushImage(registry, `${repo}/app`, 'other');
      const image = await pushImage(registry, `${repo}/app`, 'v1');
      await signPayload(
        image,
        await payloadFile(repo, other.digest, `${registry.host}/${repo}/app`, COSIGN_TYPE),
      );
      return image;
    },
  },
  {
    name: 'no signature',
    repo: 'unsigned',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason: /^image verification failed for .*: signature not found$/,
    image: (repo) => pushImage(registry, `${repo}/app`, 'v1'),
  },
  {
    name: 'corrupt base64 in the signature annotation',
    repo: 'corrupt',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason: /^no matching signatures: signature annotation is not valid base64$/,
    async image(repo) {
      const image = await signedImage(`${repo}/app`);
      await rewriteSignatureLayer(`${repo}/app`, image, (layer) => {
        layer.annotations[SIGNATURE_ANNOTATION] = `!${layer.annotations[SIGNATURE_ANNOTATION]}`;
        return Promise.resolve();
      });
      return image;
    },
  },
  {
    name: 'signature annotation removed',
    repo: 'no-annotation',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason: /^no matching signatures: layer has no dev.cosignproject.cosign\/signature annotation$/,
    async image(repo) {
      const image = await signedImage(`${repo}/app`);
      await rewriteSignatureLayer(`${repo}/app`, image, (layer) => {
        delete layer.annotations[SIGNATURE_ANNOTATION];
        return Promise.resolve();
      });
      return image;
    },
  },
  {
    name: 'stranger and trusted signatures on one image (any valid signature suffices)',
    repo: 'both',
    trusts: 'cosign-generated',
    expected: 'pass',
    async image(repo) {
      const image = await signedImage(`${repo}/app`, 'stranger');
      await cosignSign(registry, key('cosign-generated'), image.digestReference, dir);
      return image;
    },
  },
  {
    name: `payload of type "${ATOMIC_TYPE}" (containers/image, kritis)`,
    repo: 'atomic',
    trusts: 'cosign-generated',
    expected: 'pass',
    async image(repo) {
      const image = await pushImage(registry, `${repo}/app`, 'v1');
      await signPayload(
        image,
        await payloadFile(repo, image.digest, `${registry.host}/${repo}/app`, ATOMIC_TYPE),
      );
      return image;
    },
  },
  {
    name: 'payload of an unknown type',
    repo: 'unknown-type',
    trusts: 'cosign-generated',
    expected: 'pass',
    divergence: {
      why: 'cosign v2 does not check critical.type; signet accepts only the cosign and atomic signature types',
      signet: 'fail',
    },
    reason: /^no matching signatures: simple-signing payload has type "x-other signature"/,
    async image(repo) {
      const image = await pushImage(registry, `${repo}/app`, 'v1');
      await signPayload(
        image,
        await payloadFile(repo, image.digest, `${registry.host}/${repo}/app`, 'x-other signature'),
      );
      return image;
    },
  },
  {
    name: 'signedIdentity matchRepository, payload naming the image repository',
    repo: 'identity-match',
    trusts: 'cosign-generated',
    expected: 'pass',
    policy: ['signedIdentity: { type: matchRepository }'],
    image: (repo) => signedImage(`${repo}/app`),
  },
  {
    name: 'signedIdentity matchRepository, payload naming another repository',
    repo: 'identity-other',
    trusts: 'cosign-generated',
    expected: 'pass',
    divergence: {
      why: 'cosign has no docker-reference check; signet applies the configured signedIdentity',
      signet: 'fail',
    },
    policy: ['signedIdentity: { type: matchRepository }'],
    reason:
      /^no matching signatures: simple-signing payload names reference ".*\/elsewhere\/app", expected ".*\/identity-other\/app"$/,
    async image(repo) {
      const image = await pushImage(registry, `${repo}/app`, 'v1');
      await signPayload(
        image,
        await payloadFile(repo, image.digest, `${registry.host}/elsewhere/app`, COSIGN_TYPE),
      );
      return image;
    },
  },
  ...(['ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const).map((kind): DifferentialCase => ({
    name: `valid signature, ${kind} key (openssl, cosign import-key-pair)`,
    repo: `key-${kind}`,
    trusts: kind,
    expected: 'pass',
    image: (repo) => signedImage(`${repo}/app`, kind),
  })),
  // cosign v2 signs with an imported key's own hash (P-384: SHA-384, P-521: SHA-512, Ed25519: Ed25519ph) but
  // `cosign verify --key` checks SHA-256 (and pure Ed25519) unless told otherwise: cosign rejects its own signature.
  ...(['ecdsa-p384', 'ecdsa-p521', 'ed25519'] as const).map((kind): DifferentialCase => ({
    name: `${kind} key (openssl, cosign import-key-pair), verified with the default SHA-256`,
    repo: `default-hash-${kind}`,
    trusts: kind,
    expected: 'fail',
    reason: /^no matching signatures: invalid signature/,
    image: (repo) => signedImage(`${repo}/app`, kind),
  })),
  ...(
    [
      ['ecdsa-p384', 'sha384'],
      ['ecdsa-p521', 'sha512'],
    ] as const
  ).map(([kind, algorithm]): DifferentialCase => ({
    name: `${kind} key, verified with signatureDigestAlgorithm ${algorithm} (cosign --signature-digest-algorithm)`,
    repo: `hash-${kind}`,
    trusts: kind,
    expected: 'pass',
    policy: [`signatureDigestAlgorithm: ${algorithm}`],
    verifyArgs: ['--signature-digest-algorithm', algorithm],
    image: (repo) => signedImage(`${repo}/app`, kind),
  })),
  {
    name: 'ecdsa-p256 signature (SHA-256) verified with signatureDigestAlgorithm sha384',
    repo: 'hash-wrong',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason: /^no matching signatures: invalid signature/,
    policy: ['signatureDigestAlgorithm: sha384'],
    verifyArgs: ['--signature-digest-algorithm', 'sha384'],
    image: (repo) => signedImage(`${repo}/app`),
  },
  ...(
    [
      ['valid signature', 'cosign-generated', 'pass'],
      ['wrong key', 'stranger', 'fail'],
    ] as const
  ).map(([what, signer, expected]): DifferentialCase => ({
    name: `v2 OCI 1.1 referrers mode (--registry-referrers-mode=oci-1-1): ${what}`,
    repo: `oci11-${signer}`,
    trusts: 'cosign-generated',
    expected,
    ...(expected === 'fail' ? { reason: /^no matching signatures: invalid signature/ } : {}),
    verifyArgs: ['--experimental-oci11'],
    experimental: true,
    async image(repo) {
      const image = await pushImage(registry, `${repo}/app`, 'v1');
      await cosignSign(registry, key(signer), image.digestReference, dir, {
        extraArgs: ['--registry-referrers-mode=oci-1-1'],
        experimental: true,
      });
      return image;
    },
  })),
  ...(
    [
      ['valid signature', 'cosign-generated', 'pass'],
      ['wrong key', 'stranger', 'fail'],
    ] as const
  ).map(([what, signer, expected]): DifferentialCase => ({
    name: `v3 legacy format (--new-bundle-format=false, a .sig tag): ${what}`,
    repo: `v3-legacy-${signer}`,
    tool: 'cosign3',
    trusts: 'cosign-generated',
    expected,
    ...(expected === 'fail' ? { reason: /^no matching signatures: invalid signature/ } : {}),
    async image(repo) {
      const image = await pushImage(registry, `${repo}/app`, 'v1');
      await cosignSign(registry, key(signer), image.digestReference, dir, {
        tool: 'cosign3',
        extraArgs: [...COSIGN3_OFFLINE_SIGN_ARGS, '--new-bundle-format=false'],
      });
      return image;
    },
  })),
  ...(['cosign', 'cosign3'] as const).map((tool): DifferentialCase => ({
    name: `${tool === 'cosign' ? 'v2' : 'v3'}: multi-arch index signed by its digest`,
    repo: `index-${tool}`,
    tool,
    trusts: 'cosign-generated',
    expected: 'pass',
    async image(repo) {
      const index = await pushIndex(registry, `${repo}/app`, 'v1');
      await cosignSign(registry, key('cosign-generated'), index.digestReference, dir, {
        tool,
        extraArgs: tool === 'cosign3' ? COSIGN3_OFFLINE_SIGN_ARGS : [],
      });
      return index;
    },
  })),
  {
    name: 'v3: valid bundle signature (ECDSA P-256, cosign generate-key-pair)',
    repo: 'v3-valid',
    tool: 'cosign3',
    trusts: 'cosign-generated',
    expected: 'pass',
    image: (repo) => signedImage(`${repo}/app`, 'cosign-generated', 'cosign3'),
  },
  {
    name: 'v3: wrong key',
    repo: 'v3-wrong-key',
    tool: 'cosign3',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason: /^no matching signatures: invalid signature/,
    image: (repo) => signedImage(`${repo}/app`, 'stranger', 'cosign3'),
  },
  {
    name: 'v3: tampered DSSE payload (statement altered after signing)',
    repo: 'v3-tampered',
    tool: 'cosign3',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason: /^no matching signatures: invalid signature/,
    async image(repo) {
      const image = await signedImage(`${repo}/app`, 'cosign-generated', 'cosign3');
      await rewriteBundle(`${repo}/app`, image, (bundle) => {
        const envelope = dsseEnvelope(bundle);
        const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Json;
        envelope.payload = Buffer.from(
          JSON.stringify({ ...statement, predicate: { approved: 'yes' } }),
        ).toString('base64');
      });
      return image;
    },
  },
  {
    name: 'v3: bundle referrer copied to another image',
    repo: 'v3-copied',
    tool: 'cosign3',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason: /^no matching signatures: in-toto statement subjects name sha256:[0-9a-f]{64}, not the subject's/,
    async image(repo) {
      const signed = await signedImage(`${repo}/app`, 'cosign-generated', 'cosign3');
      const other = await pushImage(registry, `${repo}/app`, 'other');
      const { manifest } = await bundleReferrer(`${repo}/app`, signed);
      manifest.subject = { mediaType: other.mediaType, digest: other.digest, size: other.size };
      await putManifestByDigest(registry, `${repo}/app`, manifest);
      return other;
    },
  },
  {
    name: 'v3: no signature',
    repo: 'v3-unsigned',
    tool: 'cosign3',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason: /^image verification failed for .*: signature not found$/,
    image: (repo) => pushImage(registry, `${repo}/app`, 'v1'),
  },
  {
    name: 'v3: corrupt base64 in the DSSE signature',
    repo: 'v3-corrupt',
    tool: 'cosign3',
    trusts: 'cosign-generated',
    expected: 'fail',
    reason: /^no matching signatures: DSSE envelope signature is not valid base64$/,
    async image(repo) {
      const image = await signedImage(`${repo}/app`, 'cosign-generated', 'cosign3');
      await rewriteBundle(`${repo}/app`, image, (bundle) => {
        const signature = dsseEnvelope(bundle).signatures[0]!;
        signature.sig = `!${String(signature.sig)}`;
      });
      return image;
    },
  },
  ...(['ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const).map((kind): DifferentialCase => ({
    name: `v3: valid bundle signature, ${kind} key (openssl, cosign import-key-pair)`,
    repo: `v3-key-${kind}`,
    tool: 'cosign3',
    trusts: kind,
    expected: 'pass',
    image: (repo) => signedImage(`${repo}/app`, kind, 'cosign3'),
  })),
  ...(['ecdsa-p384', 'ecdsa-p521', 'ed25519'] as const).map((kind): DifferentialCase => ({
    name: `v3: ${kind} key, verified with the default SHA-256`,
    repo: `v3-default-hash-${kind}`,
    tool: 'cosign3',
    trusts: kind,
    expected: 'fail',
    reason: /^no matching signatures: invalid signature/,
    image: (repo) => signedImage(`${repo}/app`, kind, 'cosign3'),
  })),
  {
    name: 'v3: ecdsa-p384 key, verified with signatureDigestAlgorithm sha384',
    repo: 'v3-hash-p384',
    tool: 'cosign3',
    trusts: 'ecdsa-p384',
    expected: 'pass',
    policy: ['signatureDigestAlgorithm: sha384'],
    verifyArgs: ['--signature-digest-algorithm', 'sha384'],
    image: (repo) => signedImage(`${repo}/app`, 'ecdsa-p384', 'cosign3'),
  },
  ...(['cosign', 'cosign3'] as const).flatMap((tool): DifferentialCase[] => {
    const v = tool === 'cosign' ? 'v2' : 'v3';
    return [
      ...Object.keys(PREDICATES).map((type): DifferentialCase => {
        const base = {
          name: `${v} attestation: ${type}, verified as ${type}`,
          repo: `${v}-att-${type}`,
          tool,
          trusts: 'cosign-generated' as const,
          attestationType: type,
          image: (repo: string) => attestedImage(`${repo}/app`, type, 'cosign-generated', tool),
        };
        // cosign (v2 and v3) writes an SPDX predicate as a JSON string; v3 then rejects its own statement.
        if (tool === 'cosign3' && type === 'spdx')
          return {
            ...base,
            expected: 'fail',
            reason: /^no matching signatures: in-toto statement predicate is not a JSON object$/,
          };
        return {
          ...base,
          expected: 'pass',
          extensions: {
            signatures: [
              {
                isSuccess: true,
                keyAlgorithm: 'ECDSA P-256',
                predicate: {
                  predicateType: PREDICATES[type]?.uri,
                  predicateKeys: expect.any(Array) as unknown,
                },
              },
            ],
          },
        };
      }),
      {
        name: `${v} attestation: slsaprovenance, verified as spdx`,
        repo: `${v}-att-other-type`,
        tool,
        trusts: 'cosign-generated',
        expected: 'fail',
        attestationType: 'spdx',
        // v2: the .att layer's type is refused; v3: bundles are judged together, the spdx one is missing.
        reason:
          tool === 'cosign3'
            ? /^no matching signatures: trust policy "[^"]+" requires an attestation of predicate type https:\/\/spdx.dev\/Document; none was found/
            : /^no matching signatures: attestation predicate type https:\/\/slsa.dev\/provenance\/v0.2 is not one/,
        image: (repo) => attestedImage(`${repo}/app`, 'slsaprovenance', 'cosign-generated', tool),
      },
      {
        name: `${v} attestation: wrong key`,
        repo: `${v}-att-wrong-key`,
        tool,
        trusts: 'cosign-generated',
        expected: 'fail',
        attestationType: 'slsaprovenance',
        reason: /^no matching signatures: invalid signature/,
        image: (repo) => attestedImage(`${repo}/app`, 'slsaprovenance', 'stranger', tool),
      },
      {
        name: `${v} attestation: none`,
        repo: `${v}-att-none`,
        tool,
        trusts: 'cosign-generated',
        expected: 'fail',
        attestationType: 'slsaprovenance',
        reason: /^image verification failed for .*: signature not found$/,
        image: (repo) => pushImage(registry, `${repo}/app`, 'v1'),
      },
    ];
  }),
  {
    name: 'v2 attestation: copied to another image',
    repo: 'v2-att-copied',
    trusts: 'cosign-generated',
    expected: 'fail',
    attestationType: 'slsaprovenance',
    reason: /^no matching signatures: in-toto statement subjects name sha256:[0-9a-f]{64}, not the subject's/,
    async image(repo) {
      const attested = await attestedImage(`${repo}/app`, 'slsaprovenance');
      const other = await pushImage(registry, `${repo}/app`, 'other');
      const attTag = (digest: string) => signatureTag(digest).replace(/\.sig$/, '.att');
      const manifest = await getManifestJson(registry, `${repo}/app`, attTag(attested.digest));
      await putManifestJson(registry, `${repo}/app`, attTag(other.digest), manifest);
      return other;
    },
  },
  {
    name: 'v2 attestation: statement altered after signing',
    repo: 'v2-att-tampered',
    trusts: 'cosign-generated',
    expected: 'fail',
    attestationType: 'slsaprovenance',
    reason: /^no matching signatures: invalid signature/,
    async image(repo) {
      const image = await attestedImage(`${repo}/app`, 'slsaprovenance');
      await rewriteSignatureLayer(
        `${repo}/app`,
        image,
        async (layer) => {
          const envelope = JSON.parse(
            (await getBlob(registry, `${repo}/app`, String(layer.digest))).toString('utf8'),
          ) as Json & { payload: string };
          const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Json;
          envelope.payload = Buffer.from(
            JSON.stringify({ ...statement, predicate: { builder: { id: 'evil' } } }),
          ).toString('base64');
          const bytes = Buffer.from(JSON.stringify(envelope));
          layer.digest = await putBlob(registry, `${repo}/app`, bytes);
          layer.size = bytes.byteLength;
        },
        'att',
      );
      return image;
    },
  },
  {
    name: 'v3 attestation: bundle referrer copied to another image',
    repo: 'v3-att-copied',
    tool: 'cosign3',
    trusts: 'cosign-generated',
    expected: 'fail',
    attestationType: 'slsaprovenance',
    reason: /^no matching signatures: in-toto statement subjects name sha256:[0-9a-f]{64}, not the subject's/,
    async image(repo) {
      const attested = await attestedImage(`${repo}/app`, 'slsaprovenance', 'cosign-generated', 'cosign3');
      const other = await pushImage(registry, `${repo}/app`, 'other');
      const { manifest } = await bundleReferrer(`${repo}/app`, attested);
      manifest.subject = { mediaType: other.mediaType, digest: other.digest, size: other.size };
      await putManifestByDigest(registry, `${repo}/app`, manifest);
      return other;
    },
  },
  {
    name: 'v3 attestation: statement altered after signing',
    repo: 'v3-att-tampered',
    tool: 'cosign3',
    trusts: 'cosign-generated',
    expected: 'fail',
    attestationType: 'slsaprovenance',
    reason: /^no matching signatures: invalid signature/,
    async image(repo) {
      const image = await attestedImage(`${repo}/app`, 'slsaprovenance', 'cosign-generated', 'cosign3');
      await rewriteBundle(`${repo}/app`, image, (bundle) => {
        const envelope = dsseEnvelope(bundle);
        const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Json;
        envelope.payload = Buffer.from(
          JSON.stringify({ ...statement, predicate: { builder: { id: 'evil' } } }),
        ).toString('base64');
      });
      return image;
    },
  },
];

function trustPolicy(testCase: DifferentialCase): string {
  return [
    `      - name: ${testCase.repo}`,
    `        scopes: ["${registry.host}/${testCase.repo}/*"]`,
    `        keys: [{ file: ${JSON.stringify(key(testCase.trusts).publicKeyPath)} }]`,
    '        tLogVerify: false',
    ...(testCase.attestationType === undefined
      ? []
      : [`        attestations: [{ predicateType: ${testCase.attestationType} }]`]),
    ...(testCase.policy ?? []).map((line) => `        ${line}`),
  ].join('\n');
}

function signetConfig(): string {
  return `${COSIGN_STORE}---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-cosign
spec:
  name: cosign
  artifactTypes: application/vnd.dev.cosign.artifact.sig.v1+json,${ATTESTATION_ARTIFACT_TYPE},${BUNDLE_ARTIFACT_TYPE}
  parameters:
    trustPolicies:
${CASES.map(trustPolicy).join('\n')}
`;
}

function signetMessage(item: ProviderItem): string {
  const report = item.value?.verifierReports?.[0];
  return typeof report?.message === 'string' ? report.message : (item.error ?? JSON.stringify(item));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-cosign-diff-'));
  registry = await startRegistry();
  const kinds = [...new Set<KeyName>(['stranger', ...CASES.map((testCase) => testCase.trusts)])];
  const pairs = await Promise.all(
    kinds.map((kind) =>
      createCosignKeyPair(join(dir, 'keys', kind), kind === 'stranger' ? 'cosign-generated' : kind),
    ),
  );
  kinds.forEach((kind, index) => keys.set(kind, pairs[index]!));
  const configPath = join(dir, 'config.yaml');
  await writeFile(configPath, signetConfig());
  provider = await startProvider(['--insecure-http', '--config', configPath, '--log-level', 'warn']);
});

afterAll(async () => {
  await provider?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('cosign differential (cosign v2 and v3 verify --key --insecure-ignore-tlog vs signet)', () => {
  describe.each(CASES.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    const signetExpected = testCase.divergence?.signet ?? testCase.expected;
    const title =
      signetExpected === testCase.expected
        ? `cosign and signet both ${testCase.expected}`
        : `cosign ${VERB[testCase.expected]}, signet ${VERB[signetExpected]} (${testCase.divergence?.why ?? ''})`;
    it(title, async () => {
      const image = await testCase.image(testCase.repo);
      const [answer, cosign] = await Promise.all([
        callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, [image.reference]),
        testCase.attestationType === undefined
          ? cosignVerifies(registry, key(testCase.trusts).publicKeyPath, image.digestReference, dir, {
              tool: testCase.tool ?? 'cosign',
              extraArgs: testCase.verifyArgs ?? [],
              experimental: testCase.experimental ?? false,
            })
          : cosignVerifiesAttestation(
              registry,
              key(testCase.trusts).publicKeyPath,
              image.digestReference,
              dir,
              {
                tool: testCase.tool ?? 'cosign',
                type: testCase.attestationType,
                extraArgs: testCase.verifyArgs ?? [],
              },
            ),
      ]);
      const item = answer.body.response?.items?.[0];
      if (item === undefined) throw new Error(`no item: ${JSON.stringify(answer.body)}`);
      const signet = item.value?.isSuccess === true;
      expect({ cosign, signet }).toEqual({
        cosign: testCase.expected === 'pass',
        signet: signetExpected === 'pass',
      });
      if (testCase.reason !== undefined) expect(signetMessage(item)).toMatch(testCase.reason);
      if (testCase.extensions !== undefined)
        expect(item.value?.verifierReports?.[0]?.extensions).toMatchObject(testCase.extensions);
    });
  });
});
