import { readFile } from 'node:fs/promises';
// Types only: ioredis itself is loaded by createRedisVerdictStore, so a provider without --redis-url never loads it.
import type { Redis, RedisOptions } from 'ioredis';
import { SignetError } from '../errors.js';
import type { SharedCacheErrorReason, SharedCacheObserver, SharedEntry, SharedTier } from './cache.types.js';

/** Every key signet writes starts with this; `v1` is the value schema below, bumped when it changes. */
export const REDIS_KEY_PREFIX = 'signet:v1:verdict:';
/** The `schema` field of every value signet writes; anything else under our keys is foreign. */
export const REDIS_VALUE_SCHEMA = 'signet.verdict/v1';
/** How long a lookup waits for Redis before verifying locally (Gatekeeper's whole budget is 3 s). */
export const DEFAULT_REDIS_TIMEOUT_MS = 50;
/** Values larger than this are refused on read (and not written); a verdict is a few KiB. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
/** One warning per problem kind per this interval at most; the lines in between are counted. */
const LOG_INTERVAL_MS = 30_000;
const RECONNECT_MAX_DELAY_MS = 5_000;

/** Turns verdicts into JSON-able values and back; `decode` reads untrusted input and must check everything. */
export interface VerdictCodec<V> {
  encode(value: V): unknown;
  decode(
    value: unknown,
  ): { readonly $case: 'ok'; readonly value: V } | { readonly $case: 'invalid'; readonly reason: string };
}

export interface SharedTierLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** The few Redis operations the store needs: ioredis implements them (createRedisStorage), unit tests fake them. */
export interface VerdictStorage {
  /** Connected and authenticated; commands sent otherwise fail at once (no offline queue). */
  readonly ready: boolean;
  /** The value's first `maxBytes + 1` bytes (empty when absent) and its PTTL (-2 absent, -1 no expiry), atomically. */
  read(key: string, maxBytes: number): Promise<{ readonly bytes: Buffer; readonly ttlMs: number }>;
  /** SET key value PX ttlMs. */
  write(key: string, value: string, ttlMs: number): Promise<void>;
  close(): void;
}

export interface SharedVerdictStoreOptions<V> {
  readonly codec: VerdictCodec<V>;
  readonly log: SharedTierLog;
  readonly timeoutMs?: number;
  readonly maxValueBytes?: number;
  readonly observer?: SharedCacheObserver;
  /** Milliseconds clock for the log rate limit; injectable for tests. */
  readonly now?: () => number;
}

export interface SharedVerdictStore<V> extends SharedTier<V> {
  close(): void;
}

type ReadOutcome<V> =
  | { readonly $case: 'hit'; readonly entry: SharedEntry<V> }
  | { readonly $case: 'miss' }
  | { readonly $case: 'error'; readonly reason: SharedCacheErrorReason; readonly detail: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value stored under `redisKey`: schema, the key itself (a value copied under another key is foreign), verdict. */
export function encodeSharedEntry<V>(codec: VerdictCodec<V>, redisKey: string, value: V): string {
  return JSON.stringify({ schema: REDIS_VALUE_SCHEMA, key: redisKey, value: codec.encode(value) });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * What `read` returned for `redisKey`, judged: a hit only for a value signet wrote under this very key, with a
 * TTL, within the size bound and passing the codec's checks. Anything else is a miss, never an allow.
 */
export function decodeSharedEntry<V>(
  codec: VerdictCodec<V>,
  redisKey: string,
  read: { readonly bytes: Buffer; readonly ttlMs: number },
  maxBytes: number,
): ReadOutcome<V> {
  if (read.bytes.length === 0 || read.ttlMs === -2) return { $case: 'miss' };
  if (read.bytes.length > maxBytes)
    return { $case: 'error', reason: 'too_large', detail: `the value exceeds ${maxBytes} bytes` };
  // signet always writes with PX: a value without expiry (or an expired one) was not written by signet.
  if (!(read.ttlMs > 0)) return { $case: 'error', reason: 'invalid', detail: 'the value has no expiry' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(read.bytes));
  } catch {
    return { $case: 'error', reason: 'invalid', detail: 'the value is not UTF-8 JSON' };
  }
  if (!isRecord(parsed) || parsed.schema !== REDIS_VALUE_SCHEMA)
    return { $case: 'error', reason: 'invalid', detail: `the value is not a ${REDIS_VALUE_SCHEMA} entry` };
  if (parsed.key !== redisKey)
    return { $case: 'error', reason: 'invalid', detail: 'the value was written for another key' };
  const decoded = codec.decode(parsed.value);
  if (decoded.$case === 'invalid') return { $case: 'error', reason: 'invalid', detail: decoded.reason };
  return { $case: 'hit', entry: { value: decoded.value, ttlMs: read.ttlMs } };
}

function describeError(error: unknown): string {
  // Only name and message: ioredis attaches the failed command's arguments to reply errors (AUTH's password).
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}

/** Lines per kind at most once per interval, with the count of those left out since the last one. */
function createRateLimitedLog(log: SharedTierLog, now: () => number) {
  const windows = new Map<string, { last: number; suppressed: number }>();
  return (kind: string, details: Record<string, unknown>, message: string): void => {
    const time = now();
    const window = windows.get(kind);
    if (window !== undefined && time - window.last < LOG_INTERVAL_MS) {
      window.suppressed += 1;
      return;
    }
    log.warn({ ...details, suppressed: window?.suppressed ?? 0 }, message);
    windows.set(kind, { last: time, suppressed: 0 });
  };
}

/**
 * The shared verdict tier over a VerdictStorage: a read waits `timeoutMs` at most (then the caller verifies
 * itself), never throws, and counts every lookup as a hit or a miss; writes are fire-and-forget.
 */
export function createSharedVerdictStore<V>(
  storage: VerdictStorage,
  options: SharedVerdictStoreOptions<V>,
): SharedVerdictStore<V> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
  const maxBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  const { codec, observer } = options;
  const warn = createRateLimitedLog(options.log, options.now ?? Date.now);

  async function read(redisKey: string): Promise<ReadOutcome<V>> {
    try {
      return decodeSharedEntry(codec, redisKey, await storage.read(redisKey, maxBytes), maxBytes);
    } catch (error) {
      // A key holding another Redis type (hash, list…) is foreign, not an outage.
      const foreign = error instanceof Error && error.message.startsWith('WRONGTYPE');
      return { $case: 'error', reason: foreign ? 'invalid' : 'unavailable', detail: describeError(error) };
    }
  }

  function bounded(redisKey: string, signal: AbortSignal): Promise<ReadOutcome<V>> {
    if (!storage.ready)
      return Promise.resolve({ $case: 'error', reason: 'unavailable', detail: 'not connected' });
    return new Promise((resolve) => {
      const finish = (outcome: ReadOutcome<V>) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = () => finish({ $case: 'miss' });
      const timer = setTimeout(
        () => finish({ $case: 'error', reason: 'timeout', detail: `no answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
      signal.addEventListener('abort', onAbort, { once: true });
      // `read` never rejects; a late answer after the timeout resolves nobody.
      void read(redisKey).then(finish);
    });
  }

  return {
    async get(key, signal) {
      const redisKey = REDIS_KEY_PREFIX + key;
      const outcome = signal.aborted ? { $case: 'miss' as const } : await bounded(redisKey, signal);
      switch (outcome.$case) {
        case 'hit':
          observer?.hit();
          return outcome.entry;
        case 'miss':
          observer?.miss();
          return undefined;
        case 'error':
          observer?.miss();
          observer?.error('read', outcome.reason);
          warn(
            `read:${outcome.reason}`,
            { reason: outcome.reason, detail: outcome.detail },
            outcome.reason === 'invalid' || outcome.reason === 'too_large'
              ? 'shared verdict cache: ignoring a value that is not a valid verdict; verifying locally'
              : 'shared verdict cache unavailable; verifying locally',
          );
          return undefined;
      }
    },

    set(key, value, ttlMs) {
      const redisKey = REDIS_KEY_PREFIX + key;
      if (!storage.ready) {
        observer?.error('write', 'unavailable');
        return;
      }
      let text: string;
      try {
        text = encodeSharedEntry(codec, redisKey, value);
      } catch (error) {
        observer?.error('write', 'invalid');
        warn('write:invalid', { detail: describeError(error) }, 'shared verdict cache: verdict not writable');
        return;
      }
      if (Buffer.byteLength(text) > maxBytes) {
        observer?.error('write', 'too_large');
        warn(
          'write:too_large',
          { bytes: Buffer.byteLength(text) },
          'shared verdict cache: verdict too large',
        );
        return;
      }
      storage.write(redisKey, text, Math.max(1, Math.ceil(ttlMs))).then(
        () => observer?.write(),
        (error: unknown) => {
          observer?.error('write', 'unavailable');
          warn('write:unavailable', { detail: describeError(error) }, 'shared verdict cache: write failed');
        },
      );
    },

    close: () => storage.close(),
  };
}

export interface RedisConnectionOptions {
  /** `redis://[user@]host[:port][/db]` or `rediss://…` (TLS). A password in the URL is refused. */
  readonly url: string;
  readonly password?: string;
  /** PEM CA bundle the server certificate must chain to; implies TLS. */
  readonly tlsCa?: string;
  readonly timeoutMs?: number;
}

function invalid(reason: string): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason,
    remediation: 'Fix the --redis-* flags of signet serve (see provider/cache/README.md).',
  });
}

/** ioredis options for a URL: fail fast while disconnected (no offline queue, no retries), reconnect with backoff. */
export function toRedisOptions(options: RedisConnectionOptions): RedisOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    // Never echo the URL: it may hold credentials.
    throw invalid('--redis-url is not a URL (expected redis://host:port or rediss://host:port)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw invalid(`--redis-url must use redis:// or rediss://, not ${url.protocol}//`);
  if (url.password !== '')
    throw invalid(
      '--redis-url must not hold a password (it would show in process listings); use --redis-password-file',
    );
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw invalid('--redis-url names no host');
  const db = url.pathname === '' || url.pathname === '/' ? 0 : Number(url.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0) throw invalid('--redis-url path must be a database number (/0)');
  const tls = url.protocol === 'rediss:' || options.tlsCa !== undefined;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
  return {
    host,
    port: url.port === '' ? 6379 : Number(url.port),
    db,
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(tls ? { tls: options.tlsCa === undefined ? {} : { ca: options.tlsCa } } : {}),
    connectionName: 'signet',
    // RESP2 works with every Redis (and managed services) signet may meet.
    protocol: 2,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: 2_000,
    // Our own wait is `timeoutMs`; this only clears commands of a Redis that stopped answering.
    commandTimeout: Math.max(1_000, timeoutMs * 10),
    retryStrategy: (attempt: number) =>
      Math.min(RECONNECT_MAX_DELAY_MS, 100 * 2 ** Math.min(attempt, 6)) + Math.floor(Math.random() * 100),
  };
}

/** VerdictStorage over one ioredis client; connection problems are logged (rate-limited), never thrown. */
export function createRedisStorage(
  client: Redis,
  redisOptions: RedisOptions,
  log: SharedTierLog,
  now: () => number = Date.now,
): VerdictStorage {
  const warn = createRateLimitedLog(log, now);
  const where = { host: redisOptions.host, port: redisOptions.port };
  // Without an 'error' listener an EventEmitter error crashes the process; ioredis emits one per failed attempt.
  client.on('error', (error: unknown) =>
    warn(
      'connection',
      { ...where, detail: describeError(error) },
      'shared verdict cache: Redis connection problem',
    ),
  );
  client.on('ready', () => log.info(where, 'shared verdict cache connected'));
  return {
    get ready() {
      return client.status === 'ready';
    },
    async read(key, maxBytes) {
      const replies = await client.multi().getrangeBuffer(key, 0, maxBytes).pttl(key).exec();
      const [range, ttl] = replies ?? [];
      if (range?.[0]) throw range[0];
      if (ttl?.[0]) throw ttl[0];
      const bytes = range?.[1];
      const ttlMs = ttl?.[1];
      if (!Buffer.isBuffer(bytes) || typeof ttlMs !== 'number')
        throw new Error('unexpected reply to GETRANGE/PTTL');
      return { bytes, ttlMs };
    },
    async write(key, value, ttlMs) {
      await client.set(key, value, 'PX', ttlMs);
    },
    close: () => client.disconnect(),
  };
}

export interface RedisVerdictStoreOptions<V> extends SharedVerdictStoreOptions<V> {
  readonly url: string;
  /** A file holding the password (AUTH); a trailing newline is dropped. Never logged. */
  readonly passwordFile?: string;
  /** A PEM CA bundle for the server certificate; implies TLS. */
  readonly tlsCaFile?: string;
}

async function readSetting(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw invalid(`${flag} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * The Redis verdict tier for `signet serve --redis-url`: reads the password and CA files (CONFIG_INVALID when they
 * cannot be read) and connects in the background; until connected, and whenever Redis is down, it is a miss.
 */
export async function createRedisVerdictStore<V>(
  options: RedisVerdictStoreOptions<V>,
): Promise<SharedVerdictStore<V>> {
  const password =
    options.passwordFile === undefined
      ? undefined
      : (await readSetting(options.passwordFile, '--redis-password-file')).replace(/\r?\n$/, '');
  if (password === '') throw invalid('--redis-password-file is empty');
  const tlsCa =
    options.tlsCaFile === undefined ? undefined : await readSetting(options.tlsCaFile, '--redis-tls-ca');
  const redisOptions = toRedisOptions({
    url: options.url,
    ...(password === undefined ? {} : { password }),
    ...(tlsCa === undefined ? {} : { tlsCa }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const { Redis: RedisClient } = await import('ioredis');
  return createSharedVerdictStore(
    createRedisStorage(new RedisClient(redisOptions), redisOptions, options.log, options.now),
    options,
  );
}
