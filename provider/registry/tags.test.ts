import { SignetError } from '../errors.js';
import { toCosignTag, toReferrersFallbackTag } from './tags.js';

const HEX = 'ab'.repeat(32);

describe('toReferrersFallbackTag', () => {
  describe('sha256', () => {
    it('is sha256-<hex>', () => {
      expect(toReferrersFallbackTag(`sha256:${HEX}`)).toBe(`sha256-${HEX}`);
    });
  });
  describe('sha512', () => {
    it('truncates the hex to 64 characters', () => {
      expect(toReferrersFallbackTag(`sha512:${'c'.repeat(128)}`)).toBe(`sha512-${'c'.repeat(64)}`);
    });
  });
  describe('an invalid digest', () => {
    it('throws', () => {
      expect(() => toReferrersFallbackTag('sha256:xyz')).toThrow(SignetError);
    });
  });
});

describe('toCosignTag', () => {
  describe('kinds', () => {
    it.each(['sig', 'att', 'sbom'] as const)('.%s', (kind) => {
      expect(toCosignTag(`sha256:${HEX}`, kind)).toBe(`sha256-${HEX}.${kind}`);
    });
  });
});
