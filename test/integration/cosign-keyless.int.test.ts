// Keyless cosign through a real signet process: images pushed to a real olareg registry are signed keylessly by the
// real cosign v2 CLI (`.sig` tag with certificate, SCT, Rekor SET and RFC 3161 annotations) and the real cosign v3
// CLI (Sigstore bundle referrer) against a loopback Fulcio / Rekor / TSA (test/helpers/sigstore-mock.ts). signet
// (`signet serve`, cosign trust policies with `keyless.trustedRootPath` = the instance's trusted_root.json) must
// allow and deny exactly as `cosign verify --trusted-root` does, with precise reasons. A key-signed image uploaded
// to the same Rekor shows `tLogVerify: true` on a key-based policy with `trustedRootPath`. Per-image verify times
// (cold and warm) are printed, never asserted.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import {
  createCosignKeyPair,
  cosignSign,
  cosignVerifies,
  deleteManifest,
  getBlob,
  getManifestJson,
  listReferrers,
  putBlob,
  putManifestByDigest,
  putManifestJson,
  signatureTag,
  type CosignKeyPair,
  type CosignTool,
} from '../helpers/cosign.js';
import { callProviderForKey, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { COSIGN_STORE } from '../helpers/ratify-config.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import {
  MOCK_OIDC_ISSUER,
  cosignSignKeyless,
  cosignVerifiesKeyless,
  startSigstoreMock,
  type SigstoreMock,
} from '../helpers/sigstore-mock.js';
import { runTool } from '../helpers/tools.js';

const SUBJECT = 'https://github.com/signet/app/.github/workflows/release.yml@refs/heads/main';
const OTHER_SUBJECT = 'https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main';
const OTHER_ISSUER = 'https://accounts.google.com';
const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const ATTESTATION_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.att.v1+json';
const BUILDER_ID = 'https://github.com/signet/builder@v1';
const REKOR_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';
const TIMING_IMAGES = 3;
const WARM_ROUNDS = 5;

type Json = Record<string, unknown>;

let dir: string;
let registry: TestRegistry;
let mock: SigstoreMock;
let otherInstance: SigstoreMock;
let provider: StartedProvider;
let keys: CosignKeyPair;

interface KeylessCase {
  readonly name: string;
  /** Repository prefix; the trust policy's scope is `<host>/<repo>/*`. */
  readonly repo: string;
  /** The `keyless` block of the trust policy (YAML flow mapping fields). */
  readonly keyless: string;
  /** `cosign verify` identity flags for the differential verdict. */
  readonly cosignArgs: readonly string[];
  readonly trustedRoot: 'instance' | 'other';
  /** Tamper with what cosign pushed after signing; returns the image to judge when it is another one. */
  readonly tamper?: (repo: string, image: PushedManifest, tool: CosignTool) => Promise<PushedManifest | void>;
  /** `pass`, or the pattern of signet's message (the report's `message`). */
  readonly expected: 'pass' | RegExp;
}

const exactKeyless = `certificateIdentity: ${JSON.stringify(SUBJECT)}, certificateOIDCIssuer: ${JSON.stringify(MOCK_OIDC_ISSUER)}`;
const exactArgs = ['--certificate-identity', SUBJECT, '--certificate-oidc-issuer', MOCK_OIDC_ISSUER];

const CASES: readonly KeylessCase[] = [
  {
    name: 'exact identity and issuer',
    repo: 'exact',
    keyless: exactKeyless,
    cosignArgs: exactArgs,
    trustedRoot: 'instance',
    expected: 'pass',
  },
  {
    name: 'identity and issuer regexps',
    repo: 'regexp',
    keyless: `certificateIdentityRegExp: ${JSON.stringify('https://github\\.com/signet/.*')}, certificateOIDCIssuerRegExp: ${JSON.stringify('https://oidc\\.signet\\..*')}`,
    cosignArgs: [
      '--certificate-identity-regexp',
      '^https://github\\.com/signet/.*$',
      '--certificate-oidc-issuer-regexp',
      '^https://oidc\\.signet\\..*$',
    ],
    trustedRoot: 'instance',
    expected: 'pass',
  },
  {
    name: 'another identity',
    repo: 'wrong-identity',
    keyless: `certificateIdentity: ${JSON.stringify(OTHER_SUBJECT)}, certificateOIDCIssuer: ${JSON.stringify(MOCK_OIDC_ISSUER)}`,
    cosignArgs: ['--certificate-identity', OTHER_SUBJECT, '--certificate-oidc-issuer', MOCK_OIDC_ISSUER],
    trustedRoot: 'instance',
    expected: /^no matching signatures: identity: /,
  },
  {
    name: 'an identity regexp that only matches unanchored',
    repo: 'unanchored',
    keyless: `certificateIdentityRegExp: ${JSON.stringify('signet/app')}, certificateOIDCIssuer: ${JSON.stringify(MOCK_OIDC_ISSUER)}`,
    cosignArgs: [
      '--certificate-identity-regexp',
      '^signet/app$',
      '--certificate-oidc-issuer',
      MOCK_OIDC_ISSUER,
    ],
    trustedRoot: 'instance',
    expected: /^no matching signatures: identity: /,
  },
  {
    name: 'another issuer',
    repo: 'wrong-issuer',
    keyless: `certificateIdentity: ${JSON.stringify(SUBJECT)}, certificateOIDCIssuer: ${JSON.stringify(OTHER_ISSUER)}`,
    cosignArgs: ['--certificate-identity', SUBJECT, '--certificate-oidc-issuer', OTHER_ISSUER],
    trustedRoot: 'instance',
    expected: /^no matching signatures: issuer: /,
  },
  {
    name: "another Sigstore instance's trusted root",
    repo: 'other-root',
    keyless: exactKeyless,
    cosignArgs: exactArgs,
    trustedRoot: 'other',
    expected: /^no matching signatures: (SET|tlog entry|inclusion proof|certificate chain|timestamp): /,
  },
  {
    name: 'a tampered Rekor SET (integrated time changed, tLogVerify true)',
    repo: 'tampered-set',
    keyless: exactKeyless,
    cosignArgs: exactArgs,
    trustedRoot: 'instance',
    tamper: tamperIntegratedTime,
    expected: /^no matching signatures: SET: /,
  },
  {
    name: 'a signature copied to another image',
    repo: 'copied',
    keyless: exactKeyless,
    cosignArgs: exactArgs,
    trustedRoot: 'instance',
    tamper: copyToAnotherImage,
    expected:
      /^no matching signatures: (simple-signing payload names digest sha256:[0-9a-f]{64}, not the subject's|artifact: artifact digest does not match)/,
  },
];

/** Attaches the image's signature to a fresh unsigned image: the `.sig` manifest under its tag, or the bundle referrer. */
async function copyToAnotherImage(
  repo: string,
  image: PushedManifest,
  tool: CosignTool,
): Promise<PushedManifest> {
  const other = await pushImage(registry, repo, 'other');
  if (tool === 'cosign') {
    const manifest = await getManifestJson(registry, repo, signatureTag(image.digest));
    await putManifestJson(registry, repo, signatureTag(other.digest), manifest);
    return other;
  }
  const { manifest } = await bundleReferrer(repo, image);
  manifest.subject = { mediaType: other.mediaType, digest: other.digest, size: other.size };
  await putManifestByDigest(registry, repo, manifest);
  return other;
}

/** Adds one second to the Rekor integrated time the SET signs: in the `.sig` annotation, or in the bundle. */
async function tamperIntegratedTime(repo: string, image: PushedManifest, tool: CosignTool): Promise<void> {
  if (tool === 'cosign') {
    const tag = signatureTag(image.digest);
    const manifest = (await getManifestJson(registry, repo, tag)) as {
      layers: Array<{ annotations: Record<string, string> }>;
    };
    const layer = manifest.layers[0];
    if (layer === undefined) throw new Error(`no signature layer in ${repo}:${tag}`);
    const rekor = JSON.parse(layer.annotations[REKOR_BUNDLE_ANNOTATION] ?? '{}') as {
      Payload: { integratedTime: number };
    };
    rekor.Payload.integratedTime += 1;
    layer.annotations[REKOR_BUNDLE_ANNOTATION] = JSON.stringify(rekor);
    await putManifestJson(registry, repo, tag, manifest);
    return;
  }
  const { digest, manifest } = await bundleReferrer(repo, image);
  const layer = manifest.layers[0]!;
  const bundle = JSON.parse((await getBlob(registry, repo, layer.digest)).toString('utf8')) as {
    verificationMaterial: { tlogEntries: Array<{ integratedTime: string }> };
  };
  const entry = bundle.verificationMaterial.tlogEntries[0];
  if (entry === undefined) throw new Error('the bundle has no tlog entry');
  entry.integratedTime = String(Number(entry.integratedTime) + 1);
  const bytes = Buffer.from(JSON.stringify(bundle));
  layer.digest = await putBlob(registry, repo, bytes);
  layer.size = bytes.length;
  await deleteManifest(registry, repo, digest);
  await putManifestByDigest(registry, repo, manifest);
}

async function bundleReferrer(
  repo: string,
  image: PushedManifest,
): Promise<{ digest: string; manifest: Json & { layers: Array<{ digest: string; size: number }> } }> {
  const referrers = await listReferrers(registry, repo, image.digest, BUNDLE_MEDIA_TYPE);
  const [referrer] = referrers;
  if (referrer === undefined || referrers.length !== 1)
    throw new Error(`expected one bundle referrer of ${image.digestReference}, got ${referrers.length}`);
  const manifest = (await getManifestJson(registry, repo, referrer.digest)) as Json & {
    layers: Array<{ digest: string; size: number }>;
  };
  return { digest: referrer.digest, manifest };
}

function rootPath(which: KeylessCase['trustedRoot']): string {
  return which === 'instance' ? mock.trustedRootPath : otherInstance.trustedRootPath;
}

function signetConfig(): string {
  const host = registry.host;
  const keyless = CASES.map((testCase) =>
    [
      `      - name: ${testCase.repo}`,
      `        scopes: ["${host}/${testCase.repo}/*"]`,
      `        keyless: { ${testCase.keyless}, trustedRootPath: ${JSON.stringify(rootPath(testCase.trustedRoot))} }`,
    ].join('\n'),
  );
  return `${COSIGN_STORE}---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-cosign
spec:
  name: cosign
  artifactTypes: application/vnd.dev.cosign.artifact.sig.v1+json,${ATTESTATION_ARTIFACT_TYPE},${BUNDLE_MEDIA_TYPE}
  parameters:
    trustPolicies:
${keyless.join('\n')}
      - name: attested
        scopes: ["${host}/attested/*"]
        keyless: { ${exactKeyless}, trustedRootPath: ${JSON.stringify(mock.trustedRootPath)} }
        attestations:
          - predicateType: slsaprovenance
            conditions: [{ all: [{ key: "{{ builder.id }}", operator: Equals, value: ${JSON.stringify(BUILDER_ID)} }] }]
      - name: no-root
        scopes: ["${host}/no-root/*"]
        keyless: { ${exactKeyless} }
      - name: keyed-tlog
        scopes: ["${host}/keyed-tlog/*"]
        keys: [{ file: ${JSON.stringify(keys.publicKeyPath)} }]
        trustedRootPath: ${JSON.stringify(mock.trustedRootPath)}
      - name: keyed
        scopes: ["${host}/keyed/*"]
        keys: [{ file: ${JSON.stringify(keys.publicKeyPath)} }]
        tLogVerify: false
`;
}

function verify(key: string): Promise<ProviderItem> {
  return callProviderForKey(`${provider.url}/ratify/gatekeeper/v1/verify`, key);
}

/** `pass`, or the message of the failing report (or the item's error). */
function signetVerdict(item: ProviderItem): string {
  if (item.value?.isSuccess === true) return 'pass';
  const report = item.value?.verifierReports?.find((candidate) => candidate.isSuccess !== true);
  return typeof report?.message === 'string' ? report.message : (item.error ?? JSON.stringify(item));
}

function keylessRun(tool: CosignTool) {
  return { mock, dir, dockerConfigDir: registry.dockerConfigDir, tool };
}

async function keylessImage(repo: string, tool: CosignTool, tag = 'v1'): Promise<PushedManifest> {
  const image = await pushImage(registry, repo, tag);
  await cosignSignKeyless(keylessRun(tool), SUBJECT, image.digestReference);
  return image;
}

/** cosign v2 `sign --key` with the transparency log on: the Rekor entry goes to the loopback instance. */
async function keySignedWithTlog(repo: string): Promise<PushedManifest> {
  const image = await pushImage(registry, repo, 'v1');
  await runTool(
    'cosign',
    [
      'sign',
      '--key',
      keys.privateKeyPath,
      '--rekor-url',
      mock.url,
      '--allow-insecure-registry',
      '--allow-http-registry',
      '--yes',
      image.digestReference,
    ],
    {
      env: {
        COSIGN_PASSWORD: '',
        TUF_ROOT: join(dir, 'tuf'),
        DOCKER_CONFIG: registry.dockerConfigDir,
        SIGSTORE_REKOR_PUBLIC_KEY: mock.rekorPublicKeyPath,
      },
    },
  );
  return image;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-cosign-keyless-'));
  mock = await startSigstoreMock(await mkdtemp(join(dir, 'instance-')));
  otherInstance = await startSigstoreMock(await mkdtemp(join(dir, 'other-')));
  registry = await startRegistry();
  keys = await createCosignKeyPair(join(dir, 'keys'), 'cosign-generated');
  const configPath = join(dir, 'config.yaml');
  await writeFile(configPath, signetConfig());
  provider = await startProvider(['--insecure-http', '--config', configPath, '--log-level', 'warn']);
});

afterAll(async () => {
  await provider?.stop();
  await registry?.stop();
  await mock?.stop();
  await otherInstance?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('cosign keyless through signet', () => {
  describe.each([
    ['cosign v2 (.sig tag)', 'cosign'],
    ['cosign v3 (Sigstore bundle referrer)', 'cosign3'],
  ] as const)('%s', (_label, tool) => {
    it.each(CASES)('$name: signet and cosign verify agree', async (testCase) => {
      const repo = `${testCase.repo}/${tool}`;
      const signed = await keylessImage(repo, tool);
      const image = (await testCase.tamper?.(repo, signed, tool)) ?? signed;
      const [item, cosign] = await Promise.all([
        verify(image.reference),
        cosignVerifiesKeyless(
          { dir, dockerConfigDir: registry.dockerConfigDir, tool },
          testCase.cosignArgs,
          rootPath(testCase.trustedRoot),
          image.digestReference,
        ),
      ]);
      const verdict = signetVerdict(item);
      if (testCase.expected === 'pass') expect(verdict).toBe('pass');
      else expect(verdict).toMatch(testCase.expected);
      expect(cosign).toBe(testCase.expected === 'pass');
    });
  });

  describe('the report of a keyless pass', () => {
    it('names the certificate identity, issuer and Rekor entry', async () => {
      const image = await keylessImage('exact/report', 'cosign');
      const item = await verify(image.reference);
      const report = item.value?.verifierReports?.[0];
      expect(report?.extensions).toMatchObject({
        trustPolicy: 'exact',
        signatures: [
          {
            isSuccess: true,
            key: `keyless:${SUBJECT}`,
            identity: SUBJECT,
            issuer: MOCK_OIDC_ISSUER,
            logIndex: expect.stringMatching(/^\d+$/) as unknown,
          },
        ],
      });
    });
  });

  describe('keyless attestations (cosign v2 attest, .att tag)', () => {
    async function attested(repo: string, builderId: string): Promise<PushedManifest> {
      const image = await pushImage(registry, repo, 'v1');
      const predicatePath = join(dir, `${repo.replace(/\//g, '-')}-predicate.json`);
      await writeFile(
        predicatePath,
        JSON.stringify({ builder: { id: builderId }, buildType: 'https://signet.test/build' }),
      );
      await cosignSignKeyless(keylessRun('cosign'), SUBJECT, image.digestReference, {
        type: 'slsaprovenance',
        predicatePath,
      });
      return image;
    }

    /** cosign v2 reads a trusted root only for its new bundle format: the instance's keys go in SIGSTORE_* instead. */
    async function verifiesAttestation(image: PushedManifest, args: readonly string[]): Promise<boolean> {
      try {
        await runTool(
          'cosign',
          [
            'verify-attestation',
            '--type',
            'slsaprovenance',
            ...args,
            '--allow-insecure-registry',
            '--allow-http-registry',
            image.digestReference,
          ],
          {
            env: {
              TUF_ROOT: join(dir, 'tuf'),
              DOCKER_CONFIG: registry.dockerConfigDir,
              SIGSTORE_ROOT_FILE: mock.fulcioRootPath,
              SIGSTORE_REKOR_PUBLIC_KEY: mock.rekorPublicKeyPath,
              SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: mock.ctLogPublicKeyPath,
            },
          },
        );
        return true;
      } catch (error) {
        if (
          error instanceof Error &&
          /no matching attestations|none of the expected identities matched/.test(error.message)
        )
          return false;
        throw error;
      }
    }

    it('passes the attestation with its predicate summary, as cosign verify-attestation does', async () => {
      const image = await attested('attested/good', BUILDER_ID);
      const item = await verify(image.reference);
      expect(signetVerdict(item)).toBe('pass');
      const attestation = item.value?.verifierReports?.find(
        (report) => report.artifactType === ATTESTATION_ARTIFACT_TYPE,
      );
      expect(attestation?.extensions).toMatchObject({
        signatures: [
          {
            isSuccess: true,
            identity: SUBJECT,
            predicate: { predicateType: 'https://slsa.dev/provenance/v0.2' },
          },
        ],
      });
      expect(await verifiesAttestation(image, exactArgs)).toBe(true);
    });

    it('fails an attestation whose predicate does not meet the policy condition (cosign, without conditions, accepts it)', async () => {
      const image = await attested('attested/builder', 'https://github.com/evil/builder@v1');
      expect(signetVerdict(await verify(image.reference))).toMatch(
        /^no matching signatures: attestation https:\/\/slsa.dev\/provenance\/v0.2 does not meet the conditions of trust policy "attested"/,
      );
      expect(await verifiesAttestation(image, exactArgs)).toBe(true);
    });

    it('is refused by cosign for another identity', async () => {
      const image = await attested('attested/identity', BUILDER_ID);
      const otherArgs = [
        '--certificate-identity',
        OTHER_SUBJECT,
        '--certificate-oidc-issuer',
        MOCK_OIDC_ISSUER,
      ];
      expect(await verifiesAttestation(image, otherArgs)).toBe(false);
    });
  });

  describe('a keyless policy without keyless.trustedRootPath', () => {
    it('fails closed, naming the field', async () => {
      const image = await keylessImage('no-root/app', 'cosign');
      expect(signetVerdict(await verify(image.reference))).toBe(
        'no matching signatures: trust policy "no-root": keyless verification needs keyless.trustedRootPath (a trusted_root.json with the Fulcio CA and Rekor keys); signet does not fetch the public-good Sigstore TUF root',
      );
    });
  });

  describe('a key-based policy with tLogVerify true and trustedRootPath', () => {
    it('verifies the Rekor SET of a key-signed image offline, as cosign verify does', async () => {
      const image = await keySignedWithTlog('keyed-tlog/app');
      const item = await verify(image.reference);
      expect(signetVerdict(item)).toBe('pass');
      expect(item.value?.verifierReports?.[0]?.extensions).toMatchObject({
        signatures: [{ isSuccess: true, logIndex: expect.stringMatching(/^\d+$/) as unknown }],
      });
      await expect(
        runTool(
          'cosign',
          [
            'verify',
            '--key',
            keys.publicKeyPath,
            '--allow-insecure-registry',
            '--allow-http-registry',
            image.digestReference,
          ],
          {
            env: {
              TUF_ROOT: join(dir, 'tuf'),
              DOCKER_CONFIG: registry.dockerConfigDir,
              SIGSTORE_REKOR_PUBLIC_KEY: mock.rekorPublicKeyPath,
            },
          },
        ),
      ).resolves.toBeDefined();
    });

    it('denies the same signature once its SET is tampered with', async () => {
      const image = await keySignedWithTlog('keyed-tlog/tampered');
      await tamperIntegratedTime('keyed-tlog/tampered', image, 'cosign');
      expect(signetVerdict(await verify(image.reference))).toMatch(/^no matching signatures: SET: /);
    });
  });

  describe('per-image verify time through signet (printed, not asserted)', () => {
    it('measures cold (first request) and warm (repeated) verifications, key-based and keyless', async () => {
      const images = {
        'key-based (.sig, cosign v2)': await Promise.all(
          Array.from({ length: TIMING_IMAGES }, async (_, index) => {
            const image = await pushImage(registry, 'keyed/timing', `t${index}`);
            await cosignSign(registry, keys, image.digestReference, dir);
            return image;
          }),
        ),
        'keyless (.sig, cosign v2)': await keylessImages('exact/timing', 'cosign'),
        'keyless (bundle, cosign v3)': await keylessImages('exact/timing3', 'cosign3'),
      };
      const lines: string[] = [];
      for (const [kind, pushed] of Object.entries(images)) {
        const cold: number[] = [];
        const warm: number[] = [];
        for (const image of pushed) {
          for (let round = 0; round <= WARM_ROUNDS; round += 1) {
            const start = performance.now();
            const item = await verify(image.reference);
            (round === 0 ? cold : warm).push(performance.now() - start);
            expect(signetVerdict(item)).toBe('pass');
          }
        }
        lines.push(
          `${kind}: cold median ${median(cold).toFixed(1)} ms, warm median ${median(warm).toFixed(1)} ms`,
        );
      }
      expect(
        await cosignVerifies(
          registry,
          keys.publicKeyPath,
          images['key-based (.sig, cosign v2)'][0]!.digestReference,
          dir,
        ),
      ).toBe(true);
      process.stdout.write(
        `signet per-image verify times (${TIMING_IMAGES} images, ${WARM_ROUNDS} warm rounds):\n  ${lines.join('\n  ')}\n`,
      );
    });
  });
});

/** One after another: every keyless signing writes the same OIDC token file. */
async function keylessImages(repo: string, tool: CosignTool): Promise<PushedManifest[]> {
  const images: PushedManifest[] = [];
  for (let index = 0; index < TIMING_IMAGES; index += 1)
    images.push(await keylessImage(repo, tool, `t${index}`));
  return images;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
