import type { VerifierReport } from '../../verdict/index.js';
import type { Descriptor } from '../../registry/index.js';
import {
  judgeBundle,
  judgeBundles,
  toBundleProof,
  type BundlePolicy,
  type BundleProof,
  type JudgedBundle,
} from './bundle-proofs.js';
import type { EntryResult } from './signature-entries.js';

const SLSA = 'https://slsa.dev/provenance/v0.2';
const SPDX = 'https://spdx.dev/Document';
const CUSTOM = 'https://cosign.sigstore.dev/attestation/v1';

function valid(key: string, predicateType?: string): EntryResult {
  return {
    signatureDigest: `sha256:${key}`,
    isSuccess: true,
    key,
    ...(predicateType === undefined
      ? {}
      : { predicate: { predicateType, statementBytes: 10, predicateKeys: [], predicateKeyCount: 0 } }),
  };
}

function failedEntry(error: string): EntryResult {
  return { signatureDigest: 'sha256:bad', isSuccess: false, error };
}

let bundleCount = 0;
function bundle(proof: BundleProof | undefined, entries: readonly EntryResult[] = []): JudgedBundle {
  bundleCount += 1;
  const report: VerifierReport = {
    subject: `r/app@sha256:${bundleCount}`,
    isSuccess: proof !== undefined,
    name: 'cosign',
    verifierName: 'cosign',
    type: 'cosign',
    verifierType: 'cosign',
    message: proof === undefined ? 'no matching signatures: layer has no signature' : 'ok',
    ...(proof === undefined ? { errorReason: 'layer has no signature' } : {}),
    artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    nestedReports: [],
  };
  return { report, entries, proof };
}

const signature = (key: string): JudgedBundle => bundle({ $case: 'signature', key });
const attestation = (predicateType: string, key = 'k1', conditionFailure?: string): JudgedBundle =>
  bundle({ $case: 'attestation', predicateType, key, conditionFailure });
const unauthentic = (error: string): JudgedBundle => bundle(undefined, [failedEntry(error)]);

function policy(overrides: Partial<BundlePolicy> = {}): BundlePolicy {
  return { name: 'p', count: 1, attestationRules: [{ predicateType: SLSA, conditions: [] }], ...overrides };
}

describe('toBundleProof', () => {
  describe('a bundle valid under the policy', () => {
    it('proves a signature when the statement is cosign sign', () => {
      expect(toBundleProof([valid('k1')], undefined)).toEqual({ $case: 'signature', key: 'k1' });
    });
    it('proves an attestation of its predicate type', () => {
      expect(toBundleProof([valid('k1', SLSA)], undefined)).toEqual({
        $case: 'attestation',
        predicateType: SLSA,
        key: 'k1',
        conditionFailure: undefined,
      });
    });
  });

  describe('a bundle failing the policy', () => {
    it('proves its attestation type, with the reason, when it is authentic without the rules', () => {
      expect(toBundleProof([failedEntry('conditions fail')], [valid('k1', SPDX)])).toEqual({
        $case: 'attestation',
        predicateType: SPDX,
        key: 'k1',
        conditionFailure: 'conditions fail',
      });
    });
    it.each([
      ['not judged again', undefined],
      ['not authentic without the rules either', [failedEntry('bad key')]],
      ['authentic only as a signature', [valid('k1')]],
    ])('proves nothing when %s', (_name, lenient) => {
      expect(toBundleProof([failedEntry('bad key')], lenient)).toBeUndefined();
    });
  });
});

describe('judgeBundles', () => {
  describe('required attestations', () => {
    it.each(['all', 'any'] as const)('passes a signature plus the listed attestation under %s', (rule) => {
      expect(judgeBundles(policy(), [signature('k1'), attestation(SLSA)], rule)).toEqual({
        isSuccess: true,
        reason: undefined,
        proves: ['signature', SLSA],
      });
    });
    it.each(['all', 'any'] as const)('fails a signature alone under %s, naming the missing type', (rule) => {
      expect(judgeBundles(policy(), [signature('k1')], rule).reason).toBe(
        `no matching signatures: trust policy "p" requires an attestation of predicate type ${SLSA}; none was found among the 1 bundle(s) of the image`,
      );
    });
    it('ignores an attestation of a type the policy does not list, even failing its conditions', () => {
      const bundles = [signature('k1'), attestation(SLSA), attestation(CUSTOM, 'k1', 'unlisted')];
      expect(judgeBundles(policy(), bundles, 'all')).toMatchObject({
        isSuccess: true,
        proves: ['signature', SLSA],
      });
    });
    it('fails a listed attestation failing its conditions, with their reason', () => {
      const verdict = judgeBundles(
        policy(),
        [signature('k1'), attestation(SLSA, 'k1', 'builder.id differs')],
        'any',
      );
      expect(verdict).toEqual({
        isSuccess: false,
        reason: 'no matching signatures: builder.id differs',
        proves: ['signature'],
      });
    });
    it('passes a failing attestation outweighed by a valid one of its type under any', () => {
      const bundles = [attestation(SLSA, 'k1', 'builder.id differs'), attestation(SLSA)];
      expect(judgeBundles(policy(), bundles, 'any').isSuccess).toBe(true);
    });
    it('judges attestations of every type when the policy lists none', () => {
      const bundles = [attestation(CUSTOM, 'k1', 'statement invalid')];
      expect(judgeBundles(policy({ attestationRules: undefined }), bundles, 'any').reason).toBe(
        'no matching signatures: statement invalid',
      );
    });
  });

  describe('bundles that prove nothing', () => {
    it('fail the image under all, each named when there are several', () => {
      const bad = unauthentic('invalid signature');
      expect(
        judgeBundles(policy({ attestationRules: undefined }), [signature('k1'), bad], 'all').reason,
      ).toBe(
        `no matching signatures: every bundle must verify (rule all): bundle ${bad.report.subject}: invalid signature`,
      );
    });
    it('are named before a missing attestation type under all, as its likely cause', () => {
      expect(judgeBundles(policy(), [unauthentic('predicate is not a JSON object')], 'all').reason).toBe(
        'no matching signatures: predicate is not a JSON object',
      );
    });
    it('leave the missing attestation type as the reason under any', () => {
      expect(judgeBundles(policy(), [signature('k1'), unauthentic('bad')], 'any').reason).toMatch(
        /requires an attestation of predicate type https:\/\/slsa.dev\/provenance\/v0.2; none was found among the 2 bundle/,
      );
    });
    it('fail with their own reason when they are the only bundle', () => {
      const bundles = [unauthentic('invalid signature')];
      expect(judgeBundles(policy({ attestationRules: undefined }), bundles, 'all').reason).toBe(
        'no matching signatures: invalid signature',
      );
    });
    it('are outweighed by valid bundles under any', () => {
      const bundles = [signature('k1'), unauthentic('invalid signature')];
      expect(judgeBundles(policy({ attestationRules: undefined }), bundles, 'any').isSuccess).toBe(true);
    });
    it('fail the image under any when nothing else proves anything, with their reasons', () => {
      const bundles = [unauthentic('a'), bundle(undefined)];
      expect(judgeBundles(policy({ attestationRules: undefined }), bundles, 'any').reason).toBe(
        'no matching signatures: a; layer has no signature',
      );
    });
    it('fail when there is no bundle at all', () => {
      expect(judgeBundles(policy({ attestationRules: undefined }), [], 'any').reason).toBe(
        'no matching signatures: no bundle proves anything',
      );
    });
  });

  describe('count: distinct keys across bundles of one kind', () => {
    const two = policy({ count: 2, attestationRules: undefined });
    it('passes signatures by two keys in two bundles', () => {
      expect(judgeBundles(two, [signature('k1'), signature('k2')], 'all').isSuccess).toBe(true);
    });
    it.each([
      ['one key', [signature('k1')]],
      ['one key twice', [signature('k1'), signature('k1')]],
    ])('fails signatures by %s, naming the count', (_name, bundles) => {
      expect(judgeBundles(two, bundles, 'all').reason).toBe(
        'no matching signatures: valid signature bundles by 1 of the 2 distinct keys trust policy "p" requires (count)',
      );
    });
    it('counts each attestation type on its own', () => {
      const bundles = [signature('k1'), signature('k2'), attestation(SLSA, 'k1')];
      expect(judgeBundles(two, bundles, 'all').reason).toBe(
        `no matching signatures: valid attestation ${SLSA} bundles by 1 of the 2 distinct keys trust policy "p" requires (count)`,
      );
    });
  });
});

describe('judgeBundle', () => {
  const layer: Descriptor = { mediaType: 'm', digest: 'sha256:aa', size: 1 };
  const rules = policy();

  function setup(results: readonly EntryResult[][]) {
    const fetched: string[] = [];
    const judged: BundlePolicy[] = [];
    const input = {
      fetchBlob: (descriptor: Descriptor) => {
        fetched.push(descriptor.digest);
        return Promise.resolve(new Uint8Array([1]));
      },
    };
    const judge = async (judgedPolicy: BundlePolicy, judgedInput: typeof input) => {
      judged.push(judgedPolicy);
      await judgedInput.fetchBlob(layer);
      return results[judged.length - 1] ?? [];
    };
    return { fetched, judged, run: (bundlePolicy: BundlePolicy) => judgeBundle(bundlePolicy, input, judge) };
  }

  it('judges a valid bundle once, alone (count 1)', async () => {
    const { judged, run } = setup([[valid('k1')]]);
    const result = await run({ ...rules, count: 3 });
    expect(judged).toHaveLength(1);
    expect(judged[0]?.count).toBe(1);
    expect(result.proof).toEqual({ $case: 'signature', key: 'k1' });
  });

  it('judges a failing bundle again without the attestation rules, fetching its blob once', async () => {
    const { fetched, judged, run } = setup([[failedEntry('conditions fail')], [valid('k1', SLSA)]]);
    const result = await run(rules);
    expect(judged.map((judgedPolicy) => judgedPolicy.attestationRules)).toEqual([
      rules.attestationRules,
      undefined,
    ]);
    expect(fetched).toEqual(['sha256:aa']);
    expect(result.proof).toMatchObject({ predicateType: SLSA, conditionFailure: 'conditions fail' });
    expect(result.entries).toEqual([failedEntry('conditions fail')]);
    expect(result.policy.attestationRules).toEqual(rules.attestationRules);
  });

  it('reports an authentic attestation of an unlisted type as judged without the rules', async () => {
    const { run } = setup([[failedEntry('not listed')], [valid('k1', CUSTOM)]]);
    const result = await run(rules);
    expect(result.entries).toEqual([valid('k1', CUSTOM)]);
    expect(result.policy.attestationRules).toBeUndefined();
    expect(result.proof).toMatchObject({ predicateType: CUSTOM });
  });

  it('does not judge again when the policy has no attestation rules', async () => {
    const { judged, run } = setup([[failedEntry('bad key')]]);
    const result = await run({ ...rules, attestationRules: undefined });
    expect(judged).toHaveLength(1);
    expect(result.proof).toBeUndefined();
  });
});
