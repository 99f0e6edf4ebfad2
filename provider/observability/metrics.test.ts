import { Registry } from 'prom-client';
import { createMetrics } from './metrics.js';

describe('createMetrics', () => {
  describe('exposition', () => {
    it('records requests, in-flight, keys, images, registry calls and cache events', async () => {
      const metrics = createMetrics();
      const labels = { provider: 'ratify-provider', route: 'verify' };
      const done = metrics.trackInFlight(labels);
      metrics.observeKeysPerRequest(labels, 3);
      metrics.observeImage('success', 0.02);
      metrics.observeImage('inconclusive', 2.5, 'TIMEOUT');
      metrics.recordRegistryRequest({ host: 'registry.example', method: 'get', status: 200, durationMs: 12 });
      metrics.recordRegistryRequest({ host: 'registry.example', method: 'GET', status: 'error' });
      const cache = metrics.cacheObserver('verdicts');
      cache.hit();
      cache.miss();
      cache.evict('expired');
      done();
      done(); // idempotent
      metrics.observeRequest(labels, 'system_error', 2.6);
      const text = await metrics.registry.metrics();
      expect(text).toContain(
        'signet_requests_total{provider="ratify-provider",route="verify",outcome="system_error"} 1',
      );
      expect(text).toContain('signet_requests_in_flight{provider="ratify-provider",route="verify"} 0');
      expect(text).toContain('signet_request_keys_sum{provider="ratify-provider",route="verify"} 3');
      expect(text).toContain('signet_image_verification_duration_seconds_count{outcome="success"} 1');
      expect(text).toContain('signet_image_failures_total{outcome="inconclusive",code="TIMEOUT"} 1');
      expect(text).toContain(
        'signet_registry_requests_total{host="registry.example",method="GET",status="200"} 1',
      );
      expect(text).toContain(
        'signet_registry_requests_total{host="registry.example",method="GET",status="error"} 1',
      );
      expect(text).toContain('signet_cache_hits_total{cache="verdicts"} 1');
      expect(text).toContain('signet_cache_misses_total{cache="verdicts"} 1');
      expect(text).toContain('signet_cache_evictions_total{cache="verdicts",reason="expired"} 1');
    });
  });

  describe('shared cache observer', () => {
    it('counts hits and misses with the caches, and writes and errors by operation and reason', async () => {
      const metrics = createMetrics();
      const shared = metrics.sharedCacheObserver('verdicts_redis');
      shared.hit();
      shared.miss();
      shared.miss();
      shared.write();
      shared.error('read', 'timeout');
      shared.error('write', 'unavailable');
      const text = await metrics.registry.metrics();
      expect(text).toContain('signet_cache_hits_total{cache="verdicts_redis"} 1');
      expect(text).toContain('signet_cache_misses_total{cache="verdicts_redis"} 2');
      expect(text).toContain('signet_cache_writes_total{cache="verdicts_redis"} 1');
      expect(text).toContain(
        'signet_cache_errors_total{cache="verdicts_redis",operation="read",reason="timeout"} 1',
      );
      expect(text).toContain(
        'signet_cache_errors_total{cache="verdicts_redis",operation="write",reason="unavailable"} 1',
      );
    });
  });

  describe('registries', () => {
    it('keeps separate instances apart and uses a given registry', async () => {
      const registry = new Registry();
      const first = createMetrics(registry);
      createMetrics();
      first.observeImage('failure', 0.1, 'SIGNATURE_NOT_FOUND');
      expect(first.registry).toBe(registry);
      expect(await registry.metrics()).toContain('code="SIGNATURE_NOT_FOUND"');
    });
  });
});
