import type { Descriptor } from '../../registry/index.js';
import { judgeBundle, toBundleProof, type BundlePolicy } from './bundle-proofs.js';
import type { EntryResult } from './signature-entries.js';
import { CUSTOM, SLSA, SPDX, failedEntry, policy, valid } from '../../../test/fixtures/cosign-bundles.js';

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
