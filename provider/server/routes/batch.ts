import { performance } from 'node:perf_hooks';
import type { Response } from 'express';
import { SignetError } from '../../errors.js';
import { createDeadline, settleBefore } from '../deadline.js';

export interface Settlement<T> {
  readonly value: T;
  readonly durationMs: number;
}

export interface SettleKeysOptions<T> {
  readonly keys: readonly string[];
  readonly deadlineMs: number;
  /** The response, so that work stops when the client hangs up. */
  readonly res: Response;
  /** Does one key's work; must not reject (failures are values). */
  readonly run: (key: string, signal: AbortSignal, deadline: number) => Promise<T>;
  /** The value for a key whose work did not finish before the deadline (or the client left). */
  readonly onAbort: (key: string, error: SignetError) => T;
}

function toAbortError(reason: unknown, key: string, deadlineMs: number): SignetError {
  if (reason instanceof SignetError) return reason.forImage(key);
  return new SignetError('TIMEOUT', { stage: 'server', image: key, details: { deadlineMs } });
}

/**
 * Runs every distinct key once, in parallel, under one request deadline, and settles each key as soon
 * as its work finishes or the deadline passes — never waiting for work past the deadline.
 */
export async function settleKeys<T>(options: SettleKeysOptions<T>): Promise<Map<string, Settlement<T>>> {
  const deadline = createDeadline(options.deadlineMs);
  options.res.on('close', () => {
    if (options.res.writableFinished) return;
    deadline.abort(
      new SignetError('TIMEOUT', {
        stage: 'server',
        reason: 'the client closed the connection before the answer was ready',
      }),
    );
  });
  const started = performance.now();

  async function settleOne(key: string): Promise<[string, Settlement<T>]> {
    const settled = await settleBefore(options.run(key, deadline.signal, deadline.at), deadline.signal);
    const value =
      settled.$case === 'done'
        ? settled.value
        : options.onAbort(key, toAbortError(settled.reason, key, options.deadlineMs));
    return [key, { value, durationMs: performance.now() - started }];
  }

  try {
    return new Map(await Promise.all([...new Set(options.keys)].map(settleOne)));
  } finally {
    deadline.dispose();
  }
}
