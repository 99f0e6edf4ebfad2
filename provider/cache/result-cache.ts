import type { CacheClass, CacheObserver, SharedTier } from './cache.types.js';
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
  /**
   * A second level shared by replicas (Redis): read on a local miss inside the single flight, written with the
   * verdict's TTL after a load. Only keys given a `sharedKey` use it; inconclusive values are never written.
   */
  readonly shared?: SharedTier<V>;
}

/** Verdicts by key (see verdictCacheKey), LRU-bounded by entries and bytes, with a TTL per verdict class. */
export interface ResultCache<V> {
  get(key: string): V | undefined;
  /** Caches a verdict; returns false when the value was not cached (inconclusive, too large, TTL 0). */
  set(key: string, value: V): boolean;
  /**
   * The cached value, or one shared execution of `load` for all concurrent callers of this key, cached
   * when it is a verdict. `signal` ends this caller's wait only (see Singleflight). With `sharedKey` (the key
   * under which replicas share the verdict) the shared tier is asked before `load` and told its verdict.
   */
  getOrLoad(
    key: string,
    load: (signal: AbortSignal) => Promise<V>,
    signal?: AbortSignal,
    sharedKey?: string,
  ): Promise<V>;
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

  /** The TTL of a value's class; 0 (never cached) for inconclusive values. */
  function ttlOf(value: V): number {
    const cacheClass = options.classify(value);
    switch (cacheClass) {
      case 'inconclusive':
        return 0;
      case 'success':
        return options.ttlSuccessMs;
      case 'failure':
        return options.ttlFailureMs;
    }
  }

  function set(key: string, value: V, ttlMs = ttlOf(value)): boolean {
    return ttlMs > 0 && store.set(key, value, ttlMs, options.sizeOf(value, key));
  }

  async function loadThroughShared(
    key: string,
    sharedKey: string,
    shared: SharedTier<V>,
    load: (signal: AbortSignal) => Promise<V>,
    signal: AbortSignal,
  ): Promise<V> {
    const remote = await shared.get(sharedKey, signal);
    // Another replica's verdict lives here no longer than it has left there, nor than our own TTL for it.
    const remoteTtl = remote === undefined ? 0 : Math.min(ttlOf(remote.value), remote.ttlMs);
    if (remote !== undefined && remoteTtl > 0) {
      set(key, remote.value, remoteTtl);
      return remote.value;
    }
    const value = await load(signal);
    const ttlMs = ttlOf(value);
    set(key, value, ttlMs);
    if (ttlMs > 0) shared.set(sharedKey, value, ttlMs);
    return value;
  }

  return {
    get: (key) => store.get(key),
    set: (key, value) => set(key, value),
    async getOrLoad(key, load, signal, sharedKey) {
      const cached = store.get(key);
      if (cached !== undefined) return cached;
      const { shared } = options;
      return flights.run(
        key,
        async (flightSignal) => {
          if (shared !== undefined && sharedKey !== undefined)
            return loadThroughShared(key, sharedKey, shared, load, flightSignal);
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
