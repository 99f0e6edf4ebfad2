import { DEFAULT_REGISTRY_LIMITS } from './limits.js';

describe('DEFAULT_REGISTRY_LIMITS', () => {
  describe('DESIGN.md defaults', () => {
    it('match the documented limits', () => {
      expect(DEFAULT_REGISTRY_LIMITS).toEqual({
        manifestBytes: 4 * 1024 * 1024,
        blobBytes: 64 * 1024 * 1024,
        notationEnvelopeBytes: 32 * 1024 * 1024,
        referrersPages: 10,
        referrersPerSubject: 1000,
        indexDepth: 2,
      });
    });
  });
});
