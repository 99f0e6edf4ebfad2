export type {
  CacheClass,
  CacheObserver,
  EvictionReason,
  SharedCacheErrorReason,
  SharedCacheObserver,
  SharedEntry,
  SharedTier,
} from './cache.types.js';
export { fingerprintConfig } from './config-fingerprint.js';
export {
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_REDIS_TIMEOUT_MS,
  REDIS_KEY_PREFIX,
  REDIS_VALUE_SCHEMA,
  createRedisVerdictStore,
  createSharedVerdictStore,
} from './redis-verdict-store.js';
export type {
  RedisVerdictStoreOptions,
  SharedTierLog,
  SharedVerdictStore,
  VerdictCodec,
  VerdictStorage,
} from './redis-verdict-store.js';
export { createResultCache } from './result-cache.js';
export type { ResultCache, ResultCacheOptions } from './result-cache.js';
export { createSingleflight } from './singleflight.js';
export type { Singleflight } from './singleflight.js';
export { createTtlCache } from './ttl-cache.js';
export type { TtlCache, TtlCacheOptions } from './ttl-cache.js';
export { verdictCacheKey } from './verdict-key.js';
export type { VerdictKeyParts } from './verdict-key.js';
