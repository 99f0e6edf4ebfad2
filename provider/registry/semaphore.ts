import { createConcurrencyController } from './concurrency-controller.js';
import type { ConcurrencyController, ConcurrencyLimits, RequestFeedback } from './concurrency-controller.js';

/**
 * Releases a permit; calling it more than once has no further effect. `feedback` says how the request went, so
 * that an adaptive semaphore can move its limit (no feedback: neutral).
 */
export type Release = (feedback?: RequestFeedback) => void;

export interface Semaphore {
  /** Waits for a permit; rejects with the signal's reason if it aborts first. */
  acquire(signal: AbortSignal): Promise<Release>;
  readonly inUse: number;
  readonly waiting: number;
  /** Permits granted at once now. */
  readonly limit: number;
}

interface Waiter {
  readonly grant: (release: Release) => void;
}

/**
 * A counting semaphore with FIFO waiters, used to cap concurrent requests per registry host. Its limit is a
 * fixed number, or a controller's: then every release's feedback may move it, and a throttling answer may pause
 * all grants for a while (Retry-After).
 */
export function createSemaphore(limit: number | ConcurrencyController): Semaphore {
  if (typeof limit === 'number' && (!Number.isInteger(limit) || limit < 1))
    throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
  const controller = typeof limit === 'number' ? undefined : limit;
  const currentLimit = (): number => controller?.limit ?? (limit as number);
  let inUse = 0;
  const waiters: Waiter[] = [];
  let resumeTimer: NodeJS.Timeout | undefined;

  /** Grants waiters while the limit allows and no pause holds; schedules itself for the end of a pause. */
  function drain(): void {
    const pausedForMs = controller?.pausedForMs() ?? 0;
    if (pausedForMs > 0) {
      if (resumeTimer === undefined && waiters.length > 0) {
        resumeTimer = setTimeout(() => {
          resumeTimer = undefined;
          drain();
        }, pausedForMs);
        resumeTimer.unref();
      }
      return;
    }
    while (inUse < currentLimit()) {
      const next = waiters.shift();
      if (next === undefined) return;
      inUse += 1;
      next.grant(makeRelease());
    }
  }

  function makeRelease(): Release {
    let released = false;
    return (feedback) => {
      if (released) return;
      released = true;
      // The limit was binding if this request ran with every permit taken or others waiting behind it.
      if (feedback !== undefined) controller?.record(feedback, inUse >= currentLimit() || waiters.length > 0);
      inUse -= 1;
      drain();
    };
  }

  return {
    get inUse() {
      return inUse;
    },
    get waiting() {
      return waiters.length;
    },
    get limit() {
      return currentLimit();
    },
    acquire(signal: AbortSignal): Promise<Release> {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      if (inUse < currentLimit() && waiters.length === 0 && (controller?.pausedForMs() ?? 0) === 0) {
        inUse += 1;
        return Promise.resolve(makeRelease());
      }
      return new Promise<Release>((resolve, reject) => {
        const onAbort = (): void => {
          const index = waiters.indexOf(waiter);
          if (index !== -1) waiters.splice(index, 1);
          reject(signal.reason as Error);
        };
        const waiter: Waiter = {
          grant: (release) => {
            signal.removeEventListener('abort', onAbort);
            resolve(release);
          },
        };
        waiters.push(waiter);
        signal.addEventListener('abort', onAbort, { once: true });
        drain();
      });
    },
  };
}

/** Per-key semaphores (one per registry host), each entry dropped again as soon as its key is idle. */
export interface KeyedSemaphore {
  /** Waits for a permit of `key`'s semaphore; rejects with the signal's reason if it aborts first. */
  acquire(key: string, signal: AbortSignal): Promise<Release>;
  /** Keys holding a semaphore now: those with a permit in use or a waiter. */
  readonly size: number;
  /** The current limit of `key` (what a new semaphore for it would start with when it is idle). */
  limitOf(key: string): number;
}

/** Hosts whose learned limit is remembered while idle; beyond this the least recently used is forgotten. */
const REMEMBERED_HOSTS = 1024;

/**
 * A semaphore per key, created on a key's first acquire and deleted when its last permit is released (or its
 * last waiter gives up) with nobody waiting, so a stream of distinct hosts does not grow the map. With a number,
 * every key has that fixed limit. With `ConcurrencyLimits`, each key's limit adapts to how its host answers
 * (see concurrency-controller.ts); what a host taught is kept for the next burst, for at most
 * REMEMBERED_HOSTS hosts.
 */
export function createKeyedSemaphore(limits: number | ConcurrencyLimits): KeyedSemaphore {
  if (typeof limits === 'number') createSemaphore(limits); // validates `limits` now rather than on first use
  const byKey = new Map<string, Semaphore>();
  const controllers = new Map<string, ConcurrencyController>();

  function controllerFor(key: string, adaptive: ConcurrencyLimits): ConcurrencyController {
    let controller = controllers.get(key);
    if (controller === undefined) {
      controller = createConcurrencyController(adaptive);
      if (controllers.size >= REMEMBERED_HOSTS) {
        for (const old of controllers.keys()) {
          if (byKey.has(old)) continue;
          controllers.delete(old);
          break;
        }
      }
    } else {
      controllers.delete(key); // re-inserted below: most recently used last
    }
    controllers.set(key, controller);
    return controller;
  }

  function pruneIfIdle(key: string, semaphore: Semaphore): void {
    if (semaphore.inUse === 0 && semaphore.waiting === 0 && byKey.get(key) === semaphore) byKey.delete(key);
  }

  return {
    get size() {
      return byKey.size;
    },
    limitOf(key) {
      if (typeof limits === 'number') return limits;
      return controllers.get(key)?.limit ?? createConcurrencyController(limits).limit;
    },
    async acquire(key: string, signal: AbortSignal): Promise<Release> {
      let semaphore = byKey.get(key);
      if (semaphore === undefined) {
        semaphore = createSemaphore(typeof limits === 'number' ? limits : controllerFor(key, limits));
        byKey.set(key, semaphore);
      }
      const held = semaphore;
      let release: Release;
      try {
        release = await held.acquire(signal);
      } catch (error) {
        pruneIfIdle(key, held);
        throw error;
      }
      let released = false;
      return (feedback) => {
        if (released) return;
        released = true;
        release(feedback);
        pruneIfIdle(key, held);
      };
    },
  };
}
