import { createKeyedSemaphore, createSemaphore } from './semaphore.js';

describe('createSemaphore', () => {
  describe('under the limit', () => {
    it('grants permits at once', async () => {
      const semaphore = createSemaphore(2);
      const signal = new AbortController().signal;
      await semaphore.acquire(signal);
      await semaphore.acquire(signal);
      expect(semaphore.inUse).toBe(2);
    });
  });

  describe('at the limit', () => {
    it('queues in FIFO order and hands permits over on release', async () => {
      const semaphore = createSemaphore(1);
      const signal = new AbortController().signal;
      const release = await semaphore.acquire(signal);
      const order: number[] = [];
      const second = semaphore.acquire(signal).then((next) => {
        order.push(2);
        return next;
      });
      const third = semaphore.acquire(signal).then((next) => {
        order.push(3);
        return next;
      });
      expect(semaphore.waiting).toBe(2);
      release();
      release(); // a second call is a no-op
      (await second)();
      (await third)();
      expect(order).toEqual([2, 3]);
      expect(semaphore.inUse).toBe(0);
    });
  });

  describe('abort while waiting', () => {
    it('rejects with the reason and leaves the queue', async () => {
      const semaphore = createSemaphore(1);
      await semaphore.acquire(new AbortController().signal);
      const controller = new AbortController();
      const waiting = semaphore.acquire(controller.signal);
      controller.abort(new Error('deadline'));
      await expect(waiting).rejects.toThrow('deadline');
      expect(semaphore.waiting).toBe(0);
    });
    it('rejects at once when already aborted', async () => {
      await expect(createSemaphore(1).acquire(AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    });
  });

  describe('invalid limit', () => {
    it('throws', () => {
      expect(() => createSemaphore(0)).toThrow(RangeError);
    });
  });
});

describe('createKeyedSemaphore', () => {
  const signal = new AbortController().signal;

  it('deletes a key once its last permit is released, so distinct hosts do not accumulate', async () => {
    const semaphores = createKeyedSemaphore(2);
    for (let i = 0; i < 1000; i += 1) {
      const release = await semaphores.acquire(`registry-${i}.example`, signal);
      expect(semaphores.size).toBe(1);
      release();
      expect(semaphores.size).toBe(0);
    }
  });

  it('keeps a key while a permit is held or a waiter queues, and caps each key separately', async () => {
    const semaphores = createKeyedSemaphore(1);
    const first = await semaphores.acquire('a', signal);
    const other = await semaphores.acquire('b', signal); // another host is not blocked by a
    expect(semaphores.size).toBe(2);
    other();
    expect(semaphores.size).toBe(1);
    let secondGranted = false;
    const second = semaphores.acquire('a', signal).then((release) => {
      secondGranted = true;
      return release;
    });
    await Promise.resolve();
    expect(secondGranted).toBe(false);
    first();
    first(); // a second call is a no-op
    const release = await second;
    expect(secondGranted).toBe(true);
    expect(semaphores.size).toBe(1); // handed over to the waiter, still in use
    release();
    expect(semaphores.size).toBe(0);
  });

  it('a fresh semaphore after pruning still enforces the limit', async () => {
    const semaphores = createKeyedSemaphore(1);
    (await semaphores.acquire('a', signal))();
    const held = await semaphores.acquire('a', signal);
    const controller = new AbortController();
    const waiting = semaphores.acquire('a', controller.signal);
    controller.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    expect(semaphores.size).toBe(1); // the holder keeps the entry
    held();
    expect(semaphores.size).toBe(0);
  });

  it('prunes a key whose only acquire was already aborted', async () => {
    const semaphores = createKeyedSemaphore(1);
    await expect(semaphores.acquire('a', AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    expect(semaphores.size).toBe(0);
  });

  it('throws on an invalid limit at creation', () => {
    expect(() => createKeyedSemaphore(0)).toThrow(RangeError);
  });
});

describe('adaptive limits', () => {
  const signal = new AbortController().signal;
  const limits = { initial: 1, min: 1, max: 4, maxPauseMs: 5000 };

  it('grants more at once after flat answers while the limit bound', async () => {
    const semaphores = createKeyedSemaphore(limits);
    const first = await semaphores.acquire('a', signal);
    const queued = semaphores.acquire('a', signal);
    first({ $case: 'answered', latencyMs: 5 });
    const second = await queued;
    expect(semaphores.limitOf('a')).toBe(2);
    const third = await semaphores.acquire('a', signal); // two in flight now, without waiting
    second({ $case: 'answered', latencyMs: 5 }); // ran with both permits taken: grows
    third({ $case: 'answered', latencyMs: 5 }); // ran alone under a limit of 3: does not
    // Learned, and kept while the host is idle.
    expect(semaphores.size).toBe(0);
    expect(semaphores.limitOf('a')).toBe(3);
    expect(semaphores.limitOf('b')).toBe(1);
  });

  it('holds every waiter of a host for its Retry-After, then grants them', async () => {
    const clock = { now: 0 };
    const semaphores = createKeyedSemaphore({ ...limits, initial: 2, now: () => clock.now });
    const throttled = await semaphores.acquire('a', signal);
    throttled({ $case: 'throttled', retryAfterMs: 20 });
    let granted = false;
    const waiting = semaphores.acquire('a', signal).then((release) => {
      granted = true;
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(granted).toBe(false);
    clock.now = 20;
    (await waiting)();
    expect(granted).toBe(true);
    expect(semaphores.limitOf('a')).toBe(1);
  });
});
