import { judgeBundles } from './cosign-bundle-rules.js';
import {
  CUSTOM,
  SLSA,
  attestation,
  bundle,
  policy,
  signature,
  unauthentic,
} from '../../test/fixtures/cosign-bundles.js';

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
