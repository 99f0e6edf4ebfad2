import { SignetError } from '../errors.js';

export interface Deadline {
  /** Aborts at the deadline (reason: a TIMEOUT SignetError) or when `abort` is called. */
  readonly signal: AbortSignal;
  /** Epoch ms at which `signal` aborts, so callers can skip retries that could not finish in time. */
  readonly at: number;
  abort(reason: SignetError): void;
  /** Clears the timer; call when the request is answered. */
  dispose(): void;
}

export function createDeadline(ms: number): Deadline {
  const controller = new AbortController();
  const at = Date.now() + ms;
  const timer = setTimeout(() => {
    controller.abort(
      new SignetError('TIMEOUT', {
        stage: 'server',
        reason: `verification did not finish within the ${ms} ms request deadline`,
        details: { deadlineMs: ms },
      }),
    );
  }, ms);
  return {
    signal: controller.signal,
    at,
    abort: (reason) => controller.abort(reason),
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
