import type { CacheObserver } from './cache.types.js';

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
  readonly bytes: number;
}

export interface LruStoreOptions {
  readonly maxEntries: number;
  /** Upper bound on the sum of entry sizes; Infinity when only entries are bounded. */
  readonly maxBytes: number;
  readonly now: () => number;
  readonly observer: CacheObserver | undefined;
}

/** The least-recently-used, per-entry-TTL store both caches are built on. */
export interface LruStore<V> {
  get(key: string): V | undefined;
  /** Stores unless the TTL is not positive or the entry alone exceeds maxBytes; returns whether it did. */
  set(key: string, value: V, ttlMs: number, bytes: number): boolean;
  delete(key: string): boolean;
  clear(): void;
  readonly size: number;
  readonly bytes: number;
}

export function createLruStore<V>(options: LruStoreOptions): LruStore<V> {
  if (!(options.maxEntries >= 1))
    throw new RangeError(`maxEntries must be at least 1, got ${options.maxEntries}`);
  if (!(options.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${options.maxBytes}`);
  // A Map iterates in insertion order; re-inserting on every hit keeps the least recently used first.
  const entries = new Map<string, Entry<V>>();
  let totalBytes = 0;

  function remove(key: string, entry: Entry<V>): void {
    entries.delete(key);
    totalBytes -= entry.bytes;
  }

  function evictOverflow(): void {
    const now = options.now();
    for (const [key, entry] of entries) {
      if (entries.size <= options.maxEntries && totalBytes <= options.maxBytes) return;
      remove(key, entry);
      options.observer?.evict(entry.expiresAt <= now ? 'expired' : 'capacity');
    }
  }

  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) {
        options.observer?.miss();
        return undefined;
      }
      if (entry.expiresAt <= options.now()) {
        remove(key, entry);
        options.observer?.evict('expired');
        options.observer?.miss();
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      options.observer?.hit();
      return entry.value;
    },
    set(key, value, ttlMs, bytes) {
      const previous = entries.get(key);
      if (previous !== undefined) remove(key, previous);
      if (!(ttlMs > 0) || bytes > options.maxBytes) return false;
      entries.set(key, { value, expiresAt: options.now() + ttlMs, bytes });
      totalBytes += bytes;
      evictOverflow();
      return true;
    },
    delete(key) {
      const entry = entries.get(key);
      if (entry === undefined) return false;
      remove(key, entry);
      return true;
    },
    clear() {
      entries.clear();
      totalBytes = 0;
    },
    get size() {
      return entries.size;
    },
    get bytes() {
      return totalBytes;
    },
  };
}
