// Keyless end to end: the real cosign v2 CLI signs an image in a real olareg registry against a loopback
// Fulcio / Rekor / TSA (@sigstore/mock handlers served over HTTP, test/helpers/sigstore-mock.ts) with an OIDC
// token; signet's keyless verification (provider/verifiers/cosign/keyless.ts over the sigstore module) judges the
// `.sig` layer cosign pushed with the instance's trusted_root.json, and `cosign verify --trusted-root` (same root)
// must reach the same verdict on every case. The cosign v3 CLI signs a second image the same way; its Sigstore
// bundle (an OCI referrer) is judged by verifySigstoreBundle against the image digest, and by `cosign verify`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SignetError } from '../../provider/errors.js';
import { verifyCosignKeylessLayer } from '../../provider/verifiers/cosign/keyless.js';
import {
  readSigstoreTrustedRootFile,
  toDigestArtifact,
  verifySigstoreBundle,
  type SigstorePolicy,
  type SigstoreSigner,
  type SigstoreTrustMaterial,
} from '../../provider/verifiers/sigstore/index.js';
import { getBlob, getManifestJson, listReferrers, signatureTag, type CosignTool } from '../helpers/cosign.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import {
  MOCK_OIDC_ISSUER,
  cosignSignKeyless as signKeyless,
  cosignVerifiesKeyless,
  startSigstoreMock,
  type SigstoreMock,
} from '../helpers/sigstore-mock.js';

const REPO = 'keyless/app';
const V3_REPO = 'keyless/bundle';
const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SUBJECT = 'https://github.com/signet/app/.github/workflows/release.yml@refs/heads/main';
const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
interface SignatureLayer {
  readonly payload: Buffer;
  readonly signature: Buffer;
  readonly annotations: Record<string, string>;
}

/** The single simple-signing layer of the image's `sha256-<hex>.sig` manifest, as cosign pushed it. */
async function readSignatureLayer(registry: TestRegistry, image: PushedManifest): Promise<SignatureLayer> {
  const manifest = (await getManifestJson(registry, REPO, signatureTag(image.digest))) as {
    layers: Array<{ digest: string; annotations: Record<string, string> }>;
  };
  const [layer] = manifest.layers;
  if (layer === undefined || manifest.layers.length !== 1)
    throw new Error(`expected one signature layer, got ${manifest.layers.length}`);
  return {
    payload: await getBlob(registry, REPO, layer.digest),
    signature: Buffer.from(layer.annotations[SIGNATURE_ANNOTATION] ?? '', 'base64'),
    annotations: layer.annotations,
  };
}

describe('sigstore keyless', () => {
  let dir: string;
  let mock: SigstoreMock;
  let otherInstance: SigstoreMock;
  let registry: TestRegistry;
  let image: PushedManifest;
  let layer: SignatureLayer;
  let trust: SigstoreTrustMaterial;
  let otherTrust: SigstoreTrustMaterial;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signet-keyless-'));
    mock = await startSigstoreMock(await mkdtemp(join(dir, 'instance-')));
    otherInstance = await startSigstoreMock(await mkdtemp(join(dir, 'other-')));
    registry = await startRegistry();
    image = await pushImage(registry, REPO, 'v1');
    await cosignSignKeyless('cosign', image);
    layer = await readSignatureLayer(registry, image);
    trust = await readSigstoreTrustedRootFile(mock.trustedRootPath);
    otherTrust = await readSigstoreTrustedRootFile(otherInstance.trustedRootPath);
  });

  afterAll(async () => {
    await registry?.stop();
    await mock?.stop();
    await otherInstance?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  function cosignSignKeyless(tool: CosignTool, target: PushedManifest): Promise<void> {
    return signKeyless(
      { mock, dir, dockerConfigDir: registry.dockerConfigDir, tool },
      SUBJECT,
      target.digestReference,
    );
  }

  function signetJudges(policy: SigstorePolicy, trustMaterial = trust): SigstoreSigner | SignetError {
    try {
      return verifyCosignKeylessLayer({ ...layer, policy, trustMaterial, tLogVerify: true, now: new Date() });
    } catch (error) {
      if (error instanceof SignetError) return error;
      throw error;
    }
  }

  function cosignJudges(
    identity: readonly string[],
    trustedRootPath = mock.trustedRootPath,
    tool: CosignTool = 'cosign',
    target: PushedManifest = image,
  ): Promise<boolean> {
    return cosignVerifiesKeyless(
      { dir, dockerConfigDir: registry.dockerConfigDir, tool },
      identity,
      trustedRootPath,
      target.digestReference,
    );
  }

  describe('signing against the loopback instance', () => {
    it('went through its Fulcio, TSA and Rekor', () => {
      expect(mock.requests.slice(0, 3)).toEqual([
        'POST /api/v1/signingCert -> 201',
        'POST /api/v1/timestamp -> 201',
        'POST /api/v1/log/entries -> 201',
      ]);
      expect(Object.keys(layer.annotations).sort()).toEqual([
        'dev.cosignproject.cosign/signature',
        'dev.sigstore.cosign/bundle',
        'dev.sigstore.cosign/certificate',
        'dev.sigstore.cosign/chain',
        'dev.sigstore.cosign/rfc3161timestamp',
      ]);
    });

    it('signed a simple-signing payload for the image digest', () => {
      const payload = JSON.parse(layer.payload.toString('utf8')) as {
        critical: { image: { 'docker-manifest-digest': string } };
      };
      expect(payload.critical.image['docker-manifest-digest']).toBe(image.digest);
    });
  });

  describe('signet and cosign verify agree', () => {
    const exact = { certificateIdentity: SUBJECT, certificateOIDCIssuer: MOCK_OIDC_ISSUER };
    const cases: ReadonlyArray<{
      name: string;
      policy: SigstorePolicy;
      cosignArgs: readonly string[];
      otherRoot?: boolean;
      expected: 'pass' | RegExp;
    }> = [
      {
        name: 'exact identity and issuer',
        policy: exact,
        cosignArgs: ['--certificate-identity', SUBJECT, '--certificate-oidc-issuer', MOCK_OIDC_ISSUER],
        expected: 'pass',
      },
      {
        name: 'identity and issuer regexps',
        policy: {
          certificateIdentityRegExp: 'https://github\\.com/signet/.*',
          certificateOIDCIssuerRegExp: 'https://oidc\\.signet\\..*',
        },
        cosignArgs: [
          '--certificate-identity-regexp',
          '^https://github\\.com/signet/.*$',
          '--certificate-oidc-issuer-regexp',
          '^https://oidc\\.signet\\..*$',
        ],
        expected: 'pass',
      },
      {
        name: 'another identity',
        policy: {
          ...exact,
          certificateIdentity: 'https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main',
        },
        cosignArgs: [
          '--certificate-identity',
          'https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main',
          '--certificate-oidc-issuer',
          MOCK_OIDC_ISSUER,
        ],
        expected: /^IDENTITY_MISMATCH: identity: /,
      },
      {
        name: 'another issuer',
        policy: { ...exact, certificateOIDCIssuer: 'https://accounts.google.com' },
        cosignArgs: [
          '--certificate-identity',
          SUBJECT,
          '--certificate-oidc-issuer',
          'https://accounts.google.com',
        ],
        expected: /^IDENTITY_MISMATCH: issuer: /,
      },
      {
        name: "another Sigstore instance's trusted root",
        policy: exact,
        cosignArgs: ['--certificate-identity', SUBJECT, '--certificate-oidc-issuer', MOCK_OIDC_ISSUER],
        otherRoot: true,
        expected: /^SIGNATURE_INVALID: |^CERT_UNTRUSTED: /,
      },
    ];

    it.each(cases)('$name', async ({ policy, cosignArgs, otherRoot, expected }) => {
      const signet = signetJudges(policy, otherRoot === true ? otherTrust : trust);
      const cosign = await cosignJudges(
        cosignArgs,
        otherRoot === true ? otherInstance.trustedRootPath : mock.trustedRootPath,
      );
      const signetVerdict = signet instanceof SignetError ? `${signet.code}: ${signet.reason}` : 'pass';
      if (expected === 'pass') expect(signetVerdict).toBe('pass');
      else expect(signetVerdict).toMatch(expected);
      expect(cosign).toBe(expected === 'pass');
    });
  });

  describe('cosign v3 bundle attached as a referrer', () => {
    let v3Image: PushedManifest;
    let bundle: Buffer;
    const identityArgs = ['--certificate-identity', SUBJECT, '--certificate-oidc-issuer', MOCK_OIDC_ISSUER];

    beforeAll(async () => {
      v3Image = await pushImage(registry, V3_REPO, 'v1');
      await cosignSignKeyless('cosign3', v3Image);
      const referrers = await listReferrers(registry, V3_REPO, v3Image.digest, BUNDLE_MEDIA_TYPE);
      const [referrer] = referrers;
      if (referrer === undefined || referrers.length !== 1)
        throw new Error(`expected one bundle referrer, got ${referrers.length}`);
      const manifest = (await getManifestJson(registry, V3_REPO, referrer.digest)) as {
        layers: Array<{ digest: string }>;
      };
      bundle = await getBlob(registry, V3_REPO, manifest.layers[0]?.digest ?? '');
    });

    function judge(policy: SigstorePolicy, digest: string): string {
      return verifyOrError(() =>
        verifySigstoreBundle(bundle, {
          artifact: toDigestArtifact(digest),
          policy,
          trustMaterial: trust,
          tLogVerify: true,
          ctLogVerify: true,
          now: new Date(),
        }),
      );
    }

    it('verifies for the image digest, as cosign v3 does', async () => {
      expect(
        judge({ certificateIdentity: SUBJECT, certificateOIDCIssuer: MOCK_OIDC_ISSUER }, v3Image.digest),
      ).toBe('pass');
      expect(await cosignJudges(identityArgs, mock.trustedRootPath, 'cosign3', v3Image)).toBe(true);
    });

    it('fails for another identity, as cosign v3 does', async () => {
      const other = 'https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main';
      expect(
        judge({ certificateIdentity: other, certificateOIDCIssuer: MOCK_OIDC_ISSUER }, v3Image.digest),
      ).toMatch(/^IDENTITY_MISMATCH: identity: /);
      const otherArgs = ['--certificate-identity', other, '--certificate-oidc-issuer', MOCK_OIDC_ISSUER];
      expect(await cosignJudges(otherArgs, mock.trustedRootPath, 'cosign3', v3Image)).toBe(false);
    });

    it('fails when the bundle is judged for another image (statement subject)', () => {
      expect(
        judge({ certificateIdentity: SUBJECT, certificateOIDCIssuer: MOCK_OIDC_ISSUER }, image.digest),
      ).toMatch(/^SIGNATURE_INVALID: artifact: /);
    });
  });

  describe('without the transparency log (tLogVerify off, cosign --insecure-ignore-tlog)', () => {
    it('both accept: the RFC 3161 time, not the log, proves the certificate was valid at signing', async () => {
      const policy = { certificateIdentity: SUBJECT, certificateOIDCIssuer: MOCK_OIDC_ISSUER };
      const signer = verifyCosignKeylessLayer({
        ...layer,
        policy,
        trustMaterial: trust,
        tLogVerify: false,
        now: new Date(),
      });
      expect(signer.verifiedTimes).toHaveLength(1);
      expect(signer.logIndex).toBeUndefined();
      const identityArgs = ['--certificate-identity', SUBJECT, '--certificate-oidc-issuer', MOCK_OIDC_ISSUER];
      expect(await cosignJudges([...identityArgs, '--insecure-ignore-tlog'])).toBe(true);
    });
  });

  describe('the signer summary', () => {
    it('names the Fulcio identity, the Rekor entry and both verified times (SET and RFC 3161)', () => {
      const signer = signetJudges({ certificateIdentity: SUBJECT, certificateOIDCIssuer: MOCK_OIDC_ISSUER });
      if (signer instanceof SignetError) throw signer;
      expect(signer).toMatchObject({
        subjects: [SUBJECT],
        issuer: MOCK_OIDC_ISSUER,
        keySource: 'certificate',
      });
      expect(signer.logIndex).toMatch(/^\d+$/);
      expect(signer.verifiedTimes).toHaveLength(2);
    });

    it('fails the SET check when the log annotation is tampered with', () => {
      const bundle = JSON.parse(layer.annotations['dev.sigstore.cosign/bundle'] ?? '{}') as {
        Payload: { integratedTime: number };
      };
      bundle.Payload.integratedTime += 1;
      const tampered = verifyOrError(() =>
        verifyCosignKeylessLayer({
          ...layer,
          annotations: { ...layer.annotations, 'dev.sigstore.cosign/bundle': JSON.stringify(bundle) },
          policy: { certificateIdentity: SUBJECT, certificateOIDCIssuer: MOCK_OIDC_ISSUER },
          trustMaterial: trust,
          tLogVerify: true,
          now: new Date(),
        }),
      );
      expect(tampered).toMatch(/^SIGNATURE_INVALID: SET: /);
    });
  });
});

function verifyOrError(action: () => unknown): string {
  try {
    action();
    return 'pass';
  } catch (error) {
    if (error instanceof SignetError) return `${error.code}: ${error.reason}`;
    throw error;
  }
}
