import { SignetError } from '../errors.js';
import {
  createAdmissionControl,
  createCachedKeyHints,
  settledWithoutIo,
  type Admission,
  type AdmissionControl,
  type AdmissionLane,
  type AdmissionOptions,
} from './admission-control.js';
import { isFinalAnswer } from './render.js';

/** A clock the test moves by hand: no sleeps, no wall clock. */
function createClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function setup(options: Partial<AdmissionOptions> = {}) {
  const clock = createClock();
  const admission = createAdmissionControl({ maxInFlight: 2, now: clock.now, ...options });
  const ask = (lane: AdmissionLane = 'uncached', deadlineInMs = 1000, controller = new AbortController()) => {
    const outcome: { value: Admission | undefined } = { value: undefined };
    const promise = admission.admit({
      deadlineAt: clock.now() + deadlineInMs,
      signal: controller.signal,
      lane,
    });
    void promise.then((value) => (outcome.value = value));
    return { promise, outcome, controller };
  };
  return { clock, admission, ask };
}

async function admitted(admission: Promise<Admission>) {
  const value = await admission;
  if (value.$case !== 'admitted') throw new Error(`expected a permit, got shed: ${value.error.message}`);
  return value.permit;
}

async function shedError(admission: Promise<Admission>): Promise<SignetError> {
  const value = await admission;
  if (value.$case !== 'shed') throw new Error('expected the key to be shed');
  return value.error;
}

/** Lets promise callbacks run (microtasks only). */
const flush = () => Promise.resolve().then(() => undefined);

function queued(admission: AdmissionControl): number {
  const { cached, uncached } = admission.stats().queued;
  return cached + uncached;
}

describe('createAdmissionControl', () => {
  describe('work whose answer was given up', () => {
    it('waits on behind every fresh key, and is still admitted when a slot frees', async () => {
      const { admission, clock } = setup({ maxInFlight: 1 });
      const ask = (answerGivenUp?: AbortSignal) =>
        admission.admit({
          deadlineAt: clock.now() + 10_000,
          signal: new AbortController().signal,
          lane: 'uncached',
          ...(answerGivenUp === undefined ? {} : { answerGivenUp }),
        });
      const running = await admitted(ask());
      const givenUp = new AbortController();
      const carried = ask(givenUp.signal);
      const order: string[] = [];
      void carried.then(() => order.push('carried'));
      givenUp.abort();
      expect(admission.stats().queued).toEqual({ cached: 0, uncached: 0, carried: 1 });
      const fresh = ask();
      void fresh.then(() => order.push('fresh'));
      running.release();
      (await admitted(fresh)).release();
      (await admitted(carried)).release();
      expect(order).toEqual(['fresh', 'carried']);
      expect(admission.stats()).toMatchObject({ inFlight: 0, queued: { carried: 0 } });
    });
  });

  describe('bound on work in flight', () => {
    it('admits up to maxInFlight at once and queues the rest in arrival order', async () => {
      const { admission, ask } = setup();
      const first = await admitted(ask().promise);
      await admitted(ask().promise);
      const third = ask();
      const fourth = ask();
      await flush();
      expect(admission.stats()).toMatchObject({ inFlight: 2, queued: { uncached: 2 } });
      expect(third.outcome.value).toBeUndefined();

      first.release();
      await flush();
      expect(third.outcome.value?.$case).toBe('admitted');
      expect(fourth.outcome.value).toBeUndefined();
      expect(admission.stats()).toMatchObject({ inFlight: 2, queued: { uncached: 1 } });
    });

    it('frees the slot when the last permit is released, once even if released twice', async () => {
      const { admission, ask } = setup({ maxInFlight: 1 });
      const permit = await admitted(ask().promise);
      permit.release();
      permit.release();
      expect(admission.stats().inFlight).toBe(0);
      await admitted(ask().promise);
      expect(admission.stats().inFlight).toBe(1);
    });

    it('sheds at once when the queue is full', async () => {
      const { admission, ask } = setup({ maxInFlight: 1, maxQueued: 1 });
      await admitted(ask().promise);
      ask();
      const error = await shedError(ask().promise);
      expect(error.code).toBe('OVERLOADED');
      expect(error.message).toContain('1 images are already waiting for one of 1 verification slots');
      expect(admission.stats().shed).toBe(1);
    });
  });

  describe('deadline-aware shedding', () => {
    it('sheds a waiting key as soon as its request gives up, and forgets it', async () => {
      const { admission, ask, clock } = setup({ maxInFlight: 1 });
      const running = await admitted(ask().promise);
      const waiting = ask('uncached', 500);
      clock.advance(500);
      waiting.controller.abort(new SignetError('TIMEOUT', { stage: 'server' }));
      const error = await shedError(waiting.promise);
      expect(error.code).toBe('OVERLOADED');
      expect(error.message).toBe(
        'the request deadline passed while the image waited 500 ms for one of 1 verification slots',
      );
      expect(queued(admission)).toBe(0);
      running.release();
      expect(admission.stats().inFlight).toBe(0);
    });

    it('sheds at once a key that was given up before it asked', async () => {
      const { ask } = setup();
      const controller = new AbortController();
      controller.abort();
      expect((await shedError(ask('uncached', 1000, controller).promise)).code).toBe('OVERLOADED');
    });

    it('sheds on arrival when the wait plus the work estimate would pass the deadline', async () => {
      const { admission, ask, clock } = setup({ maxInFlight: 2 });
      // One key took 400 ms: the estimate.
      const sample = await admitted(ask().promise);
      clock.advance(400);
      sample.release();
      expect(admission.stats().estimateMs).toBe(400);
      await admitted(ask().promise);
      await admitted(ask().promise);
      // Next in line: about (0 + 1) × 400 / 2 = 200 ms of waiting and 400 ms of work.
      const fits = ask('uncached', 600);
      await flush();
      expect(fits.outcome.value).toBeUndefined();
      // Behind it: about 400 ms of waiting and 400 ms of work, with 700 ms left.
      const error = await shedError(ask('uncached', 700).promise);
      expect(error.message).toBe(
        'the request deadline would pass first: about 400 ms waiting behind 1 images for one of 2 verification slots and 400 ms of work, 700 ms left',
      );
      expect(queued(admission)).toBe(1);
    });

    it('before any key has finished, takes the age of the oldest running key as the estimate', async () => {
      const { admission, ask, clock } = setup({ maxInFlight: 1 });
      await admitted(ask().promise);
      const early = ask('uncached', 1000); // nothing known yet: queued
      await flush();
      expect(queued(admission)).toBe(1);
      clock.advance(400); // the running key takes 400 ms at least: 2 × 400 waiting + 400 of work > 900 left
      const error = await shedError(ask('uncached', 900).promise);
      expect(error.message).toContain('about 800 ms waiting behind 1 images');
      expect(admission.stats().estimateMs).toBeUndefined();
      expect(early.outcome.value).toBeUndefined();
    });

    it('sheds a waiting key whose time left is below the estimate when a slot frees, and admits the next', async () => {
      const { admission, ask, clock } = setup({ maxInFlight: 1 });
      const sample = await admitted(ask().promise);
      clock.advance(300);
      sample.release();
      const running = await admitted(ask().promise);
      const soon = ask('uncached', 700); // wait ≈ 300 + work 300 ≤ 700: queued
      const later = ask('uncached', 2000);
      await flush();
      expect(queued(admission)).toBe(2);
      clock.advance(500); // `soon` has 200 ms left, less than the 300 ms a key takes
      running.release();
      await flush();
      expect(soon.outcome.value?.$case).toBe('shed');
      expect(soon.outcome.value?.$case === 'shed' && soon.outcome.value.error.message).toContain(
        'waited 500 ms for one of 1 verification slots',
      );
      expect(later.outcome.value?.$case).toBe('admitted');
    });

    it('always runs a key when a slot is free, whatever the estimate (so the estimate can learn)', async () => {
      const { admission, ask, clock } = setup({ maxInFlight: 1 });
      const slow = await admitted(ask().promise);
      clock.advance(5_000);
      slow.release();
      expect(admission.stats().estimateMs).toBe(5_000);
      const permit = await admitted(ask('uncached', 100).promise);
      clock.advance(50);
      permit.release();
      expect(admission.stats().estimateMs).toBe(5_000 + 0.2 * (50 - 5_000));
    });
  });

  describe('cached lane', () => {
    it('uses the reserve when every slot does uncached work, and the reserve serves no uncached key', async () => {
      const { admission, ask } = setup({ maxInFlight: 1, cachedReserve: 1 });
      await admitted(ask().promise);
      const cached = await admitted(ask('cached').promise);
      expect(admission.stats()).toMatchObject({ inFlight: 1, reserveInFlight: 1 });
      const uncached = ask();
      cached.release();
      await flush();
      expect(uncached.outcome.value).toBeUndefined();
      expect(admission.stats().reserveInFlight).toBe(0);
    });

    it('serves waiting cached keys before waiting uncached ones', async () => {
      const { ask } = setup({ maxInFlight: 1, cachedReserve: 1 });
      const running = await admitted(ask().promise);
      const reserve = await admitted(ask('cached').promise);
      const uncached = ask();
      const cached = ask('cached');
      await flush();
      running.release();
      await flush();
      expect(cached.outcome.value?.$case).toBe('admitted');
      expect(uncached.outcome.value).toBeUndefined();
      reserve.release();
      await flush();
      expect(uncached.outcome.value).toBeUndefined();
    });

    it('does not count cached work in the estimate', async () => {
      const { admission, ask, clock } = setup();
      const permit = await admitted(ask('cached').promise);
      clock.advance(1_000);
      permit.release();
      expect(admission.stats().estimateMs).toBeUndefined();
    });
  });

  describe('OVERLOADED', () => {
    it('is a transient failure: never an item, never cached', async () => {
      const { ask } = setup({ maxInFlight: 1, maxQueued: 0 });
      await admitted(ask().promise);
      const error = await shedError(ask().promise);
      expect(error.kind).toBe('inconclusive');
      expect(error.retryable).toBe(true);
      expect(isFinalAnswer(false, error)).toBe(false);
      expect(error.remediation).toContain('--max-in-flight');
    });
  });
});

describe('createCachedKeyHints', () => {
  describe('recording', () => {
    it('remembers keys answered without I/O and forgets them when they needed I/O', () => {
      const hints = createCachedKeyHints();
      hints.record('a', true);
      expect(hints.has('a')).toBe(true);
      hints.record('a', false);
      expect(hints.has('a')).toBe(false);
    });

    it('keeps at most maxEntries, dropping the least recently recorded', () => {
      const hints = createCachedKeyHints(2);
      hints.record('a', true);
      hints.record('b', true);
      hints.record('a', true);
      hints.record('c', true);
      expect([hints.has('a'), hints.has('b'), hints.has('c')]).toEqual([true, false, true]);
      expect(hints.size).toBe(2);
    });
  });
});

describe('settledWithoutIo', () => {
  describe('work answered in microtasks', () => {
    it('is true', async () => {
      const cachedPath = (async () => {
        await Promise.resolve();
        return 'verdict';
      })();
      await expect(settledWithoutIo(cachedPath)).resolves.toBe(true);
    });
  });

  describe('work that waits for the event loop', () => {
    it('is false, rejected or not', async () => {
      // Settled by a callback of a later phase than the check (as I/O completions are): scheduled after it.
      const later = (settle: (done: () => void, fail: (error: Error) => void) => void) =>
        new Promise<void>((resolve, reject) =>
          queueMicrotask(() => setImmediate(() => settle(resolve, reject))),
        );
      const answered = later((done) => done());
      const failed = later((_done, fail) => fail(new Error('registry down')));
      await expect(Promise.all([settledWithoutIo(answered), settledWithoutIo(failed)])).resolves.toEqual([
        false,
        false,
      ]);
    });
  });
});
