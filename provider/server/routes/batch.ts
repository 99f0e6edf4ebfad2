import { performance } from 'node:perf_hooks';
import type { Response } from 'express';
import { SignetError } from '../../errors.js';
import type { Logger } from '../../observability/index.js';
import { settledWithoutIo } from '../admission-control.js';
import type { AdmissionControl, CachedKeyHints } from '../admission-control.js';
import { createDeadline, settleBefore } from '../deadline.js';

export interface Settlement<T> {
  readonly value: T;
  readonly durationMs: number;
}

export interface SettleKeysOptions<T> {
  readonly keys: readonly string[];
  readonly deadlineMs: number;
  /** `performance.now()` when the request arrived: the deadline counts from there, not from the handler. */
  readonly receivedAt?: number;
  /** The response, so that work stops when the client hangs up. */
  readonly res: Response;
  /** The global bound on verification work in flight, shared by all requests. */
  readonly admission: AdmissionControl;
  /** This route's keys last answered from the cache; they take the cached lane. */
  readonly hints: CachedKeyHints;
  /** Does one key's work; must not reject (failures are values). */
  readonly run: (key: string, signal: AbortSignal, deadline: number) => Promise<T>;
  /** The value for a key whose work did not finish before the deadline (or the client left), or was shed. */
  readonly onAbort: (key: string, error: SignetError) => T;
}

/** Part of the deadline kept for rendering and writing the answer: 5 %, at most 100 ms. */
function answerBudgetMs(deadlineMs: number): number {
  return Math.min(100, Math.floor(deadlineMs * 0.05));
}

function toAbortError(reason: unknown, key: string, deadlineMs: number): SignetError {
  if (reason instanceof SignetError) return reason.forImage(key);
  return new SignetError('TIMEOUT', { stage: 'server', image: key, details: { deadlineMs } });
}

/**
 * Runs every distinct key once under one request deadline, each when admission control gives it a slot, and
 * settles each key as soon as its work finishes, it is shed, or the deadline passes — never waiting for work
 * past the deadline. Every key gets its own fork of the deadline's signal (see Deadline.fork).
 */
export async function settleKeys<T>(options: SettleKeysOptions<T>): Promise<Map<string, Settlement<T>>> {
  const started = performance.now();
  const deadline = createDeadline(options.deadlineMs, {
    elapsedMs: options.receivedAt === undefined ? 0 : started - options.receivedAt,
    answerMs: answerBudgetMs(options.deadlineMs),
  });
  options.res.on('close', () => {
    if (options.res.writableFinished) return;
    deadline.abort(
      new SignetError('TIMEOUT', {
        stage: 'server',
        reason: 'the client closed the connection before the answer was ready',
      }),
    );
  });

  async function settleOne(key: string): Promise<[string, Settlement<T>]> {
    const fork = deadline.fork();
    try {
      const admission = await options.admission.admit({
        deadlineAt: deadline.at,
        signal: fork.signal,
        lane: options.hints.has(key) ? 'cached' : 'uncached',
      });
      if (admission.$case === 'shed') {
        const value = options.onAbort(key, admission.error.forImage(key));
        return [key, { value, durationMs: performance.now() - started }];
      }
      let work: Promise<T>;
      try {
        work = options.run(key, fork.signal, deadline.at);
      } catch (error) {
        work = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      // The slot is held until the work itself settles, even when its answer was given up at the deadline.
      void settledWithoutIo(work).then((withoutIo) => {
        options.hints.record(key, withoutIo);
        admission.permit.release();
      });
      const settled = await settleBefore(work, fork.signal);
      const value =
        settled.$case === 'done'
          ? settled.value
          : options.onAbort(key, toAbortError(settled.reason, key, options.deadlineMs));
      return [key, { value, durationMs: performance.now() - started }];
    } finally {
      fork.dispose();
    }
  }

  try {
    return new Map(await Promise.all([...new Set(options.keys)].map(settleOne)));
  } finally {
    deadline.dispose();
  }
}

/**
 * Keys shed by admission control (OVERLOADED), logged as one line per request rather than one per key: under
 * overload a line per shed key would add to the load that shed it. Whether an error was shed is its code.
 */
export function logShedKeys(
  log: Logger,
  shed: ReadonlyArray<{ readonly key: string; readonly error: SignetError }>,
): void {
  const first = shed[0];
  if (first === undefined) return;
  log.info(
    {
      shed: shed.length,
      keys: shed.slice(0, 5).map(({ key }) => key),
      code: first.error.code,
      reason: first.error.reason,
    },
    'images shed: the provider is at its limit of verifications in flight',
  );
}
