import { SignetError } from '../errors.js';

/**
 * Admission control for verification work: a global bound on keys verified at once (over all requests), a
 * queue in front of it that sheds what cannot finish before its request's deadline, and a lane for keys the
 * cache is expected to answer, so that they never wait behind registry work.
 *
 * Without a bound every key of every request starts at once; under a slow registry the work in flight grows
 * until the event loop itself is late and answers miss Gatekeeper's timeout (measured: 200 × 50 keys gave
 * 4.25 s against a 2.5 s deadline). With it, work beyond the bound waits, and a key that would not be done in
 * time is answered at once as OVERLOADED, a transient failure: no item, named in systemError, retried by
 * Gatekeeper on its next admission.
 */

/**
 * Keys verified at once by default. A key spends most of its time waiting on registry round trips (four in sequence
 * for a tag), so the bound is set by latency, not CPU: at 100 ms RTT, 64 keys advanced ~160 images/s and answered
 * 297 of a 500-image audit batch in its deadline, 256 answer all 500 (npm run bench, 2026-12-02); 1024 gained
 * nothing more and cost memory. Peak memory grows with it (a cold 500-key batch: 128 → 171 MiB).
 */
export const DEFAULT_MAX_IN_FLIGHT = 256;

export interface AdmissionOptions {
  /** Keys verified at once, over all requests. */
  readonly maxInFlight: number;
  /** Keys waiting for a slot at most; more are shed at once. Default 64 × maxInFlight (a few audit batches). */
  readonly maxQueued?: number;
  /**
   * Slots beyond `maxInFlight` that only the `cached` lane may use, so a key answered from the cache is not
   * held up while every slot does registry work. Default max(4, maxInFlight / 4).
   */
  readonly cachedReserve?: number;
  /** Weight of the newest sample in the per-key work estimate (exponential moving average). Default 0.2. */
  readonly estimateWeight?: number;
  /** Epoch-milliseconds clock (the one deadlines are given in); injectable for tests. */
  readonly now?: () => number;
}

/** `cached`: the key is expected to be answered from the cache, without registry I/O (see CachedKeyHints). */
export type AdmissionLane = 'cached' | 'uncached';

export interface AdmissionRequest {
  /** Epoch ms by which the key's answer must be written (its request's deadline). */
  readonly deadlineAt: number;
  /** Aborts when the request is given up (deadline passed, client gone): a waiting key is shed at once. */
  readonly signal: AbortSignal;
  readonly lane: AdmissionLane;
  /**
   * Aborts when the key's answer was given up while its work may still go on (see settleKeys' carryOverMs): a key
   * still waiting then moves behind every fresh key (the `carried` queue), so that work nobody waits for any more
   * never delays an admission that is still being waited for.
   */
  readonly answerGivenUp?: AbortSignal;
}

export interface AdmissionPermit {
  /** Frees the slot; call when the work has settled (not merely when its answer was given up). Idempotent. */
  release(): void;
}

export type Admission =
  | { readonly $case: 'admitted'; readonly permit: AdmissionPermit }
  /** Not started: an OVERLOADED error saying why, to be answered as a transient failure. */
  | { readonly $case: 'shed'; readonly error: SignetError };

export interface AdmissionStats {
  /** Slots of `maxInFlight` in use. */
  readonly inFlight: number;
  /** Reserve slots in use by the cached lane. */
  readonly reserveInFlight: number;
  readonly queued: { readonly cached: number; readonly uncached: number; readonly carried: number };
  /** Current estimate of one uncached key's work, ms; undefined before the first sample. */
  readonly estimateMs: number | undefined;
  /** Keys shed since start. */
  readonly shed: number;
}

export interface AdmissionControl {
  /** Waits for a slot for one key, or sheds it. Never rejects. */
  admit(request: AdmissionRequest): Promise<Admission>;
  stats(): AdmissionStats;
}

type SlotKind = 'main' | 'reserve';

/** The queues: a request's lane, or `carried` once its answer was given up (served after both lanes). */
type QueueName = AdmissionLane | 'carried';

interface Waiter {
  readonly request: AdmissionRequest;
  readonly queuedAt: number;
  readonly resolve: (admission: Admission) => void;
  readonly onAbort: () => void;
  readonly onAnswerGivenUp: () => void;
  queue: QueueName;
}

function overloaded(reason: string, details: Record<string, number>): SignetError {
  return new SignetError('OVERLOADED', { stage: 'server', reason, details });
}

export function createAdmissionControl(options: AdmissionOptions): AdmissionControl {
  const now = options.now ?? Date.now;
  const maxInFlight = Math.max(1, Math.floor(options.maxInFlight));
  const maxQueued = options.maxQueued ?? 64 * maxInFlight;
  const cachedReserve = options.cachedReserve ?? Math.max(4, Math.floor(maxInFlight / 4));
  const weight = options.estimateWeight ?? 0.2;
  // Sets keep insertion order (FIFO) and remove an abandoned waiter in O(1).
  const queues: Record<QueueName, Set<Waiter>> = {
    cached: new Set(),
    uncached: new Set(),
    carried: new Set(),
  };
  let inFlight = 0;
  let reserveInFlight = 0;
  let estimateMs: number | undefined;
  let shedCount = 0;
  // When each running uncached key was granted its slot, oldest first (grants happen in clock order).
  const running = new Set<{ readonly grantedAt: number }>();

  function record(sampleMs: number): void {
    estimateMs = estimateMs === undefined ? sampleMs : estimateMs + weight * (sampleMs - estimateMs);
  }

  /**
   * The moving average; before the first key has finished, the age of the oldest running key (it takes at
   * least that long), so that a cold start under a slow registry does not queue everything blindly.
   */
  function currentEstimate(): number | undefined {
    if (estimateMs !== undefined) return estimateMs;
    const oldest = first(running);
    const age = oldest === undefined ? 0 : now() - oldest.grantedAt;
    return age > 0 ? age : undefined;
  }

  function permit(kind: SlotKind, lane: AdmissionLane): AdmissionPermit {
    const grant = { grantedAt: now() };
    if (lane === 'uncached') running.add(grant);
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        // Only uncached work says how long a key takes; a cached key's microseconds would hide the registry.
        if (lane === 'uncached') {
          running.delete(grant);
          record(now() - grant.grantedAt);
        }
        handOff(kind);
      },
    };
  }

  function shed(error: SignetError): Admission {
    shedCount += 1;
    return { $case: 'shed', error };
  }

  function dequeue(waiter: Waiter): void {
    queues[waiter.queue].delete(waiter);
    waiter.request.signal.removeEventListener('abort', waiter.onAbort);
    waiter.request.answerGivenUp?.removeEventListener('abort', waiter.onAnswerGivenUp);
  }

  /** The oldest waiter for a main slot: fresh uncached keys first, then work whose answer was given up. */
  function nextForMainSlot(): Waiter | undefined {
    return first(queues.uncached) ?? first(queues.carried);
  }

  /**
   * A freed slot goes to the cached lane first, then to the oldest uncached key that can still finish, then to
   * the oldest carried one.
   */
  function handOff(kind: SlotKind): void {
    const cached = first(queues.cached);
    if (cached !== undefined) {
      dequeue(cached);
      cached.resolve({ $case: 'admitted', permit: permit(kind, 'cached') });
      return;
    }
    if (kind === 'main') {
      for (let waiter = nextForMainSlot(); waiter !== undefined; waiter = nextForMainSlot()) {
        dequeue(waiter);
        const at = now();
        const left = waiter.request.deadlineAt - at;
        if (estimateMs !== undefined && estimateMs > left) {
          waiter.resolve(
            shed(
              overloaded(
                `waited ${Math.round(at - waiter.queuedAt)} ms for one of ${maxInFlight} verification slots; ` +
                  `the ${Math.round(left)} ms left before the request deadline are less than a verification takes now (about ${Math.round(estimateMs)} ms)`,
                {
                  maxInFlight,
                  waitedMs: Math.round(at - waiter.queuedAt),
                  estimateMs: Math.round(estimateMs),
                },
              ),
            ),
          );
          continue;
        }
        waiter.resolve({ $case: 'admitted', permit: permit('main', 'uncached') });
        return;
      }
      inFlight -= 1;
    } else {
      reserveInFlight -= 1;
    }
  }

  function enqueue(request: AdmissionRequest): Promise<Admission> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        request,
        queuedAt: now(),
        resolve,
        queue: request.lane,
        onAnswerGivenUp: () => {
          if (waiter.queue === 'cached' || !queues[waiter.queue].delete(waiter)) return;
          waiter.queue = 'carried';
          queues.carried.add(waiter);
        },
        onAbort: () => {
          dequeue(waiter);
          const waited = Math.round(now() - waiter.queuedAt);
          const why =
            now() >= request.deadlineAt
              ? 'the request deadline passed'
              : 'the request was given up (the client left)';
          resolve(
            shed(
              overloaded(
                `${why} while the image waited ${waited} ms for one of ${maxInFlight} verification slots`,
                {
                  maxInFlight,
                  waitedMs: waited,
                },
              ),
            ),
          );
        },
      };
      queues[request.lane].add(waiter);
      request.signal.addEventListener('abort', waiter.onAbort, { once: true });
      request.answerGivenUp?.addEventListener('abort', waiter.onAnswerGivenUp, { once: true });
    });
  }

  function admitNow(request: AdmissionRequest): Admission | undefined {
    if (request.signal.aborted) {
      return shed(
        overloaded('the request was given up before verification could start', { maxInFlight, waitedMs: 0 }),
      );
    }
    // Carried work waits behind fresh keys: it neither holds a fresh key back nor counts in its wait.
    const queuedTotal = queues.cached.size + queues.uncached.size;
    const queuedWithCarried = queuedTotal + queues.carried.size;
    if (request.lane === 'cached') {
      if (inFlight < maxInFlight && queuedTotal === 0) {
        inFlight += 1;
        return { $case: 'admitted', permit: permit('main', 'cached') };
      }
      if (reserveInFlight < cachedReserve && queues.cached.size === 0) {
        reserveInFlight += 1;
        return { $case: 'admitted', permit: permit('reserve', 'cached') };
      }
    } else if (inFlight < maxInFlight && queuedTotal === 0) {
      // A free slot always runs, whatever the estimate says: that is how the estimate learns it got better.
      inFlight += 1;
      return { $case: 'admitted', permit: permit('main', 'uncached') };
    }
    if (queuedWithCarried >= maxQueued) {
      return shed(
        overloaded(
          `${queuedWithCarried} images are already waiting for one of ${maxInFlight} verification slots`,
          {
            maxInFlight,
            maxQueued,
          },
        ),
      );
    }
    const estimate = request.lane === 'uncached' ? currentEstimate() : undefined;
    if (estimate !== undefined) {
      // Slots free at about maxInFlight per estimate; this key's turn comes after everything queued before it.
      const waitMs = ((queuedTotal + 1) * estimate) / maxInFlight;
      const left = request.deadlineAt - now();
      if (waitMs + estimate > left) {
        return shed(
          overloaded(
            `the request deadline would pass first: about ${Math.round(waitMs)} ms waiting behind ${queuedTotal} images ` +
              `for one of ${maxInFlight} verification slots and ${Math.round(estimate)} ms of work, ${Math.round(left)} ms left`,
            { maxInFlight, queued: queuedTotal, estimateMs: Math.round(estimate) },
          ),
        );
      }
    }
    return undefined;
  }

  return {
    admit(request) {
      const admission = admitNow(request);
      return admission === undefined ? enqueue(request) : Promise.resolve(admission);
    },
    stats: () => ({
      inFlight,
      reserveInFlight,
      queued: { cached: queues.cached.size, uncached: queues.uncached.size, carried: queues.carried.size },
      estimateMs,
      shed: shedCount,
    }),
  };
}

function first<T>(set: ReadonlySet<T>): T | undefined {
  for (const value of set) return value;
  return undefined;
}

/**
 * Keys whose last verification was answered without any I/O (from the verdict cache), remembered so the next
 * request for them takes the `cached` lane. Bounded, least recently used first out. A wrong hint (the entry
 * expired meanwhile) costs one reserve slot once, then the key is forgotten.
 */
export interface CachedKeyHints {
  has(key: string): boolean;
  record(key: string, answeredWithoutIo: boolean): void;
  readonly size: number;
}

export function createCachedKeyHints(maxEntries = 10_000): CachedKeyHints {
  const keys = new Set<string>();
  return {
    has: (key) => keys.has(key),
    record(key, answeredWithoutIo) {
      keys.delete(key);
      if (!answeredWithoutIo) return;
      keys.add(key);
      if (keys.size > maxEntries) {
        const oldest = first(keys);
        if (oldest !== undefined) keys.delete(oldest);
      }
    },
    get size() {
      return keys.size;
    },
  };
}

/**
 * Resolves true when `work` settled before the event loop turned (this iteration's check phase), i.e. without
 * waiting for any I/O or timer: a verdict served from the in-memory cache. Registry work always needs a turn.
 * Work started from a timer callback could in principle see an I/O completion first, and work that itself
 * waits on an earlier setImmediate would look I/O-free too; a wrong `true` only costs one cached-lane slot
 * once (see CachedKeyHints).
 */
export function settledWithoutIo(work: Promise<unknown>): Promise<boolean> {
  let turned = false;
  const immediate = setImmediate(() => {
    turned = true;
  });
  const done = (): boolean => {
    clearImmediate(immediate);
    return !turned;
  };
  return work.then(done, done);
}
