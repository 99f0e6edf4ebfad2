/** Releases a permit; calling it more than once has no further effect. */
export type Release = () => void;

export interface Semaphore {
  /** Waits for a permit; rejects with the signal's reason if it aborts first. */
  acquire(signal: AbortSignal): Promise<Release>;
  readonly inUse: number;
  readonly waiting: number;
}

interface Waiter {
  readonly grant: (release: Release) => void;
}

/** A counting semaphore with FIFO waiters, used to cap concurrent requests per registry host. */
export function createSemaphore(limit: number): Semaphore {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
  let inUse = 0;
  const waiters: Waiter[] = [];

  function makeRelease(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = waiters.shift();
      if (next === undefined) inUse -= 1;
      else next.grant(makeRelease());
    };
  }

  return {
    get inUse() {
      return inUse;
    },
    get waiting() {
      return waiters.length;
    },
    acquire(signal: AbortSignal): Promise<Release> {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      if (inUse < limit) {
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
}

/**
 * A semaphore of `limit` permits per key, created on a key's first acquire and deleted when its last permit is
 * released (or its last waiter gives up) with nobody waiting, so a stream of distinct hosts does not grow the map.
 * A deleted key's next acquire starts a fresh semaphore, which is equivalent: an idle semaphore holds no state.
 */
export function createKeyedSemaphore(limit: number): KeyedSemaphore {
  createSemaphore(limit); // validates `limit` now rather than on the first acquire
  const byKey = new Map<string, Semaphore>();

  function pruneIfIdle(key: string, semaphore: Semaphore): void {
    if (semaphore.inUse === 0 && semaphore.waiting === 0 && byKey.get(key) === semaphore) byKey.delete(key);
  }

  return {
    get size() {
      return byKey.size;
    },
    async acquire(key: string, signal: AbortSignal): Promise<Release> {
      let semaphore = byKey.get(key);
      if (semaphore === undefined) {
        semaphore = createSemaphore(limit);
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
      return () => {
        if (released) return;
        released = true;
        release();
        pruneIfIdle(key, held);
      };
    },
  };
}
