/**
 * N concurrent calls for one key cost one execution. Each caller may bring its own AbortSignal:
 * an aborted caller stops waiting (rejecting with its signal's reason) without disturbing the others;
 * only when every caller has gone is the shared execution itself aborted, so no work runs for nobody.
 */
export interface Singleflight<V> {
  run(key: string, execute: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V>;
  /** Keys with an execution in flight. */
  readonly size: number;
}

interface Flight<V> {
  readonly execution: Promise<V>;
  readonly controller: AbortController;
  waiters: number;
  settled: boolean;
}

export function createSingleflight<V>(): Singleflight<V> {
  const flights = new Map<string, Flight<V>>();

  function start(key: string, execute: (signal: AbortSignal) => Promise<V>): Flight<V> {
    const controller = new AbortController();
    // Deferring the call turns a synchronous throw into a rejection every waiter sees.
    const execution = Promise.resolve().then(() => execute(controller.signal));
    const flight: Flight<V> = { execution, controller, waiters: 0, settled: false };
    const finish = (): void => {
      flight.settled = true;
      if (flights.get(key) === flight) flights.delete(key);
    };
    execution.then(finish, finish);
    flights.set(key, flight);
    return flight;
  }

  function leave(key: string, flight: Flight<V>, reason: unknown): void {
    flight.waiters -= 1;
    if (flight.waiters > 0 || flight.settled) return;
    // Nobody waits any more: stop the work, and let the next caller start afresh rather than join it.
    if (flights.get(key) === flight) flights.delete(key);
    flight.controller.abort(reason);
  }

  return {
    async run(key, execute, signal) {
      if (signal?.aborted === true) throw signal.reason;
      const flight = flights.get(key) ?? start(key, execute);
      flight.waiters += 1;
      if (signal === undefined) return flight.execution;
      let onAbort: (() => void) | undefined;
      const left = new Promise<{ readonly left: true; readonly reason: unknown }>((resolve) => {
        onAbort = () => {
          const reason: unknown = signal.reason;
          leave(key, flight, reason);
          resolve({ left: true, reason });
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        const outcome = await Promise.race([
          flight.execution.then((value) => ({ left: false as const, value })),
          left,
        ]);
        if (outcome.left) throw outcome.reason;
        return outcome.value;
      } finally {
        if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      }
    },
    get size() {
      return flights.size;
    },
  };
}
