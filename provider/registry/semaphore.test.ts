import { createSemaphore } from './semaphore.js';

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
