import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CosignTrustPolicy, CosignVerifierConfig, KeyProviderConfig } from '../config/index.js';
import type { VerifierReport } from '../verdict/index.js';
import {
  COSIGN_SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  createCosignVerifier,
} from '../verifiers/cosign/index.js';
import type { ArtifactVerifyInput, CosignVerifier } from '../verifiers/index.js';
import { combineCosignReports } from './cosign-rules.js';
import {
  SIG_DIGEST,
  SUBJECT_DIGEST,
  artifactInput,
  digestOf,
  subjectIn,
  type FixtureLayer,
} from '../../test/fixtures/cosign-artifacts.js';

const SIG_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const SLSA = 'https://slsa.dev/provenance/v0.2';
const CUSTOM = 'https://cosign.sigstore.dev/attestation/v1';
const SUBJECT = subjectIn('team/app');

const firstKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const secondKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let dir: string;
let firstPath: string;
let secondPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'signet-cosign-rules-'));
  firstPath = join(dir, 'first.pub');
  secondPath = join(dir, 'second.pub');
  writeFileSync(firstPath, firstKey.publicKey.export({ format: 'pem', type: 'spki' }));
  writeFileSync(secondPath, secondKey.publicKey.export({ format: 'pem', type: 'spki' }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A cosign v3 bundle referrer: a DSSE envelope over an in-toto statement about the subject. */
function bundleInput(
  predicateType: string,
  key = firstKey.privateKey,
  predicate: unknown = { builder: { id: 'ci' } },
): ArtifactVerifyInput {
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      predicateType,
      subject: [{ name: 'registry.example/team/app', digest: { sha256: SUBJECT_DIGEST.slice(7) } }],
      predicate,
    }),
  );
  const payloadType = 'application/vnd.in-toto+json';
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${statement.length} `),
    statement,
  ]);
  const blob = Buffer.from(
    JSON.stringify({
      mediaType: BUNDLE_TYPE,
      verificationMaterial: { publicKey: { hint: '' }, tlogEntries: [] },
      dsseEnvelope: {
        payloadType,
        payload: statement.toString('base64'),
        signatures: [{ keyid: '', sig: sign('sha256', pae, key).toString('base64') }],
      },
    }),
  );
  const layer = {
    descriptor: { mediaType: BUNDLE_TYPE, digest: digestOf(blob), size: blob.byteLength },
    blob,
  };
  return artifactInput({
    subject: SUBJECT,
    layers: [layer],
    artifactType: BUNDLE_TYPE,
    discoveredAs: 'referrer',
    manifestDigest: digestOf(Buffer.concat([blob, Buffer.from('manifest')])),
  });
}

/** A cosign `.sig` tag holding simple-signing layers over the subject. */
function sigInput(layers: readonly FixtureLayer[]): ArtifactVerifyInput {
  return artifactInput({ subject: SUBJECT, layers, artifactType: SIG_TYPE });
}

/** A simple-signing layer over the subject, signed by `key`. */
function signedLayer(key = firstKey.privateKey): FixtureLayer {
  const blob = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': 'registry.example/team/app' },
        image: { 'docker-manifest-digest': SUBJECT_DIGEST },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  const signature = sign('sha256', blob, { key, dsaEncoding: 'der' }).toString('base64');
  return {
    blob,
    descriptor: {
      mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
      digest: digestOf(blob),
      size: blob.byteLength,
      annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature },
    },
  };
}

function policy(
  overrides: Partial<CosignTrustPolicy<KeyProviderConfig>> = {},
): CosignTrustPolicy<KeyProviderConfig> {
  return {
    name: 'default',
    version: '1.0.0',
    scopes: ['registry.example/team/*'],
    keys: [{ $case: 'file', path: firstPath }],
    keyless: undefined,
    tLogVerify: false,
    rekorURL: 'https://rekor.sigstore.dev',
    ...overrides,
  };
}

function verifier(...trustPolicies: CosignTrustPolicy<KeyProviderConfig>[]): Promise<CosignVerifier> {
  const config: CosignVerifierConfig = {
    $case: 'verifier',
    resource: { kind: 'Verifier', name: 'verifier-cosign', namespace: undefined, document: undefined },
    name: 'cosign',
    artifactTypes: [BUNDLE_TYPE],
    version: undefined,
    parameters: {},
    type: 'cosign',
    mode: { $case: 'trustPolicies', trustPolicies },
    nestedArtifactTypes: [],
  };
  return createCosignVerifier(config);
}

/** Judges each artifact, then combines the findings under the trust policy as verifySubject does. */
async function judge(
  cosign: CosignVerifier,
  inputs: readonly ArtifactVerifyInput[],
  rule: 'any' | 'all' = 'all',
  extra: readonly VerifierReport[] = [],
): Promise<VerifierReport[]> {
  const findings = await Promise.all(inputs.map((input) => cosign.judge(input)));
  // A report that did not come with a finding proves nothing.
  const standing = extra.map((report) => ({ report, entries: [], proof: undefined }));
  return combineCosignReports(SUBJECT, cosign, [...standing, ...findings], {
    artifactVerificationPolicies: {},
    defaultRule: rule,
  });
}

const provenance = { attestations: [{ predicateType: 'slsaprovenance', conditions: [] }] };

describe('combineCosignReports', () => {
  describe('bundles of one subject', () => {
    it('become one report for the subject, nesting each bundle report, extensions naming what they prove', async () => {
      const reports = await judge(await verifier(policy(provenance)), [
        bundleInput(SIGN_PREDICATE),
        bundleInput(SLSA),
      ]);
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({
        subject: SUBJECT.normalized,
        isSuccess: true,
        name: 'cosign',
        type: 'cosign',
        artifactType: BUNDLE_TYPE,
        message:
          'cosign verification success. valid bundles prove: signature, https://slsa.dev/provenance/v0.2. please refer to nestedReports for each bundle.',
        extensions: { trustPolicy: 'default', proves: ['signature', SLSA] },
      });
      expect(reports[0]?.extensions?.signatures).toHaveLength(2);
      expect(reports[0]?.nestedReports.map((report) => report.isSuccess)).toEqual([true, true]);
    });

    it.each(['all', 'any'] as const)(
      'deny a signature without the required attestation under %s',
      async (rule) => {
        const [report] = await judge(await verifier(policy(provenance)), [bundleInput(SIGN_PREDICATE)], rule);
        expect(report).toMatchObject({
          isSuccess: false,
          message: `no matching signatures: trust policy "default" requires an attestation of predicate type ${SLSA}; none was found among the 1 bundle(s) of the image`,
        });
        expect(report?.remediation).toMatch(/attestation types it lists/);
      },
    );

    it('ignore an authentic attestation of an unlisted type under all, nesting it as judged', async () => {
      const reports = await judge(await verifier(policy(provenance)), [
        bundleInput(SIGN_PREDICATE),
        bundleInput(SLSA),
        bundleInput(CUSTOM),
      ]);
      expect(reports.map((report) => report.isSuccess)).toEqual([true]);
      expect(reports[0]?.nestedReports.map((report) => report.isSuccess)).toEqual([true, true, true]);
      expect(reports[0]?.extensions?.proves).toEqual(['signature', SLSA]);
    });

    it('deny a listed attestation failing its conditions, with their reason', async () => {
      const conditions = [
        {
          all: [
            {
              key: '{{ builder.id }}',
              path: ['builder', 'id'],
              operator: 'Equals' as const,
              value: 'trusted',
            },
          ],
          any: [],
        },
      ];
      const [report] = await judge(
        await verifier(policy({ attestations: [{ predicateType: 'slsaprovenance', conditions }] })),
        [bundleInput(SLSA)],
      );
      expect(report?.message).toBe(
        `no matching signatures: attestation ${SLSA} does not meet the conditions of trust policy "default": {{ builder.id }} Equals "trusted" does not hold (found "ci")`,
      );
    });

    it('count distinct keys across bundles', async () => {
      const two = policy({
        keys: [
          { $case: 'file', path: firstPath },
          { $case: 'file', path: secondPath },
        ],
        count: 2,
      });
      const both = await judge(await verifier(two), [
        bundleInput(SIGN_PREDICATE, firstKey.privateKey),
        bundleInput(SIGN_PREDICATE, secondKey.privateKey),
      ]);
      expect(both[0]).toMatchObject({ isSuccess: true, extensions: { count: 2 } });
      const one = await judge(await verifier(two), [bundleInput(SIGN_PREDICATE, firstKey.privateKey)]);
      expect(one[0]?.message).toBe(
        'no matching signatures: valid signature bundles by 1 of the 2 distinct keys trust policy "default" requires (count)',
      );
    });

    it('under required: false turn a failure into a passing report saying so', async () => {
      const [report] = await judge(await verifier(policy({ ...provenance, required: false })), [
        bundleInput(SIGN_PREDICATE),
      ]);
      expect(report?.isSuccess).toBe(true);
      expect(report?.message).toMatch(
        /^cosign verification not required by trust policy "default" \(required: false\): no matching signatures: trust policy "default" requires/,
      );
    });

    it('treat a report the verifier did not make as proving nothing', async () => {
      const foreign: VerifierReport = {
        subject: 'registry.example/team/app@sha256:ff',
        isSuccess: true,
        name: 'cosign',
        verifierName: 'cosign',
        type: 'cosign',
        verifierType: 'cosign',
        message: 'ok',
        artifactType: BUNDLE_TYPE,
        nestedReports: [],
      };
      const reports = await judge(await verifier(policy()), [bundleInput(SIGN_PREDICATE)], 'all', [foreign]);
      expect(reports[0]?.message).toBe(
        'no matching signatures: every bundle must verify (rule all): bundle registry.example/team/app@sha256:ff: ok',
      );
    });
  });

  describe('a .sig artifact under the signet extensions of its trust policy', () => {
    const twoKeys = () =>
      policy({
        keys: [
          { $case: 'file', path: firstPath },
          { $case: 'file', path: secondPath },
        ],
      });

    it('count: 2 fails with two signatures by the same key, naming the count', async () => {
      const [report] = await judge(await verifier({ ...twoKeys(), count: 2 }), [
        sigInput([signedLayer(), signedLayer()]),
      ]);
      expect(report?.isSuccess).toBe(false);
      expect(report?.message).toBe(
        'no matching signatures: valid signatures by 1 of the 2 distinct keys trust policy "default" requires (count)',
      );
    });

    it('required: false reports a failure without denying', async () => {
      const [report] = await judge(await verifier(policy({ required: false })), [
        sigInput([signedLayer(stranger.privateKey)]),
      ]);
      expect(report?.isSuccess).toBe(true);
      expect(report?.message).toMatch(
        /^cosign verification not required by trust policy "default" \(required: false\): no matching signatures: invalid signature/,
      );
      expect(report?.extensions).toMatchObject({ required: false, signatures: [{ isSuccess: false }] });
    });

    it('required: false also softens a manifest that cannot be judged at all', async () => {
      const [report] = await judge(await verifier(policy({ required: false })), [sigInput([])]);
      expect(report).toMatchObject({
        isSuccess: true,
        message: `cosign verification not required by trust policy "default" (required: false): no matching signatures: signature ${SIG_DIGEST} has no signature layers`,
        extensions: { required: false },
      });
      expect(report).not.toHaveProperty('errorReason');
    });
  });

  describe('reports that are not bundles', () => {
    it('pass through unchanged beside the bundles report', async () => {
      const sig: VerifierReport = {
        subject: 'registry.example/team/app@sha256:ee',
        isSuccess: false,
        name: 'cosign',
        verifierName: 'cosign',
        type: 'cosign',
        verifierType: 'cosign',
        message: 'no matching signatures: invalid signature',
        artifactType: SIG_TYPE,
        nestedReports: [],
      };
      const reports = await judge(await verifier(policy()), [bundleInput(SIGN_PREDICATE)], 'all', [sig]);
      expect(reports).toHaveLength(2);
      expect(reports[0]).toBe(sig);
      expect(reports[1]?.artifactType).toBe(BUNDLE_TYPE);
    });
  });

  describe('no report at all', () => {
    it('stays no report when the policy is required (signature not found)', async () => {
      expect(await judge(await verifier(policy()), [])).toEqual([]);
    });

    it('is a passing report under required: false', async () => {
      expect(await judge(await verifier(policy({ required: false })), [])).toEqual([
        {
          subject: SUBJECT.normalized,
          isSuccess: true,
          name: 'cosign',
          verifierName: 'cosign',
          type: 'cosign',
          verifierType: 'cosign',
          message:
            'cosign verification not required by trust policy "default" (required: false): signature not found',
          artifactType: BUNDLE_TYPE,
          extensions: { trustPolicy: 'default', required: false },
          nestedReports: [],
        },
      ]);
    });
  });

  describe('a verifier whose keys cannot be loaded', () => {
    it('leaves its failed reports as they are', async () => {
      const broken = await verifier(policy({ keys: [{ $case: 'file', path: join(dir, 'missing.pub') }] }));
      expect(broken.problem).toBeDefined();
      const reports = await judge(broken, [bundleInput(SIGN_PREDICATE)]);
      expect(reports.map((report) => report.isSuccess)).toEqual([false]);
      expect(reports[0]?.nestedReports).toEqual([]);
    });
  });

  describe('no trust policy covering the subject', () => {
    it('leaves the reports as they are', async () => {
      const elsewhere = await verifier(policy({ scopes: ['other.example/*'], required: false }));
      const reports = await judge(elsewhere, [bundleInput(SIGN_PREDICATE)]);
      expect(reports).toHaveLength(1);
      expect(reports[0]?.extensions?.code).toBe('NO_APPLICABLE_POLICY');
    });
  });
});
