import { SignetError } from '../errors.js';

/** One unit of work's own signal (one key of a batch), aborted together with its deadline. */
export interface DeadlineFork {
  readonly signal: AbortSignal;
  /** Forgets the fork (its work is done); its signal is then no longer aborted by the deadline. */
  dispose(): void;
}

export interface Deadline {
  /** Aborts at the deadline (reason: a TIMEOUT SignetError) or when `abort` is called. */
  readonly signal: AbortSignal;
  /** Epoch ms at which `signal` aborts, so callers can skip retries that could not finish in time. */
  readonly at: number;
  abort(reason: SignetError): void;
  /**
   * A signal for one unit of work, aborted with the same reason when the deadline passes. Give every key of a
   * batch its own fork rather than `signal`: each key's work adds its own abort listeners (the wait, the cache's
   * single flight, registry calls), and a thousand keys on one signal would be thousands of listeners on it
   * (MaxListenersExceededWarning past 10). Forks are aborted by the deadline directly, without a listener.
   */
  fork(): DeadlineFork;
  /** Clears the timer; call when the request is answered. */
  dispose(): void;
}

export interface DeadlineOptions {
  /** Time already passed since the request arrived (reading its body, waiting for the handler). */
  readonly elapsedMs?: number;
  /** Abort this much before the deadline, so that the answer is rendered and written by then. */
  readonly answerMs?: number;
}

/** A deadline `ms` after the request arrived, so the answer is due when the client expects it. */
export function createDeadline(ms: number, options: DeadlineOptions = {}): Deadline {
  const controller = new AbortController();
  const elapsed = Math.max(0, options.elapsedMs ?? 0);
  const remaining = Math.max(0, ms - elapsed - Math.max(0, options.answerMs ?? 0));
  const at = Date.now() + remaining;
  const forks = new Set<AbortController>();
  const abort = (reason: SignetError): void => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    for (const fork of forks) fork.abort(reason);
    forks.clear();
  };
  const timer = setTimeout(() => {
    abort(
      new SignetError('TIMEOUT', {
        stage: 'server',
        reason: `verification did not finish within the ${ms} ms request deadline`,
        details: { deadlineMs: ms },
      }),
    );
  }, remaining);
  return {
    signal: controller.signal,
    at,
    abort,
    fork() {
      const fork = new AbortController();
      if (controller.signal.aborted) fork.abort(controller.signal.reason);
      else forks.add(fork);
      return { signal: fork.signal, dispose: () => forks.delete(fork) };
    },
    dispose: () => clearTimeout(timer),
  };
}

export type Settled<T> =
  { readonly $case: 'done'; readonly value: T } | { readonly $case: 'aborted'; readonly reason: unknown };

/**
 * Waits for `work` unless `signal` aborts first, and then returns at once: an image that runs out of
 * time must not hold the batch (the work itself sees the same signal and should stop).
 */
export async function settleBefore<T>(work: Promise<T>, signal: AbortSignal): Promise<Settled<T>> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<Settled<T>>((resolve) => {
    onAbort = () => {
      const reason: unknown = signal.reason;
      resolve({ $case: 'aborted', reason });
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    // race() subscribes to `work`, so a rejection arriving after the deadline is handled, not unhandled.
    return await Promise.race([work.then((value): Settled<T> => ({ $case: 'done', value })), aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
