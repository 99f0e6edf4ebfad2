import { SignetError } from '../errors.js';
import { classifyOutcome } from './outcome.js';

describe('classifyOutcome', () => {
  describe('the three outcomes', () => {
    it('is success for an allowed verdict', () => {
      expect(classifyOutcome({ isSuccess: true, error: undefined })).toBe('success');
    });
    it('is failure for a denial whose error is a verdict', () => {
      const error = new SignetError('REVOKED', { stage: 'verify' });
      expect(classifyOutcome({ isSuccess: false, error })).toBe('failure');
    });
    it('is inconclusive for a denial that could not be decided', () => {
      const error = new SignetError('REGISTRY_UNAVAILABLE', { stage: 'resolve' });
      expect(classifyOutcome({ isSuccess: false, error })).toBe('inconclusive');
    });
    it('is inconclusive (fail closed, never cached) for a denial without a reason', () => {
      expect(classifyOutcome({ isSuccess: false, error: undefined })).toBe('inconclusive');
    });
  });
});
