import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  CosignMode,
  CosignTrustPolicy,
  CosignVerifierConfig,
  KeyProviderConfig,
} from '../../config/index.js';
import { SignetError } from '../../errors.js';
import type { ArtifactVerifyInput } from '../verifier.types.js';
import {
  COSIGN_BUNDLE_ANNOTATION,
  COSIGN_SIGNATURE_ANNOTATION,
  MAX_SIGNATURE_LAYERS,
  createCosignVerifier,
} from './cosign-verifier.js';
import { SIMPLE_SIGNING_MEDIA_TYPE } from './simple-signing.js';
import {
  SIG_DIGEST,
  SUBJECT_DIGEST,
  artifactInput,
  digestOf,
  subjectIn,
  type FixtureLayer,
} from '../../../test/fixtures/cosign-artifacts.js';

const ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const ATTESTATION_TYPE = 'application/vnd.dev.cosign.artifact.att.v1+json';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SUBJECT = subjectIn('team/app');

const trusted = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let dir: string;
let trustedPath: string;
/** The public-good trusted_root.json from sigstore-js's TUF seeds (test/vectors/data), written to a file. */
let productionRootPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'signet-cosign-verifier-'));
  trustedPath = join(dir, 'cosign.pub');
  writeFileSync(trustedPath, trusted.publicKey.export({ format: 'pem', type: 'spki' }));
  const seeds = JSON.parse(
    readFileSync(
      fileURLToPath(
        new URL('../../../test/vectors/data/sigstore-js/packages/tuf/seeds.json', import.meta.url),
      ),
      'utf8',
    ),
  ) as Record<string, { targets: Record<string, string> }>;
  productionRootPath = join(dir, 'trusted_root.json');
  writeFileSync(
    productionRootPath,
    Buffer.from(seeds['https://tuf-repo-cdn.sigstore.dev']?.targets['trusted_root.json'] ?? '', 'base64'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function payloadFor(digest: string, reference = 'registry.example/team/app'): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': reference },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}

function signedLayer(
  options: {
    key?: typeof trusted.privateKey;
    digest?: string;
    reference?: string;
    hash?: string;
    annotations?: Record<string, string>;
  } = {},
): FixtureLayer {
  const blob = payloadFor(options.digest ?? SUBJECT_DIGEST, options.reference);
  const signature = sign(options.hash ?? 'sha256', blob, {
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

function input(
  layers: readonly FixtureLayer[],
  fetchBlob?: ArtifactVerifyInput['fetchBlob'],
  artifactType: string = ARTIFACT_TYPE,
): ArtifactVerifyInput {
  return artifactInput({ subject: SUBJECT, layers, artifactType, fetchBlob });
}

const second = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let secondPath: string;
beforeAll(() => {
  secondPath = join(dir, 'second.pub');
  writeFileSync(secondPath, second.publicKey.export({ format: 'pem', type: 'spki' }));
});

const SLSA = 'https://slsa.dev/provenance/v0.2';

function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${body.length} `), body]);
}

/** A DSSE envelope over an in-toto statement, as a `.att` layer or wrapped in a v0.3 Sigstore bundle layer. */
function dsseLayer(
  options: {
    key?: typeof trusted.privateKey;
    digest?: string;
    predicateType?: string;
    predicate?: unknown;
    bundle?: boolean;
  } = {},
): FixtureLayer {
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: options.predicateType ?? SLSA,
      subject: [
        {
          name: 'registry.example/team/app',
          digest: { sha256: (options.digest ?? SUBJECT_DIGEST).slice(7) },
        },
      ],
      predicate: options.predicate ?? { builder: { id: 'ci' }, buildType: 'make' },
    }),
  );
  const payloadType = 'application/vnd.in-toto+json';
  const envelope = {
    payloadType,
    payload: statement.toString('base64'),
    signatures: [
      {
        keyid: '',
        sig: sign('sha256', pae(payloadType, statement), options.key ?? trusted.privateKey).toString(
          'base64',
        ),
      },
    ],
  };
  const blob = Buffer.from(
    JSON.stringify(
      options.bundle === true
        ? {
            mediaType: BUNDLE_TYPE,
            verificationMaterial: { publicKey: { hint: '' }, tlogEntries: [] },
            dsseEnvelope: envelope,
          }
        : envelope,
    ),
  );
  return {
    blob,
    descriptor: {
      mediaType: options.bundle === true ? BUNDLE_TYPE : 'application/vnd.dsse.envelope.v1+json',
      digest: digestOf(blob),
      size: blob.byteLength,
      annotations: options.bundle === true ? {} : { [COSIGN_SIGNATURE_ANNOTATION]: '' },
    },
  };
}

describe('createCosignVerifier', () => {
  describe('a valid signature by a trusted key', () => {
    it('passes with a Ratify-shaped report naming the signature and key', async () => {
      const layer = signedLayer();
      const report = await (await createCosignVerifier(withPolicies(policy()))).verify(input([layer]));
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
      const report = await (
        await createCosignVerifier(withPolicies(policy()))
      ).verify(input([signedLayer({ key: stranger.privateKey }), signedLayer()]));
      expect(report.isSuccess).toBe(true);
      expect(report.extensions?.signatures).toMatchObject([{ isSuccess: false }, { isSuccess: true }]);
    });

    it("passes with Ratify's legacy key parameter (no rekorURL: no transparency log)", async () => {
      const report = await (
        await createCosignVerifier(config({ $case: 'legacy', key: trustedPath, rekorURL: undefined }))
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
      const report = await (await createCosignVerifier(withPolicies(policy()))).verify(input([layer()]));
      expect(report.isSuccess).toBe(false);
      expect(report.message).toBe(`no matching signatures: ${reason}`);
    });

    it('fails a payload larger than the limit without fetching it', async () => {
      const layer = signedLayer();
      const big = { ...layer, descriptor: { ...layer.descriptor, size: 10 * 1024 * 1024 } };
      const report = await (
        await createCosignVerifier(withPolicies(policy()))
      ).verify(input([big], () => Promise.reject(new Error('fetched'))));
      expect(report.message).toMatch(
        /^no matching signatures: simple-signing payload of 10485760 bytes exceeds/,
      );
    });

    it('fails a manifest with more layers than the limit', async () => {
      const layer = signedLayer();
      const report = await (
        await createCosignVerifier(withPolicies(policy()))
      ).verify(input(Array.from({ length: MAX_SIGNATURE_LAYERS + 1 }, () => layer)));
      expect(report.message).toMatch(/^no matching signatures: signature .* has 129 layers, more than 128/);
      expect(report.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    });

    it('names every signature when several fail', async () => {
      const report = await (
        await createCosignVerifier(withPolicies(policy()))
      ).verify(
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
      const report = await (
        await createCosignVerifier(withPolicies(policy({ tLogVerify: true })))
      ).verify(input([signedLayer()]));
      expect(report.message).toMatch(
        /tLogVerify: true but the signature has no Rekor bundle .*set tLogVerify: false/,
      );
    });

    it('fails closed with a Rekor bundle but no trusted root to check it with, naming trustedRootPath', async () => {
      const layer = signedLayer({ annotations: { [COSIGN_BUNDLE_ANNOTATION]: '{}' } });
      const report = await (
        await createCosignVerifier(withPolicies(policy({ tLogVerify: true })))
      ).verify(input([layer]));
      expect(report.message).toMatch(
        /tLogVerify: true but no trustedRootPath .*set trustedRootPath or tLogVerify: false/,
      );
    });
  });

  describe('keyless policies and Rekor checks with a trusted root (trustedRootPath)', () => {
    const keyless = (trustedRootPath: string | undefined) => ({
      certificateIdentity: 'a@example.com',
      certificateIdentityRegExp: undefined,
      certificateOIDCIssuer: 'https://issuer.example',
      certificateOIDCIssuerRegExp: undefined,
      ctLogVerify: true,
      trustedRootPath,
    });

    it('judges a .sig layer under a keyless policy by its Fulcio certificate, which a key signature lacks', async () => {
      const report = await (
        await createCosignVerifier(withPolicies(policy({ keys: [], keyless: keyless(productionRootPath) })))
      ).verify(input([signedLayer()]));
      expect(report.message).toBe(
        'no matching signatures: certificate chain: the layer has no dev.sigstore.cosign/certificate annotation',
      );
    });

    it("verifies a key-signed layer's Rekor bundle with the trusted root when tLogVerify is true", async () => {
      const layer = signedLayer({
        annotations: { [COSIGN_BUNDLE_ANNOTATION]: '{"SignedEntryTimestamp":"AAAA"}' },
      });
      const report = await (
        await createCosignVerifier(
          withPolicies(policy({ tLogVerify: true, trustedRootPath: productionRootPath })),
        )
      ).verify(input([layer]));
      expect(report.message).toBe('no matching signatures: SET: Rekor bundle has no Payload');
    });

    it('refuses a key-signed bundle under a keyless policy', async () => {
      const report = await (
        await createCosignVerifier(withPolicies(policy({ keys: [], keyless: keyless(productionRootPath) })))
      ).verify(input([dsseLayer({ bundle: true })], undefined, BUNDLE_TYPE));
      expect(report.message).toMatch(/^no matching signatures: (public key|bundle): /);
    });
  });

  describe('trust policy selection and configuration problems', () => {
    it('uses the policy whose scope covers the repository', async () => {
      const verifier = await createCosignVerifier(
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
      const report = await (
        await createCosignVerifier(withPolicies(policy({ scopes: ['registry.example/other/*'] })))
      ).verify(input([signedLayer()]));
      expect(report).toMatchObject({ isSuccess: false, extensions: { code: 'NO_APPLICABLE_POLICY' } });
      expect(report.message).toBe(
        'no cosign trust policy of verifier "cosign" has a scope covering registry.example/team/app',
      );
    });

    it('fails keyless policies without keyless.trustedRootPath closed, naming the field', async () => {
      const keyless = {
        certificateIdentity: 'a@example.com',
        certificateIdentityRegExp: undefined,
        certificateOIDCIssuer: 'https://issuer',
        certificateOIDCIssuerRegExp: undefined,
        ctLogVerify: true,
        trustedRootPath: undefined,
      };
      const report = await (
        await createCosignVerifier(withPolicies(policy({ keys: [], keyless })))
      ).verify(input([signedLayer()]));
      expect(report.message).toBe(
        'no matching signatures: trust policy "default": keyless verification needs keyless.trustedRootPath (a trusted_root.json with the Fulcio CA and Rekor keys); signet does not fetch the public-good Sigstore TUF root',
      );
    });

    it('reports an unreadable trusted root as a load-time problem', async () => {
      const verifier = await createCosignVerifier(
        withPolicies(policy({ trustedRootPath: join(dir, 'absent-trusted-root.json') })),
      );
      expect(verifier.problem).toMatchObject({ code: 'CONFIG_INVALID' });
      expect(verifier.problem?.reason).toMatch(
        /^Sigstore trusted root .*absent-trusted-root.json: cannot be read/,
      );
    });

    it('reports an unreadable key file as a load-time problem and fails every signature', async () => {
      const verifier = await createCosignVerifier(
        withPolicies(policy({ keys: [{ $case: 'file', path: join(dir, 'absent.pub') }] })),
      );
      expect(verifier.problem?.code).toBe('CONFIG_INVALID');
      const report = await verifier.verify(input([signedLayer()]));
      expect(report).toMatchObject({ isSuccess: false, extensions: { code: 'CONFIG_INVALID' } });
    });

    it('reports a key provider that holds no keys', async () => {
      const provider: KeyProviderConfig = {
        $case: 'keyProvider',
        resource: { kind: 'KeyManagementProvider', name: 'akv', namespace: undefined, document: undefined },
        provider: 'azurekeyvault',
        refreshInterval: undefined,
        certificates: [],
        publicKeys: [],
        azureKeyVault: undefined,
      };
      const verifier = await createCosignVerifier(
        withPolicies(
          policy({ keys: [{ $case: 'provider', provider, keyName: undefined, keyVersion: undefined }] }),
        ),
      );
      expect(verifier.problem?.reason).toMatch(
        /KeyManagementProvider\/akv \(azurekeyvault\) holds no public keys for cosign/,
      );
    });

    it('fails closed, without a configuration problem, while a Key Vault provider is unavailable', async () => {
      const provider: KeyProviderConfig = {
        $case: 'keyProvider',
        resource: { kind: 'KeyManagementProvider', name: 'akv', namespace: undefined, document: undefined },
        provider: 'azurekeyvault',
        refreshInterval: undefined,
        certificates: [],
        publicKeys: [],
        azureKeyVault: undefined,
        unavailable: 'key signing (latest version) is disabled',
      };
      const verifier = await createCosignVerifier(
        withPolicies(
          policy({ keys: [{ $case: 'provider', provider, keyName: undefined, keyVersion: undefined }] }),
        ),
      );
      expect(verifier.problem).toBeUndefined();
      const report = await verifier.verify(input([signedLayer()]));
      expect(report.isSuccess).toBe(false);
      expect(report.message).toContain(
        'KeyManagementProvider/akv has no usable keys: key signing (latest version) is disabled',
      );
    });

    it("reports Ratify's legacy form without a key (keyless)", async () => {
      expect(
        (await createCosignVerifier(config({ $case: 'legacy', key: undefined, rekorURL: undefined }))).problem
          ?.reason,
      ).toMatch(/keyless verification needs trustPolicies with keyless.trustedRootPath/);
    });
  });

  describe('signet extensions of the trust policy', () => {
    const twoKeys = () =>
      policy({
        keys: [
          { $case: 'file', path: trustedPath },
          { $case: 'file', path: secondPath },
        ],
      });

    it('count: 2 passes with signatures by both keys', async () => {
      const report = await (
        await createCosignVerifier(withPolicies({ ...twoKeys(), count: 2 }))
      ).verify(input([signedLayer(), signedLayer({ key: second.privateKey })]));
      expect(report.isSuccess).toBe(true);
      expect(report.extensions).toMatchObject({ count: 2 });
    });

    // Whether count is met and what required: false softens are policy's: provider/policy/cosign-rules.test.ts.

    it('signatureDigestAlgorithm selects the hash signatures are checked over', async () => {
      const layer = signedLayer({ hash: 'sha384' });
      const verifier = (hash?: 'sha384') =>
        createCosignVerifier(
          withPolicies(policy(hash === undefined ? {} : { signatureDigestAlgorithm: hash })),
        );
      expect((await (await verifier()).verify(input([layer]))).isSuccess).toBe(false);
      expect((await (await verifier('sha384')).verify(input([layer]))).isSuccess).toBe(true);
    });

    it.each([
      [
        'matchRepository, payload naming the repository',
        { $case: 'matchRepository' } as const,
        undefined,
        true,
      ],
      [
        'matchRepository, payload naming another',
        { $case: 'matchRepository' } as const,
        'registry.example/x',
        false,
      ],
      [
        'exactRepository (Docker Hub spellings are one)',
        { $case: 'exactRepository', dockerRepository: 'docker.io/library/app' } as const,
        'index.docker.io/library/app',
        true,
      ],
    ])('signedIdentity %s', async (_name, signedIdentity, reference, expected) => {
      const report = await (
        await createCosignVerifier(withPolicies(policy({ signedIdentity })))
      ).verify(input([signedLayer(reference === undefined ? {} : { reference })]));
      expect(report.isSuccess).toBe(expected);
    });
  });

  describe('attestations (.att DSSE layers)', () => {
    it('passes a valid attestation of an accepted type with a bounded predicate summary', async () => {
      const layer = dsseLayer();
      const report = await (
        await createCosignVerifier(
          withPolicies(policy({ attestations: [{ predicateType: 'slsaprovenance', conditions: [] }] })),
        )
      ).verify(input([layer], undefined, ATTESTATION_TYPE));
      expect(report.isSuccess).toBe(true);
      expect(report.extensions?.signatures).toEqual([
        {
          signatureDigest: layer.descriptor.digest,
          isSuccess: true,
          key: `file:${trustedPath}`,
          keyAlgorithm: 'ECDSA P-256',
          predicate: {
            predicateType: SLSA,
            statementBytes: expect.any(Number) as unknown,
            predicateKeys: ['builder', 'buildType'],
            predicateKeyCount: 2,
          },
        },
      ]);
    });

    it.each([
      [
        'of a type the policy does not accept',
        () => dsseLayer({ predicateType: 'https://spdx.dev/Document' }),
        /attestation predicate type https:\/\/spdx.dev\/Document is not one trust policy "default" accepts/,
      ],
      ['by another key', () => dsseLayer({ key: stranger.privateKey }), /invalid signature/],
      [
        'about another image',
        () => dsseLayer({ digest: `sha256:${'9'.repeat(64)}` }),
        /in-toto statement subjects name sha256:9{64}, not the subject's/,
      ],
    ])('fails an attestation %s', async (_name, layer, reason) => {
      const report = await (
        await createCosignVerifier(
          withPolicies(policy({ attestations: [{ predicateType: 'slsaprovenance', conditions: [] }] })),
        )
      ).verify(input([layer()], undefined, ATTESTATION_TYPE));
      expect(report.isSuccess).toBe(false);
      expect(report.message).toMatch(reason);
    });

    it.each([
      ['passes an attestation meeting the conditions', 'ci', undefined],
      [
        'fails an attestation missing them, naming the condition',
        'https://evil',
        'no matching signatures: attestation https://slsa.dev/provenance/v0.2 does not meet the conditions of trust policy "default": {{ builder.id }} Equals "https://evil" does not hold (found "ci")',
      ],
    ])('%s', async (_name, builder, message) => {
      const conditions = [
        {
          all: [
            { key: '{{ builder.id }}', path: ['builder', 'id'], operator: 'Equals' as const, value: builder },
          ],
          any: [],
        },
      ];
      const report = await (
        await createCosignVerifier(
          withPolicies(policy({ attestations: [{ predicateType: 'slsaprovenance', conditions }] })),
        )
      ).verify(input([dsseLayer()], undefined, ATTESTATION_TYPE));
      expect(report.isSuccess).toBe(message === undefined);
      if (message !== undefined) expect(report.message).toBe(message);
    });

    it('accepts any predicate type when the policy lists none', async () => {
      const report = await (
        await createCosignVerifier(withPolicies(policy()))
      ).verify(
        input([dsseLayer({ predicateType: 'https://example.com/custom/v1' })], undefined, ATTESTATION_TYPE),
      );
      expect(report.isSuccess).toBe(true);
    });
  });

  describe('Sigstore bundles (cosign v3 referrers)', () => {
    it('passes a cosign v3 signature bundle whatever attestations the policy lists', async () => {
      const report = await (
        await createCosignVerifier(
          withPolicies(policy({ attestations: [{ predicateType: 'spdx', conditions: [] }] })),
        )
      ).verify(
        input(
          [dsseLayer({ bundle: true, predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {} })],
          undefined,
          BUNDLE_TYPE,
        ),
      );
      expect(report.isSuccess).toBe(true);
      expect(report.extensions?.signatures).toMatchObject([{ isSuccess: true }]);
      expect(report.extensions?.signatures).not.toMatchObject([{ predicate: expect.anything() as unknown }]);
    });

    it('fails an attestation bundle whose predicate is not an object', async () => {
      const report = await (
        await createCosignVerifier(withPolicies(policy()))
      ).verify(input([dsseLayer({ bundle: true, predicate: '{"a":1}' })], undefined, BUNDLE_TYPE));
      expect(report.message).toBe('no matching signatures: in-toto statement predicate is not a JSON object');
    });

    it('fails closed under tLogVerify: true when the bundle has no log entry', async () => {
      const report = await (
        await createCosignVerifier(withPolicies(policy({ tLogVerify: true })))
      ).verify(input([dsseLayer({ bundle: true })], undefined, BUNDLE_TYPE));
      expect(report.message).toMatch(
        /tLogVerify: true but the signature has no Rekor bundle \(verificationMaterial.tlogEntries\)/,
      );
    });
  });

  describe('inconclusive failures', () => {
    it('rethrows a registry failure instead of reporting a verdict', async () => {
      const unavailable = new SignetError('REGISTRY_UNAVAILABLE', { stage: 'verify' });
      await expect(
        (await createCosignVerifier(withPolicies(policy()))).verify(
          input([signedLayer()], () => Promise.reject(unavailable)),
        ),
      ).rejects.toBe(unavailable);
    });
  });
});
