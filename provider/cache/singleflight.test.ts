import { createSingleflight } from './singleflight.js';

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createSingleflight', () => {
  describe('concurrent calls for one key', () => {
    it('execute once and share the value', async () => {
      const flight = createSingleflight<number>();
      const gate = deferred<number>();
      let executions = 0;
      const execute = () => {
        executions += 1;
        return gate.promise;
      };
      const calls = Array.from({ length: 10 }, () => flight.run('k', execute));
      gate.resolve(42);
      expect(await Promise.all(calls)).toEqual(Array<number>(10).fill(42));
      expect(executions).toBe(1);
      expect(flight.size).toBe(0);
    });

    it('share a rejection, including a synchronous throw', async () => {
      const flight = createSingleflight<number>();
      const execute = (): Promise<number> => {
        throw new Error('boom');
      };
      await expect(Promise.all([flight.run('k', execute), flight.run('k', execute)])).rejects.toThrow('boom');
      expect(flight.size).toBe(0);
    });

    it('execute again once the previous execution settled', async () => {
      const flight = createSingleflight<number>();
      let executions = 0;
      const execute = () => Promise.resolve((executions += 1));
      await flight.run('k', execute);
      await flight.run('k', execute);
      expect(executions).toBe(2);
    });

    it('keep different keys apart', async () => {
      const flight = createSingleflight<string>();
      const values = await Promise.all([
        flight.run('a', () => Promise.resolve('A')),
        flight.run('b', () => Promise.resolve('B')),
      ]);
      expect(values).toEqual(['A', 'B']);
    });
  });

  describe('aborted waiters', () => {
    it('an aborted waiter stops waiting without cancelling the others', async () => {
      const flight = createSingleflight<string>();
      const gate = deferred<string>();
      let executionSignal: AbortSignal | undefined;
      const execute = (signal: AbortSignal) => {
        executionSignal = signal;
        return gate.promise;
      };
      const impatient = new AbortController();
      const first = flight.run('k', execute, impatient.signal);
      const second = flight.run('k', execute, new AbortController().signal);
      impatient.abort(new Error('deadline'));
      await expect(first).rejects.toThrow('deadline');
      expect(executionSignal?.aborted).toBe(false);
      gate.resolve('done');
      await expect(second).resolves.toBe('done');
    });

    it('aborts the execution when every waiter has gone, and a new call starts afresh', async () => {
      const flight = createSingleflight<string>();
      const signals: AbortSignal[] = [];
      const execute = (signal: AbortSignal) => {
        signals.push(signal);
        return new Promise<string>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('stopped'))),
        );
      };
      const a = new AbortController();
      const b = new AbortController();
      const calls = [flight.run('k', execute, a.signal), flight.run('k', execute, b.signal)];
      await Promise.resolve();
      await Promise.resolve();
      a.abort(new Error('a gone'));
      b.abort(new Error('b gone'));
      await expect(calls[0]).rejects.toThrow('a gone');
      await expect(calls[1]).rejects.toThrow('b gone');
      expect(signals[0]?.aborted).toBe(true);
      expect(flight.size).toBe(0);
      const fresh = flight.run('k', () => Promise.resolve('fresh'));
      await expect(fresh).resolves.toBe('fresh');
    });

    it('rejects at once for an already aborted signal', async () => {
      const flight = createSingleflight<string>();
      const controller = new AbortController();
      controller.abort(new Error('late'));
      let executed = false;
      await expect(
        flight.run(
          'k',
          () => {
            executed = true;
            return Promise.resolve('x');
          },
          controller.signal,
        ),
      ).rejects.toThrow('late');
      expect(executed).toBe(false);
    });
  });
});
