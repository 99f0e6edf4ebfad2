import { SignetError } from '../errors.js';
import { checkDigest, parseDigest } from './digest.js';

describe('checkDigest', () => {
  describe('valid digests', () => {
    it.each([`sha256:${'0'.repeat(64)}`, `sha512:${'a'.repeat(128)}`])('%s', (text) => {
      expect(checkDigest(text)).toEqual({
        $case: 'valid',
        digest: { algorithm: text.slice(0, 6), hex: text.slice(7), value: text },
      });
    });
  });

  describe('invalid digests', () => {
    it.each([
      ['sha256', 'not of the form'],
      [`sha256:${'g'.repeat(64)}`, 'not of the form'],
      [`sha256:${'a'.repeat(63)}`, 'must have 64 hex digits, got 63'],
      [`sha256:${'a'.repeat(65)}`, 'must have 64 hex digits, got 65'],
      [`sha256:${'A'.repeat(64)}`, 'lowercase'],
      [`md5:${'a'.repeat(32)}`, 'not supported'],
      [`sha384:${'a'.repeat(96)}`, 'not supported'],
      [`toString:${'a'.repeat(64)}`, 'not supported'],
      [`sha256+b64u:${'a'.repeat(64)}`, 'not supported'],
      [`:${'a'.repeat(64)}`, 'not of the form'],
    ])('%s (%s)', (text, problem) => {
      const check = checkDigest(text);
      expect(check.$case).toBe('invalid');
      expect(check.$case === 'invalid' ? check.problem : '').toContain(problem);
    });
  });
});

describe('parseDigest', () => {
  describe('an invalid digest', () => {
    it('throws REFERENCE_INVALID naming the digest', () => {
      expect(() => parseDigest('sha256:abc')).toThrow(SignetError);
    });
  });
});
