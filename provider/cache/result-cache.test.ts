import { createResultCache } from './result-cache.js';
import type { CacheClass, CacheObserver, EvictionReason, SharedEntry, SharedTier } from './cache.types.js';

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

  describe('shared tier', () => {
    function sharedSetup(entries: Record<string, SharedEntry<Verdict>> = {}) {
      const clock = createClock();
      const remote = new Map(Object.entries(entries));
      const reads: string[] = [];
      const writes: { key: string; value: Verdict; ttlMs: number }[] = [];
      const shared: SharedTier<Verdict> = {
        get: (key) => {
          reads.push(key);
          return Promise.resolve(remote.get(key));
        },
        set: (key, value, ttlMs) => void writes.push({ key, value, ttlMs }),
      };
      const cache = createResultCache<Verdict>({
        maxEntries: 10,
        maxBytes: 1000,
        sizeOf: (value) => value.size,
        ttlSuccessMs: 60_000,
        ttlFailureMs: 10_000,
        classify: (value) => value.outcome,
        now: clock.now,
        shared,
      });
      let loads = 0;
      const load = (value: Verdict) => () => {
        loads += 1;
        return Promise.resolve(value);
      };
      return { cache, clock, reads, writes, load, loads: () => loads };
    }

    it('answers a verdict from the shared tier without loading, for no longer than it has left there', async () => {
      const { cache, clock, load, loads } = sharedSetup({ s1: { value: success(), ttlMs: 5_000 } });
      await expect(cache.getOrLoad('local', load(failure()), undefined, 's1')).resolves.toEqual(success());
      expect(loads()).toBe(0);
      clock.advance(4_999);
      expect(cache.get('local')).toEqual(success());
      clock.advance(1);
      expect(cache.get('local')).toBeUndefined();
    });

    it('caps a shared verdict at the local TTL of its class', async () => {
      const { cache, clock, load } = sharedSetup({ s1: { value: failure(), ttlMs: 600_000 } });
      await cache.getOrLoad('local', load(success()), undefined, 's1');
      clock.advance(10_000);
      expect(cache.get('local')).toBeUndefined();
    });

    it('on a shared miss loads once and writes the verdict with its class TTL', async () => {
      const { cache, reads, writes, load, loads } = sharedSetup();
      const verdicts = await Promise.all([
        cache.getOrLoad('local', load(failure()), undefined, 's1'),
        cache.getOrLoad('local', load(failure()), undefined, 's1'),
      ]);
      expect(verdicts).toEqual([failure(), failure()]);
      expect(loads()).toBe(1);
      expect(reads).toEqual(['s1']);
      expect(writes).toEqual([{ key: 's1', value: failure(), ttlMs: 10_000 }]);
      // Now local: neither tier is asked again.
      await cache.getOrLoad('local', load(failure()), undefined, 's1');
      expect(reads).toEqual(['s1']);
    });

    it('never writes an inconclusive value, and loads again for it', async () => {
      const { cache, writes, load, loads } = sharedSetup();
      await cache.getOrLoad('local', load(inconclusive()), undefined, 's1');
      await cache.getOrLoad('local', load(inconclusive()), undefined, 's1');
      expect(loads()).toBe(2);
      expect(writes).toEqual([]);
    });

    it('ignores an inconclusive value found in the shared tier', async () => {
      const { cache, load, loads } = sharedSetup({ s1: { value: inconclusive(), ttlMs: 5_000 } });
      await expect(cache.getOrLoad('local', load(success()), undefined, 's1')).resolves.toEqual(success());
      expect(loads()).toBe(1);
    });

    it('leaves the shared tier alone for keys without a shared key', async () => {
      const { cache, reads, writes, load } = sharedSetup({ local: { value: failure(), ttlMs: 5_000 } });
      await expect(cache.getOrLoad('local', load(success()))).resolves.toEqual(success());
      expect(reads).toEqual([]);
      expect(writes).toEqual([]);
    });
  });
});
