/** Why an entry left a cache: pushed out by the entry/byte bound, or found past its TTL. */
export type EvictionReason = 'capacity' | 'expired';

/** Hooks a cache calls so metrics can count hits, misses and evictions without the cache knowing prom-client. */
export interface CacheObserver {
  hit(): void;
  miss(): void;
  evict(reason: EvictionReason): void;
}

/** How a value is cached: verdicts with their own TTL, inconclusive values never. */
export type CacheClass = 'success' | 'failure' | 'inconclusive';

/** Why a shared-tier (Redis) operation gave nothing: no connection or a server error, no answer in time, a bad value. */
export type SharedCacheErrorReason = 'unavailable' | 'timeout' | 'invalid' | 'too_large';

/** Hooks the shared verdict tier calls for metrics: every read is a hit or a miss; errors are counted besides. */
export interface SharedCacheObserver {
  hit(): void;
  miss(): void;
  write(): void;
  error(operation: 'read' | 'write', reason: SharedCacheErrorReason): void;
}

/** A verdict read from the shared tier, with the time it has left there. */
export interface SharedEntry<V> {
  readonly value: V;
  readonly ttlMs: number;
}

/**
 * A second-level store behind a ResultCache, shared by replicas (see redis-verdict-store.ts). Neither method
 * throws or waits unboundedly: an unavailable, slow or corrupt store is a miss, and writes are fire-and-forget.
 */
export interface SharedTier<V> {
  get(key: string, signal: AbortSignal): Promise<SharedEntry<V> | undefined>;
  set(key: string, value: V, ttlMs: number): void;
}
