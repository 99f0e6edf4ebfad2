/** Bearer tokens per registry host and scope, kept until shortly before they expire. */
export interface TokenCache {
  get(key: string): string | undefined;
  /** Stores a token valid for `expiresInSeconds` from now. */
  set(key: string, token: string, expiresInSeconds: number): void;
  delete(key: string): void;
  /** One token fetch per key at a time: concurrent callers share the pending fetch. */
  getOrFetch(key: string, fetch: () => Promise<{ token: string; expiresInSeconds: number }>): Promise<string>;
}

/** Tokens are dropped this long before the registry says they expire (clock skew, request time). */
export const TOKEN_EXPIRY_SKEW_MS = 10_000;
/**
 * Longest a token is kept whatever `expires_in` says (some registries send nanoseconds); a token
 * that dies earlier is refused with a 401, which mints a new one.
 */
export const TOKEN_MAX_LIFETIME_MS = 60 * 60 * 1000;
/** Upper bound on entries, so a stream of distinct scopes cannot grow memory without bound. */
const MAX_ENTRIES = 10_000;

export function createTokenCache(now: () => number = Date.now): TokenCache {
  const tokens = new Map<string, { token: string; expiresAt: number }>();
  const pending = new Map<string, Promise<string>>();

  const cache: TokenCache = {
    get(key) {
      const entry = tokens.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= now()) {
        tokens.delete(key);
        return undefined;
      }
      return entry.token;
    },
    set(key, token, expiresInSeconds) {
      const expiresAt =
        now() + Math.min(expiresInSeconds * 1000, TOKEN_MAX_LIFETIME_MS) - TOKEN_EXPIRY_SKEW_MS;
      if (expiresAt <= now()) return;
      if (tokens.size >= MAX_ENTRIES) {
        const oldest = tokens.keys().next();
        if (oldest.done !== true) tokens.delete(oldest.value);
      }
      tokens.set(key, { token, expiresAt });
    },
    delete(key) {
      tokens.delete(key);
    },
    getOrFetch(key, fetch) {
      const cached = cache.get(key);
      if (cached !== undefined) return Promise.resolve(cached);
      const inFlight = pending.get(key);
      if (inFlight !== undefined) return inFlight;
      const request = fetch()
        .then(({ token, expiresInSeconds }) => {
          cache.set(key, token, expiresInSeconds);
          return token;
        })
        .finally(() => pending.delete(key));
      pending.set(key, request);
      return request;
    },
  };
  return cache;
}
