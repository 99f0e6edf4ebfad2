/**
 * Adaptive concurrency for one registry host (AIMD, as TCP's congestion control): the number of requests in
 * flight grows while the host answers as fast as it did unloaded, stops growing when its latency rises, and halves
 * when the host says it is overloaded (429, 503). A Retry-After pauses every new request to the host for that
 * long, so the requests waiting behind a throttled one do not each run into the same refusal (no retry storm).
 *
 * A fixed cap either starves a fast registry (a 100-image batch at 20 ms RTT advanced 16 requests per round trip,
 * in lockstep) or floods a slow one; this one starts at `initial`, doubles per round trip while the limit is the
 * bottleneck and latency stays flat (slow start), and after the first sign of congestion grows by one per round
 * trip instead.
 */

export interface ConcurrencyLimits {
  /** Requests in flight to a host before it has taught anything. */
  readonly initial: number;
  /** Never fewer than this (at least 1). */
  readonly min: number;
  /** Never more than this; also the size of the host's keep-alive pool. */
  readonly max: number;
  /** A Retry-After longer than this pauses the host only this long. */
  readonly maxPauseMs: number;
  /** Monotonic milliseconds; injectable for tests. */
  readonly now?: () => number;
}

/** How one request went, as the semaphore's release reports it. */
export type RequestFeedback =
  /** The host answered (any status but a throttling one), after `latencyMs`. */
  | { readonly $case: 'answered'; readonly latencyMs: number }
  /** 429 or 503, with the Retry-After it asked for, if any. */
  | { readonly $case: 'throttled'; readonly retryAfterMs?: number }
  /** No answer (network failure, timeout, aborted): says nothing about the host's load. */
  | { readonly $case: 'failed' };

export interface ConcurrencyController {
  /** Requests allowed in flight now (an integer ≥ min). */
  readonly limit: number;
  /** Milliseconds until new requests may start again (0: not paused). */
  pausedForMs(): number;
  /** Learns from one finished request; `limitWasBinding`: it ran with every permit taken or others waiting. */
  record(feedback: RequestFeedback, limitWasBinding: boolean): void;
}

export const DEFAULT_CONCURRENCY_LIMITS: ConcurrencyLimits = {
  initial: 16,
  min: 1,
  max: 128,
  maxPauseMs: 5000,
};

/** Latency within this factor of the unloaded baseline (plus the slack below) counts as flat. */
const FLAT_LATENCY_FACTOR = 2;
/** Absolute slack for event-loop and scheduling noise on small latencies (loopback answers in < 1 ms). */
const FLAT_LATENCY_SLACK_MS = 10;
/** How fast the baseline follows latencies above it: a lasting route change is learned within ~64 answers. */
const BASELINE_RISE_WEIGHT = 1 / 64;
/** At most one decrease per this window (or two baselines, if longer): one burst of 429s is one signal. */
const DECREASE_WINDOW_MS = 100;

export function createConcurrencyController(limits: ConcurrencyLimits): ConcurrencyController {
  const now = limits.now ?? (() => performance.now());
  const min = Math.max(1, Math.floor(limits.min));
  const max = Math.max(min, Math.floor(limits.max));
  let limit = Math.min(max, Math.max(min, limits.initial));
  let slowStart = true;
  let baselineMs: number | undefined;
  let lastDecreaseAt = -Infinity;
  let pausedUntil = 0;

  function decrease(): void {
    slowStart = false;
    const at = now();
    if (at - lastDecreaseAt < Math.max(DECREASE_WINDOW_MS, 2 * (baselineMs ?? 0))) return;
    lastDecreaseAt = at;
    limit = Math.max(min, Math.floor(limit / 2));
  }

  return {
    get limit() {
      return Math.floor(limit);
    },
    pausedForMs: () => Math.max(0, pausedUntil - now()),
    record(feedback, limitWasBinding) {
      switch (feedback.$case) {
        case 'failed':
          return;
        case 'throttled':
          decrease();
          if (feedback.retryAfterMs !== undefined && feedback.retryAfterMs > 0)
            pausedUntil = Math.max(pausedUntil, now() + Math.min(feedback.retryAfterMs, limits.maxPauseMs));
          return;
        case 'answered': {
          const latency = feedback.latencyMs;
          baselineMs =
            baselineMs === undefined || latency < baselineMs
              ? latency
              : baselineMs + BASELINE_RISE_WEIGHT * (latency - baselineMs);
          const flat = latency <= FLAT_LATENCY_FACTOR * baselineMs + FLAT_LATENCY_SLACK_MS;
          if (!flat) {
            slowStart = false;
            return;
          }
          // Growing a limit that is not what holds requests back would only raise the ceiling of a later burst.
          if (!limitWasBinding) return;
          limit = Math.min(max, limit + (slowStart ? 1 : 1 / limit));
        }
      }
    },
  };
}
