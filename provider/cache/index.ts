export type { CacheClass, CacheObserver, EvictionReason } from './cache.types.js';
export { createResultCache } from './result-cache.js';
export type { ResultCache, ResultCacheOptions } from './result-cache.js';
export { createSingleflight } from './singleflight.js';
export type { Singleflight } from './singleflight.js';
export { createTtlCache } from './ttl-cache.js';
export type { TtlCache, TtlCacheOptions } from './ttl-cache.js';
export { verdictCacheKey } from './verdict-key.js';
export type { VerdictKeyParts } from './verdict-key.js';
