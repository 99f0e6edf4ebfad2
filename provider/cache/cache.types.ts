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
