import type { CacheClass, CacheObserver } from './cache.types.js';
import { createLruStore } from './lru-store.js';
import { createSingleflight } from './singleflight.js';

export interface ResultCacheOptions<V> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Approximate retained size of a value in bytes (for the byte bound). */
  readonly sizeOf: (value: V, key: string) => number;
  readonly ttlSuccessMs: number;
  readonly ttlFailureMs: number;
  /** Which TTL applies; `inconclusive` values (timeouts, registry outages) are never cached. */
  readonly classify: (value: V) => CacheClass;
  /** Milliseconds clock; injectable for tests. */
  readonly now?: () => number;
  readonly observer?: CacheObserver;
}

/** Verdicts by key (see verdictCacheKey), LRU-bounded by entries and bytes, with a TTL per verdict class. */
export interface ResultCache<V> {
  get(key: string): V | undefined;
  /** Caches a verdict; returns false when the value was not cached (inconclusive, too large, TTL 0). */
  set(key: string, value: V): boolean;
  /**
   * The cached value, or one shared execution of `load` for all concurrent callers of this key, cached
   * when it is a verdict. `signal` ends this caller's wait only (see Singleflight).
   */
  getOrLoad(key: string, load: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V>;
  delete(key: string): boolean;
  clear(): void;
  readonly size: number;
  readonly bytes: number;
}

export function createResultCache<V>(options: ResultCacheOptions<V>): ResultCache<V> {
  const store = createLruStore<V>({
    maxEntries: options.maxEntries,
    maxBytes: options.maxBytes,
    now: options.now ?? Date.now,
    observer: options.observer,
  });
  const flights = createSingleflight<V>();

  function set(key: string, value: V): boolean {
    const cacheClass = options.classify(value);
    switch (cacheClass) {
      case 'inconclusive':
        return false;
      case 'success':
        return store.set(key, value, options.ttlSuccessMs, options.sizeOf(value, key));
      case 'failure':
        return store.set(key, value, options.ttlFailureMs, options.sizeOf(value, key));
    }
  }

  return {
    get: (key) => store.get(key),
    set,
    async getOrLoad(key, load, signal) {
      const cached = store.get(key);
      if (cached !== undefined) return cached;
      return flights.run(
        key,
        async (flightSignal) => {
          const value = await load(flightSignal);
          set(key, value);
          return value;
        },
        signal,
      );
    },
    delete: (key) => store.delete(key),
    clear: () => store.clear(),
    get size() {
      return store.size;
    },
    get bytes() {
      return store.bytes;
    },
  };
}
