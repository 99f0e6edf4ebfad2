import { TOKEN_EXPIRY_SKEW_MS, TOKEN_MAX_LIFETIME_MS, createTokenCache } from './token-cache.js';

describe('createTokenCache', () => {
  describe('expiry', () => {
    it('keeps a token until expires_in minus the skew', () => {
      let now = 1_000_000;
      const cache = createTokenCache(() => now);
      cache.set('h\nscope', 't', 60);
      now += 60_000 - TOKEN_EXPIRY_SKEW_MS - 1;
      expect(cache.get('h\nscope')).toBe('t');
      now += 1;
      expect(cache.get('h\nscope')).toBeUndefined();
    });
    it('does not keep a token that expires within the skew', () => {
      const cache = createTokenCache(() => 0);
      cache.set('k', 't', TOKEN_EXPIRY_SKEW_MS / 1000);
      expect(cache.get('k')).toBeUndefined();
    });
    it('caps absurd lifetimes (olareg sends nanoseconds)', () => {
      let now = 0;
      const cache = createTokenCache(() => now);
      cache.set('k', 't', 300_000_000_000);
      now = TOKEN_MAX_LIFETIME_MS;
      expect(cache.get('k')).toBeUndefined();
    });
  });

  describe('getOrFetch', () => {
    it('shares one fetch among concurrent callers and caches the result', async () => {
      const cache = createTokenCache(() => 0);
      let fetches = 0;
      const fetch = async () => {
        fetches += 1;
        await Promise.resolve();
        return { token: 'shared', expiresInSeconds: 300 };
      };
      const tokens = await Promise.all([cache.getOrFetch('k', fetch), cache.getOrFetch('k', fetch)]);
      expect(tokens).toEqual(['shared', 'shared']);
      expect(await cache.getOrFetch('k', fetch)).toBe('shared');
      expect(fetches).toBe(1);
    });
    it('does not cache a failed fetch', async () => {
      const cache = createTokenCache(() => 0);
      await expect(cache.getOrFetch('k', () => Promise.reject(new Error('denied')))).rejects.toThrow(
        'denied',
      );
      expect(await cache.getOrFetch('k', () => Promise.resolve({ token: 'ok', expiresInSeconds: 300 }))).toBe(
        'ok',
      );
    });
  });

  describe('scopes', () => {
    it('keys tokens by host and scope', () => {
      const cache = createTokenCache(() => 0);
      cache.set('h\nrepository:a:pull', 'a', 300);
      expect(cache.get('h\nrepository:b:pull')).toBeUndefined();
    });
  });
});
