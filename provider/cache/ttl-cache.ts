import type { CacheObserver } from './cache.types.js';
import { createLruStore } from './lru-store.js';

export interface TtlCacheOptions {
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly now?: () => number;
  readonly observer?: CacheObserver;
}

/** A small LRU map with one short TTL, for tag → digest resolution. */
export interface TtlCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): boolean;
  clear(): void;
  readonly size: number;
}

export function createTtlCache<V>(options: TtlCacheOptions): TtlCache<V> {
  const store = createLruStore<V>({
    maxEntries: options.maxEntries,
    maxBytes: Number.POSITIVE_INFINITY,
    now: options.now ?? Date.now,
    observer: options.observer,
  });
  return {
    get: (key) => store.get(key),
    set: (key, value) => {
      store.set(key, value, options.ttlMs, 0);
    },
    delete: (key) => store.delete(key),
    clear: () => store.clear(),
    get size() {
      return store.size;
    },
  };
}
