import { jest } from '@jest/globals';
import type { SharedCacheErrorReason, SharedCacheObserver } from './cache.types.js';
import {
  REDIS_KEY_PREFIX,
  REDIS_VALUE_SCHEMA,
  createSharedVerdictStore,
  decodeSharedEntry,
  encodeSharedEntry,
  toRedisOptions,
  type VerdictCodec,
  type VerdictStorage,
} from './redis-verdict-store.js';

interface Verdict {
  readonly allowed: boolean;
}

/** A strict little codec: exactly `{ allowed: boolean }`. */
const codec: VerdictCodec<Verdict> = {
  encode: (value) => ({ allowed: value.allowed }),
  decode: (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { allowed?: unknown }).allowed === 'boolean' &&
    Object.keys(value).length === 1
      ? { $case: 'ok', value: { allowed: (value as { allowed: boolean }).allowed } }
      : { $case: 'invalid', reason: 'not a verdict' },
};

const KEY = '["verdict","config-sha256:ab",null,"registry.example","app","sha256:00"]';
const REDIS_KEY = REDIS_KEY_PREFIX + KEY;
const MAX = 1024;

interface FakeStorage extends VerdictStorage {
  ready: boolean;
  values: Map<string, { value: string | Buffer; ttlMs: number }>;
  reads: number;
  writes: { key: string; value: string; ttlMs: number }[];
  /** When set, read/write never settle (a Redis that stopped answering) or reject with it. */
  fault: 'hang' | Error | undefined;
  closed: boolean;
}

function fakeStorage(): FakeStorage {
  const storage: FakeStorage = {
    ready: true,
    values: new Map(),
    reads: 0,
    writes: [],
    fault: undefined,
    closed: false,
    read(key, maxBytes) {
      storage.reads += 1;
      if (storage.fault === 'hang') return new Promise(() => undefined);
      if (storage.fault !== undefined) return Promise.reject(storage.fault);
      const entry = storage.values.get(key);
      if (entry === undefined) return Promise.resolve({ bytes: Buffer.alloc(0), ttlMs: -2 });
      const bytes = Buffer.from(entry.value);
      return Promise.resolve({ bytes: bytes.subarray(0, maxBytes + 1), ttlMs: entry.ttlMs });
    },
    write(key, value, ttlMs) {
      if (storage.fault === 'hang') return new Promise(() => undefined);
      if (storage.fault !== undefined) return Promise.reject(storage.fault);
      storage.writes.push({ key, value, ttlMs });
      storage.values.set(key, { value, ttlMs });
      return Promise.resolve();
    },
    close() {
      storage.closed = true;
    },
  };
  return storage;
}

function recorder() {
  const counts = { hits: 0, misses: 0, writes: 0, errors: [] as string[] };
  const observer: SharedCacheObserver = {
    hit: () => void (counts.hits += 1),
    miss: () => void (counts.misses += 1),
    write: () => void (counts.writes += 1),
    error: (operation: 'read' | 'write', reason: SharedCacheErrorReason) =>
      void counts.errors.push(`${operation}:${reason}`),
  };
  return { counts, observer };
}

function logRecorder() {
  const lines: { level: string; details: object; message: string }[] = [];
  return {
    lines,
    log: {
      info: (details: object, message: string) => void lines.push({ level: 'info', details, message }),
      warn: (details: object, message: string) => void lines.push({ level: 'warn', details, message }),
    },
  };
}

function setup(options: { timeoutMs?: number } = {}) {
  const storage = fakeStorage();
  const { counts, observer } = recorder();
  const { lines, log } = logRecorder();
  let time = 0;
  const store = createSharedVerdictStore(storage, {
    codec,
    log,
    observer,
    timeoutMs: options.timeoutMs ?? 20,
    maxValueBytes: MAX,
    now: () => time,
  });
  return { storage, counts, lines, store, advance: (ms: number) => (time += ms) };
}

const signal = () => new AbortController().signal;
const stored = (value: unknown, key = REDIS_KEY) =>
  JSON.stringify({ schema: REDIS_VALUE_SCHEMA, key, value });

describe('redis verdict store', () => {
  describe('entries', () => {
    it('round-trips a verdict under its key', () => {
      const text = encodeSharedEntry(codec, REDIS_KEY, { allowed: true });
      const outcome = decodeSharedEntry(codec, REDIS_KEY, { bytes: Buffer.from(text), ttlMs: 5_000 }, MAX);
      expect(outcome).toEqual({ $case: 'hit', entry: { value: { allowed: true }, ttlMs: 5_000 } });
    });

    it.each([
      ['not JSON', 'allow'],
      ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
      ['a foreign JSON value', JSON.stringify({ isSuccess: true })],
      ['a JSON array', '[1,2]'],
      [
        'another schema',
        JSON.stringify({ schema: 'signet.verdict/v0', key: REDIS_KEY, value: { allowed: true } }),
      ],
      ['a value written for another key', stored({ allowed: true }, `${REDIS_KEY_PREFIX}["other"]`)],
      ['a value the codec refuses', stored({ allowed: 'yes' })],
      ['a value with extra fields the codec refuses', stored({ allowed: true, admin: true })],
    ])('treats %s as invalid, never as a verdict', (_case, value) => {
      const outcome = decodeSharedEntry(codec, REDIS_KEY, { bytes: Buffer.from(value), ttlMs: 5_000 }, MAX);
      expect(outcome).toMatchObject({ $case: 'error', reason: 'invalid' });
    });

    it('treats a value without expiry as invalid: signet always writes one', () => {
      const text = encodeSharedEntry(codec, REDIS_KEY, { allowed: true });
      expect(decodeSharedEntry(codec, REDIS_KEY, { bytes: Buffer.from(text), ttlMs: -1 }, MAX)).toMatchObject(
        {
          $case: 'error',
          reason: 'invalid',
        },
      );
    });

    it('refuses a value larger than the bound before parsing it', () => {
      const bytes = Buffer.alloc(MAX + 1, 0x20);
      expect(decodeSharedEntry(codec, REDIS_KEY, { bytes, ttlMs: 5_000 }, MAX)).toMatchObject({
        $case: 'error',
        reason: 'too_large',
      });
    });

    it('is a plain miss when the key is absent', () => {
      expect(decodeSharedEntry(codec, REDIS_KEY, { bytes: Buffer.alloc(0), ttlMs: -2 }, MAX)).toEqual({
        $case: 'miss',
      });
    });
  });

  describe('reads', () => {
    it('answers a stored verdict with its remaining TTL and counts a hit', async () => {
      const { storage, counts, store } = setup();
      storage.values.set(REDIS_KEY, { value: stored({ allowed: true }), ttlMs: 4_000 });
      await expect(store.get(KEY, signal())).resolves.toEqual({ value: { allowed: true }, ttlMs: 4_000 });
      expect(counts).toMatchObject({ hits: 1, misses: 0, errors: [] });
    });

    it('counts an absent key as a miss without an error', async () => {
      const { counts, store } = setup();
      await expect(store.get(KEY, signal())).resolves.toBeUndefined();
      expect(counts).toMatchObject({ hits: 0, misses: 1, errors: [] });
    });

    it('answers a malformed value as a miss, counted and logged', async () => {
      const { storage, counts, lines, store } = setup();
      storage.values.set(REDIS_KEY, { value: stored({ allowed: 'yes' }), ttlMs: 4_000 });
      await expect(store.get(KEY, signal())).resolves.toBeUndefined();
      expect(counts).toMatchObject({ misses: 1, errors: ['read:invalid'] });
      expect(lines).toEqual([expect.objectContaining({ level: 'warn' })]);
    });

    it('answers an oversized value as a miss (the storage sends at most the bound + 1 bytes)', async () => {
      const { storage, counts, store } = setup();
      storage.values.set(REDIS_KEY, { value: 'x'.repeat(MAX * 4), ttlMs: 4_000 });
      await expect(store.get(KEY, signal())).resolves.toBeUndefined();
      expect(counts.errors).toEqual(['read:too_large']);
    });

    it('gives up after the bounded wait when Redis does not answer', async () => {
      // jest's clock: the wait ends when its 20 ms pass, however long Redis would take.
      jest.useFakeTimers();
      try {
        const { storage, counts, store } = setup({ timeoutMs: 20 });
        storage.fault = 'hang';
        const pending = store.get(KEY, signal());
        await jest.advanceTimersByTimeAsync(20);
        await expect(pending).resolves.toBeUndefined();
        expect(counts).toMatchObject({ misses: 1, errors: ['read:timeout'] });
      } finally {
        jest.useRealTimers();
      }
    });

    it('stops waiting when the caller leaves', async () => {
      const { storage, store } = setup({ timeoutMs: 60_000 });
      storage.fault = 'hang';
      const controller = new AbortController();
      const pending = store.get(KEY, controller.signal);
      controller.abort(new Error('gone'));
      await expect(pending).resolves.toBeUndefined();
    });

    it('does not ask a disconnected Redis at all', async () => {
      const { storage, counts, store } = setup();
      storage.ready = false;
      await expect(store.get(KEY, signal())).resolves.toBeUndefined();
      expect(storage.reads).toBe(0);
      expect(counts.errors).toEqual(['read:unavailable']);
    });

    it('answers a failing Redis as a miss; a key of another Redis type is foreign', async () => {
      const { storage, counts, store } = setup();
      storage.fault = new Error('Connection is closed.');
      await expect(store.get(KEY, signal())).resolves.toBeUndefined();
      storage.fault = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
      await expect(store.get(KEY, signal())).resolves.toBeUndefined();
      expect(counts.errors).toEqual(['read:unavailable', 'read:invalid']);
    });

    it('logs one line per problem kind per interval, counting the ones left out', async () => {
      const { storage, lines, store, advance } = setup();
      storage.ready = false;
      for (let i = 0; i < 5; i += 1) await store.get(KEY, signal());
      expect(lines).toHaveLength(1);
      advance(30_000);
      await store.get(KEY, signal());
      expect(lines).toHaveLength(2);
      expect(lines[1]?.details).toMatchObject({ suppressed: 4 });
    });
  });

  describe('writes', () => {
    it('writes the entry under the prefixed key with the TTL in milliseconds', async () => {
      const { storage, counts, store } = setup();
      store.set(KEY, { allowed: false }, 60_000.4);
      await Promise.resolve();
      expect(storage.writes).toEqual([{ key: REDIS_KEY, value: stored({ allowed: false }), ttlMs: 60_001 }]);
      expect(counts.writes).toBe(1);
      await expect(store.get(KEY, signal())).resolves.toEqual({ value: { allowed: false }, ttlMs: 60_001 });
    });

    it('skips the write while disconnected, and a failed write only counts', async () => {
      const { storage, counts, store } = setup();
      storage.ready = false;
      store.set(KEY, { allowed: true }, 1_000);
      storage.ready = true;
      storage.fault = new Error('Connection is closed.');
      store.set(KEY, { allowed: true }, 1_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(storage.writes).toEqual([]);
      expect(counts.errors).toEqual(['write:unavailable', 'write:unavailable']);
    });

    it('does not write a value larger than the bound', () => {
      const storage = fakeStorage();
      const { counts, observer } = recorder();
      const big: VerdictCodec<Verdict> = { ...codec, encode: () => ({ padding: 'x'.repeat(MAX) }) };
      const store = createSharedVerdictStore(storage, {
        codec: big,
        log: logRecorder().log,
        observer,
        maxValueBytes: MAX,
      });
      store.set(KEY, { allowed: true }, 1_000);
      expect(storage.writes).toEqual([]);
      expect(counts.errors).toEqual(['write:too_large']);
      store.close();
      expect(storage.closed).toBe(true);
    });
  });

  describe('toRedisOptions', () => {
    it('reads host, port, database and user from the URL, and fails fast while disconnected', () => {
      const options = toRedisOptions({ url: 'redis://signet@redis.example:6380/2', password: 'pw' });
      expect(options).toMatchObject({
        host: 'redis.example',
        port: 6380,
        db: 2,
        username: 'signet',
        password: 'pw',
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
      });
      expect(options.tls).toBeUndefined();
      expect(toRedisOptions({ url: 'redis://[::1]' })).toMatchObject({ host: '::1', port: 6379, db: 0 });
    });

    it('turns TLS on for rediss:// and for a CA bundle', () => {
      expect(toRedisOptions({ url: 'rediss://redis.example' }).tls).toEqual({});
      expect(toRedisOptions({ url: 'redis://redis.example', tlsCa: 'PEM' }).tls).toEqual({ ca: 'PEM' });
    });

    it('reconnects with a growing, bounded delay', () => {
      const retry = toRedisOptions({ url: 'redis://redis.example' }).retryStrategy!;
      const delays = [1, 2, 3, 10, 100].map((attempt) => Number(retry(attempt)));
      expect(delays[0]).toBeLessThan(delays[2]!);
      expect(Math.max(...delays)).toBeLessThanOrEqual(5_100);
    });

    it.each([
      ['a password in the URL, without echoing it', 'redis://user:s3cret@redis.example', /password-file/],
      ['another scheme', 'http://redis.example', /redis:\/\/ or rediss:\/\//],
      ['no URL at all', 'not a url', /not a URL/],
      ['a path that is no database number', 'redis://redis.example/cache', /database number/],
    ])('refuses %s', (_case, url, message) => {
      let thrown: unknown;
      try {
        toRedisOptions({ url });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'CONFIG_INVALID' });
      expect(String((thrown as Error).message)).toMatch(message);
      expect(String((thrown as Error).message)).not.toContain('s3cret');
    });
  });
});
