import { SignetError } from '../errors.js';
import { verdictCacheKey } from './verdict-key.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const base = {
  subjectDigest: DIGEST,
  configGeneration: 3,
  registry: 'registry.example:5000',
  repository: 'team/app',
};

describe('verdictCacheKey', () => {
  describe('inputs', () => {
    it('is stable for the same parts', () => {
      expect(verdictCacheKey(base)).toBe(verdictCacheKey({ ...base }));
    });

    it.each([
      ['digest', { subjectDigest: `sha256:${'b'.repeat(64)}` }],
      ['config generation', { configGeneration: 4 }],
      ['namespace', { namespace: 'prod' }],
      ['registry', { registry: 'other.example' }],
      ['repository', { repository: 'team/other' }],
    ])('changes with the %s', (_part, change) => {
      expect(verdictCacheKey({ ...base, ...change })).not.toBe(verdictCacheKey(base));
    });
  });

  describe('tags', () => {
    it.each(['latest', 'v1.2.3', 'alpine:3.20', ''])('refuses %j as a subject digest', (tag) => {
      expect(() => verdictCacheKey({ ...base, subjectDigest: tag })).toThrow(SignetError);
    });
  });
});
