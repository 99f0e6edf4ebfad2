import { createTtlCache } from './ttl-cache.js';

describe('createTtlCache', () => {
  describe('expiry', () => {
    it('forgets a value after ttlMs', () => {
      let time = 0;
      const cache = createTtlCache<string>({ ttlMs: 5_000, maxEntries: 10, now: () => time });
      cache.set('alpine:3.20', 'sha256:aa');
      time = 4_999;
      expect(cache.get('alpine:3.20')).toBe('sha256:aa');
      time = 5_000;
      expect(cache.get('alpine:3.20')).toBeUndefined();
    });
  });

  describe('bound', () => {
    it('keeps at most maxEntries, dropping the least recently used', () => {
      const cache = createTtlCache<number>({ ttlMs: 60_000, maxEntries: 2, now: () => 0 });
      cache.set('a', 1);
      cache.set('b', 2);
      cache.get('a');
      cache.set('c', 3);
      expect(cache.get('b')).toBeUndefined();
      expect(cache.size).toBe(2);
    });
  });
});
