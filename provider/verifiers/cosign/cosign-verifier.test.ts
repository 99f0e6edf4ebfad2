import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  CosignMode,
  CosignTrustPolicy,
  CosignVerifierConfig,
  KeyProviderConfig,
} from '../../config/index.js';
import { SignetError } from '../../errors.js';
import type { ImageReference } from '../../reference/index.js';
import type { Descriptor } from '../../registry/index.js';
import type { ArtifactVerifyInput } from '../verifier.types.js';
import {
  COSIGN_BUNDLE_ANNOTATION,
  COSIGN_SIGNATURE_ANNOTATION,
  MAX_SIGNATURE_LAYERS,
  createCosignVerifier,
} from './cosign-verifier.js';
import { SIMPLE_SIGNING_MEDIA_TYPE } from './simple-signing.js';

const ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const SUBJECT_DIGEST = `sha256:${'1'.repeat(64)}`;
const SIG_DIGEST = `sha256:${'2'.repeat(64)}`;
const SUBJECT: ImageReference = {
  registry: 'registry.example',
  repository: 'team/app',
  tag: undefined,
  digest: SUBJECT_DIGEST,
  original: `registry.example/team/app@${SUBJECT_DIGEST}`,
  normalized: `registry.example/team/app@${SUBJECT_DIGEST}`,
};

const trusted = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let dir: string;
let trustedPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'signet-cosign-verifier-'));
  trustedPath = join(dir, 'cosign.pub');
  writeFileSync(trustedPath, trusted.publicKey.export({ format: 'pem', type: 'spki' }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function payloadFor(digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': 'registry.example/team/app' },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}

interface Layer {
  readonly descriptor: Descriptor;
  readonly blob: Uint8Array;
}

function signedLayer(
  options: { key?: typeof trusted.privateKey; digest?: string; annotations?: Record<string, string> } = {},
): Layer {
  const blob = payloadFor(options.digest ?? SUBJECT_DIGEST);
  const signature = sign('sha256', blob, {
    key: options.key ?? trusted.privateKey,
    dsaEncoding: 'der',
  }).toString('base64');
  return {
    blob,
    descriptor: {
      mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
      digest: digestOf(blob),
      size: blob.byteLength,
      annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature, ...options.annotations },
    },
  };
}

function policy(
  overrides: Partial<CosignTrustPolicy<KeyProviderConfig>> = {},
): CosignTrustPolicy<KeyProviderConfig> {
  return {
    name: 'default',
    version: '1.0.0',
    scopes: ['*'],
    keys: [{ $case: 'file', path: trustedPath }],
    keyless: undefined,
    tLogVerify: false,
    rekorURL: 'https://rekor.sigstore.dev',
    ...overrides,
  };
}

function config(mode: CosignMode<KeyProviderConfig>): CosignVerifierConfig {
  return {
    $case: 'verifier',
    resource: { kind: 'Verifier', name: 'verifier-cosign', namespace: undefined, document: undefined },
    name: 'cosign',
    artifactTypes: [ARTIFACT_TYPE],
    version: undefined,
    parameters: {},
    type: 'cosign',
    mode,
    nestedArtifactTypes: [],
  };
}

function withPolicies(...trustPolicies: CosignTrustPolicy<KeyProviderConfig>[]): CosignVerifierConfig {
  return config({ $case: 'trustPolicies', trustPolicies });
}

function input(layers: readonly Layer[], fetchBlob?: ArtifactVerifyInput['fetchBlob']): ArtifactVerifyInput {
  const descriptor: Descriptor = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: SIG_DIGEST,
    size: 100,
  };
  return {
    subject: SUBJECT,
    subjectDescriptor: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: SUBJECT_DIGEST,
      size: 500,
    },
    artifact: {
      $case: 'cosignTag',
      descriptor,
      artifactType: ARTIFACT_TYPE,
      manifest: {
        reference: { ...SUBJECT, digest: SIG_DIGEST },
        descriptor,
        bytes: new Uint8Array(),
        manifest: {
          $case: 'image',
          mediaType: descriptor.mediaType,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: SIG_DIGEST, size: 2 },
          layers: layers.map((layer) => layer.descriptor),
        },
      },
    },
    fetchBlob:
      fetchBlob ??
      ((wanted) => {
        const found = layers.find((layer) => layer.descriptor.digest === wanted.digest);
        return found === undefined
          ? Promise.reject(new Error('unexpected blob'))
          : Promise.resolve(found.blob);
      }),
    signal: new AbortController().signal,
    now: new Date(),
  };
}

describe('createCosignVerifier', () => {
  describe('a valid signature by a trusted key', () => {
    it('passes with a Ratify-shaped report naming the signature and key', async () => {
      const layer = signedLayer();
      const report = await createCosignVerifier(withPolicies(policy())).verify(input([layer]));
      expect(report).toEqual({
        subject: `registry.example/team/app@${SIG_DIGEST}`,
        isSuccess: true,
        name: 'cosign',
        verifierName: 'cosign',
        type: 'cosign',
        verifierType: 'cosign',
        message:
          'cosign verification success. valid signatures found. please refer to extensions field for verifications performed.',
        artifactType: ARTIFACT_TYPE,
        extensions: {
          trustPolicy: 'default',
          signatures: [
            {
              signatureDigest: layer.descriptor.digest,
              isSuccess: true,
              key: `file:${trustedPath}`,
              keyAlgorithm: 'ECDSA P-256',
            },
          ],
        },
        nestedReports: [],
      });
    });

    it('passes when one of several signatures is valid (cosign: any signature)', async () => {
      const report = await createCosignVerifier(withPolicies(policy())).verify(
        input([signedLayer({ key: stranger.privateKey }), signedLayer()]),
      );
      expect(report.isSuccess).toBe(true);
      expect(report.extensions?.signatures).toMatchObject([{ isSuccess: false }, { isSuccess: true }]);
    });

    it("passes with Ratify's legacy key parameter (no rekorURL: no transparency log)", async () => {
      const report = await createCosignVerifier(
        config({ $case: 'legacy', key: trustedPath, rekorURL: undefined }),
      ).verify(input([signedLayer()]));
      expect(report.isSuccess).toBe(true);
    });
  });

  describe('signatures that do not verify', () => {
    it.each([
      [
        'another key',
        () => signedLayer({ key: stranger.privateKey }),
        'invalid signature: it does not verify with the 1 key(s) of trust policy "default"',
      ],
      [
        "another image's digest",
        () => signedLayer({ digest: `sha256:${'9'.repeat(64)}` }),
        `simple-signing payload names digest sha256:${'9'.repeat(64)}, not the subject's ${SUBJECT_DIGEST}`,
      ],
      [
        'a corrupt base64 signature',
        () => signedLayer({ annotations: { [COSIGN_SIGNATURE_ANNOTATION]: 'not base64!' } }),
        'signature annotation is not valid base64',
      ],
      [
        'no signature annotation',
        () => ({ ...signedLayer(), descriptor: { ...signedLayer().descriptor, annotations: {} } }),
        `layer has no ${COSIGN_SIGNATURE_ANNOTATION} annotation`,
      ],
      [
        'another layer media type',
        () => ({
          ...signedLayer(),
          descriptor: { ...signedLayer().descriptor, mediaType: 'application/json' },
        }),
        `layer media type is application/json, expected ${SIMPLE_SIGNING_MEDIA_TYPE}`,
      ],
    ])('fails %s: no matching signatures', async (_name, layer, reason) => {
      const report = await createCosignVerifier(withPolicies(policy())).verify(input([layer()]));
      expect(report.isSuccess).toBe(false);
      expect(report.message).toBe(`no matching signatures: ${reason}`);
    });

    it('fails a payload larger than the limit without fetching it', async () => {
      const layer = signedLayer();
      const big = { ...layer, descriptor: { ...layer.descriptor, size: 10 * 1024 * 1024 } };
      const report = await createCosignVerifier(withPolicies(policy())).verify(
        input([big], () => Promise.reject(new Error('fetched'))),
      );
      expect(report.message).toMatch(
        /^no matching signatures: simple-signing payload of 10485760 bytes exceeds/,
      );
    });

    it('fails a manifest with more layers than the limit', async () => {
      const layer = signedLayer();
      const report = await createCosignVerifier(withPolicies(policy())).verify(
        input(Array.from({ length: MAX_SIGNATURE_LAYERS + 1 }, () => layer)),
      );
      expect(report.message).toMatch(/^no matching signatures: signature .* has 129 layers, more than 128/);
      expect(report.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    });

    it('names every signature when several fail', async () => {
      const report = await createCosignVerifier(withPolicies(policy())).verify(
        input([
          signedLayer({ key: stranger.privateKey }),
          signedLayer({ annotations: { [COSIGN_SIGNATURE_ANNOTATION]: '' } }),
        ]),
      );
      expect(report.message).toMatch(
        /^no matching signatures: signature 1 \(sha256:[0-9a-f]+\): invalid signature.*; signature 2 \(sha256:[0-9a-f]+\): layer has no/,
      );
    });
  });

  describe('transparency log (tLogVerify: true, Ratify default)', () => {
    it('fails closed without a Rekor bundle, saying how to verify with keys only', async () => {
      const report = await createCosignVerifier(withPolicies(policy({ tLogVerify: true }))).verify(
        input([signedLayer()]),
      );
      expect(report.message).toMatch(
        /tLogVerify: true but the signature has no Rekor bundle .*set tLogVerify: false/,
      );
    });

    it('fails closed with a Rekor bundle this build cannot verify offline', async () => {
      const layer = signedLayer({ annotations: { [COSIGN_BUNDLE_ANNOTATION]: '{}' } });
      const report = await createCosignVerifier(withPolicies(policy({ tLogVerify: true }))).verify(
        input([layer]),
      );
      expect(report.message).toMatch(/cannot verify Rekor bundles offline/);
    });
  });

  describe('trust policy selection and configuration problems', () => {
    it('uses the policy whose scope covers the repository', async () => {
      const verifier = createCosignVerifier(
        withPolicies(
          policy({ name: 'other', scopes: ['registry.example/other/*'], keys: [] }),
          policy({ name: 'team', scopes: ['registry.example/team/*'] }),
        ),
      );
      expect((await verifier.verify(input([signedLayer()]))).extensions).toMatchObject({
        trustPolicy: 'team',
      });
    });

    it('fails when no scope covers the repository', async () => {
      const report = await createCosignVerifier(
        withPolicies(policy({ scopes: ['registry.example/other/*'] })),
      ).verify(input([signedLayer()]));
      expect(report).toMatchObject({ isSuccess: false, extensions: { code: 'NO_APPLICABLE_POLICY' } });
      expect(report.message).toBe(
        'no cosign trust policy of verifier "cosign" has a scope covering registry.example/team/app',
      );
    });

    it('fails keyless policies closed (not available in this build)', async () => {
      const keyless = {
        certificateIdentity: 'a@example.com',
        certificateIdentityRegExp: undefined,
        certificateOIDCIssuer: 'https://issuer',
        certificateOIDCIssuerRegExp: undefined,
        ctLogVerify: true,
      };
      const report = await createCosignVerifier(withPolicies(policy({ keys: [], keyless }))).verify(
        input([signedLayer()]),
      );
      expect(report.message).toBe(
        'no matching signatures: trust policy "default": keyless verification is not available in this signet build',
      );
    });

    it('reports an unreadable key file as a load-time problem and fails every signature', async () => {
      const verifier = createCosignVerifier(
        withPolicies(policy({ keys: [{ $case: 'file', path: join(dir, 'absent.pub') }] })),
      );
      expect(verifier.problem?.code).toBe('CONFIG_INVALID');
      const report = await verifier.verify(input([signedLayer()]));
      expect(report).toMatchObject({ isSuccess: false, extensions: { code: 'CONFIG_INVALID' } });
    });

    it('reports a key provider whose keys signet does not fetch', () => {
      const provider: KeyProviderConfig = {
        $case: 'keyProvider',
        resource: { kind: 'KeyManagementProvider', name: 'akv', namespace: undefined, document: undefined },
        provider: 'azurekeyvault',
        refreshInterval: undefined,
        certificates: [],
        publicKeys: [],
        azureKeyVault: undefined,
      };
      const verifier = createCosignVerifier(
        withPolicies(
          policy({ keys: [{ $case: 'provider', provider, keyName: undefined, keyVersion: undefined }] }),
        ),
      );
      expect(verifier.problem?.reason).toMatch(
        /KeyManagementProvider\/akv \(azurekeyvault\) are not fetched by signet/,
      );
    });

    it("reports Ratify's legacy form without a key (keyless)", () => {
      expect(
        createCosignVerifier(config({ $case: 'legacy', key: undefined, rekorURL: undefined })).problem
          ?.reason,
      ).toMatch(/keyless verification is not available/);
    });
  });

  describe('inconclusive failures', () => {
    it('rethrows a registry failure instead of reporting a verdict', async () => {
      const unavailable = new SignetError('REGISTRY_UNAVAILABLE', { stage: 'verify' });
      await expect(
        createCosignVerifier(withPolicies(policy())).verify(
          input([signedLayer()], () => Promise.reject(unavailable)),
        ),
      ).rejects.toBe(unavailable);
    });
  });
});
