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
