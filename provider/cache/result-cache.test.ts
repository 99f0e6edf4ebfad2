import { createResultCache } from './result-cache.js';
import type { CacheClass, CacheObserver, EvictionReason } from './cache.types.js';

interface Verdict {
  readonly outcome: CacheClass;
  readonly size: number;
}

function createClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

function createRecorder(): CacheObserver & { hits: number; misses: number; evictions: EvictionReason[] } {
  const recorder = {
    hits: 0,
    misses: 0,
    evictions: [] as EvictionReason[],
    hit: () => void (recorder.hits += 1),
    miss: () => void (recorder.misses += 1),
    evict: (reason: EvictionReason) => void recorder.evictions.push(reason),
  };
  return recorder;
}

function setup(overrides: { maxEntries?: number; maxBytes?: number } = {}) {
  const clock = createClock();
  const observer = createRecorder();
  const cache = createResultCache<Verdict>({
    maxEntries: overrides.maxEntries ?? 3,
    maxBytes: overrides.maxBytes ?? 1000,
    sizeOf: (value) => value.size,
    ttlSuccessMs: 60_000,
    ttlFailureMs: 10_000,
    classify: (value) => value.outcome,
    now: clock.now,
    observer,
  });
  return { cache, clock, observer };
}

const success = (size = 10): Verdict => ({ outcome: 'success', size });
const failure = (size = 10): Verdict => ({ outcome: 'failure', size });
const inconclusive = (size = 10): Verdict => ({ outcome: 'inconclusive', size });

describe('createResultCache', () => {
  describe('TTL by verdict class', () => {
    it('keeps a success for ttlSuccessMs and a failure for ttlFailureMs', () => {
      const { cache, clock } = setup();
      cache.set('ok', success());
      cache.set('denied', failure());
      clock.advance(9_999);
      expect(cache.get('ok')).toBeDefined();
      expect(cache.get('denied')).toBeDefined();
      clock.advance(1);
      expect(cache.get('denied')).toBeUndefined();
      expect(cache.get('ok')).toBeDefined();
      clock.advance(50_000);
      expect(cache.get('ok')).toBeUndefined();
    });

    it('never caches an inconclusive value', () => {
      const { cache } = setup();
      expect(cache.set('timeout', inconclusive())).toBe(false);
      expect(cache.get('timeout')).toBeUndefined();
      expect(cache.size).toBe(0);
    });

    it('counts an expired entry as an expiry eviction and a miss', () => {
      const { cache, clock, observer } = setup();
      cache.set('ok', success());
      clock.advance(60_000);
      expect(cache.get('ok')).toBeUndefined();
      expect(observer.evictions).toEqual(['expired']);
      expect(observer.misses).toBe(1);
    });
  });

  describe('bounds', () => {
    it('evicts the least recently used entry beyond maxEntries', () => {
      const { cache, observer } = setup({ maxEntries: 2 });
      cache.set('a', success());
      cache.set('b', success());
      expect(cache.get('a')).toBeDefined(); // a is now the most recently used
      cache.set('c', success());
      expect(cache.get('b')).toBeUndefined();
      expect(cache.get('a')).toBeDefined();
      expect(cache.get('c')).toBeDefined();
      expect(observer.evictions).toEqual(['capacity']);
    });

    it('evicts until the byte bound holds', () => {
      const { cache } = setup({ maxEntries: 10, maxBytes: 100 });
      cache.set('a', success(40));
      cache.set('b', success(40));
      cache.set('c', success(40));
      expect(cache.get('a')).toBeUndefined();
      expect(cache.bytes).toBe(80);
      expect(cache.size).toBe(2);
    });

    it('does not cache a value larger than maxBytes', () => {
      const { cache } = setup({ maxBytes: 100 });
      expect(cache.set('huge', success(101))).toBe(false);
      expect(cache.size).toBe(0);
      expect(cache.bytes).toBe(0);
    });

    it('replacing a key frees the old entry bytes', () => {
      const { cache } = setup({ maxBytes: 100 });
      cache.set('a', success(60));
      cache.set('a', failure(30));
      expect(cache.bytes).toBe(30);
      expect(cache.get('a')?.outcome).toBe('failure');
    });
  });

  describe('getOrLoad', () => {
    it('runs one load for concurrent callers and caches the verdict', async () => {
      const { cache, observer } = setup();
      let loads = 0;
      let release: (value: Verdict) => void = () => undefined;
      const load = () => {
        loads += 1;
        return new Promise<Verdict>((resolve) => (release = resolve));
      };
      const callers = Array.from({ length: 5 }, () => cache.getOrLoad('img', load));
      await Promise.resolve();
      await Promise.resolve();
      release(failure());
      const values = await Promise.all(callers);
      expect(loads).toBe(1);
      expect(values.every((value) => value.outcome === 'failure')).toBe(true);
      await cache.getOrLoad('img', load);
      expect(loads).toBe(1);
      expect(observer.hits).toBe(1);
    });

    it('loads again after an inconclusive value', async () => {
      const { cache } = setup();
      let loads = 0;
      const load = () => {
        loads += 1;
        return Promise.resolve(inconclusive());
      };
      await cache.getOrLoad('img', load);
      await cache.getOrLoad('img', load);
      expect(loads).toBe(2);
    });
  });
});
