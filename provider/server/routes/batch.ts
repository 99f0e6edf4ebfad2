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
  /**
   * How much longer than the deadline a key's work may go on after its answer was given up (the deadline passed
   * or the client left), so that what it verifies is cached for the next call of a batch too large for one
   * deadline. Keys still waiting for a slot keep their place in the queue meanwhile. Default 0: work stops with
   * its answer.
   */
  readonly carryOverMs?: number;
}

/** Part of the deadline kept for rendering and writing the answer: 5 %, at most 100 ms. */
function answerBudgetMs(deadlineMs: number): number {
  return Math.min(100, Math.floor(deadlineMs * 0.05));
}

function toAbortError(reason: unknown, key: string, deadlineMs: number): SignetError {
  if (reason instanceof SignetError) return reason.forImage(key);
  return new SignetError('TIMEOUT', { stage: 'server', image: key, details: { deadlineMs } });
}

/** A key whose answer was given up while it still waited for a slot; it keeps its place (see carryOverMs). */
function stillQueued(key: string, deadlineMs: number): SignetError {
  return new SignetError('OVERLOADED', {
    stage: 'server',
    image: key,
    reason:
      `still waiting for a verification slot when the ${deadlineMs} ms request deadline came; it stays queued ` +
      'and its verdict is cached for the next call',
    details: { deadlineMs },
  });
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

  // The work's own deadline: later than the answer's when work carries over, and not cut short by a client that
  // hangs up (the verdict is still worth caching). Disposed once the last key's work has settled.
  const carryOverMs = Math.max(0, options.carryOverMs ?? 0);
  const workDeadline =
    carryOverMs === 0
      ? deadline
      : createDeadline(options.deadlineMs + carryOverMs, {
          elapsedMs: options.receivedAt === undefined ? 0 : started - options.receivedAt,
          answerMs: answerBudgetMs(options.deadlineMs),
        });
  let unsettledWork = 0;

  type Outcome =
    { readonly $case: 'shed'; readonly error: SignetError } | { readonly $case: 'ran'; readonly value: T };

  /** Waits for a slot and runs the key's work under the work deadline; settles when the work has. */
  async function admitAndRun(
    key: string,
    signal: AbortSignal,
    answerGivenUp: AbortSignal | undefined,
    onStart: () => void,
  ): Promise<Outcome> {
    const admission = await options.admission.admit({
      deadlineAt: workDeadline.at,
      signal,
      lane: options.hints.has(key) ? 'cached' : 'uncached',
      ...(answerGivenUp === undefined ? {} : { answerGivenUp }),
    });
    if (admission.$case === 'shed') return { $case: 'shed', error: admission.error };
    onStart();
    let work: Promise<T>;
    try {
      work = options.run(key, signal, workDeadline.at);
    } catch (error) {
      work = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // The slot is held until the work itself settles, even when its answer was given up at the deadline.
    void settledWithoutIo(work).then((withoutIo) => {
      options.hints.record(key, withoutIo);
      admission.permit.release();
    });
    return { $case: 'ran', value: await work };
  }

  async function settleOne(key: string): Promise<[string, Settlement<T>]> {
    const fork = deadline.fork();
    const workFork = carryOverMs === 0 ? fork : workDeadline.fork();
    let running = false;
    unsettledWork += 1;
    const work = admitAndRun(
      key,
      workFork.signal,
      workFork === fork ? undefined : fork.signal,
      () => (running = true),
    );
    const done = (): void => {
      workFork.dispose();
      unsettledWork -= 1;
      if (unsettledWork === 0 && workDeadline !== deadline) workDeadline.dispose();
    };
    work.then(done, done);
    const answer = (outcome: Outcome): T =>
      outcome.$case === 'ran' ? outcome.value : options.onAbort(key, outcome.error.forImage(key));
    try {
      const settled = await settleBefore(work, fork.signal);
      let value: T;
      if (settled.$case === 'done') value = answer(settled.value);
      // Still waiting for a slot: with the same signal the queue sheds it at once and says why.
      else if (!running && workFork === fork) value = answer(await work);
      else if (!running) value = options.onAbort(key, stillQueued(key, options.deadlineMs));
      else value = options.onAbort(key, toAbortError(settled.reason, key, options.deadlineMs));
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
