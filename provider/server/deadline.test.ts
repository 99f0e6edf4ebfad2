import { getEventListeners } from 'node:events';
import { jest } from '@jest/globals';
import { SignetError } from '../errors.js';
import { createDeadline, settleBefore } from './deadline.js';

describe('settleBefore', () => {
  describe('work first', () => {
    it('returns the value', async () => {
      const deadline = createDeadline(1_000);
      await expect(settleBefore(Promise.resolve(7), deadline.signal)).resolves.toEqual({
        $case: 'done',
        value: 7,
      });
      deadline.dispose();
    });
  });

  describe('deadline first', () => {
    it('returns at the deadline with a TIMEOUT reason, and a late rejection is handled', async () => {
      // The clock is jest's: the deadline passes and the work fails later without anyone waiting for either.
      jest.useFakeTimers();
      try {
        const deadline = createDeadline(20);
        let rejectLate: (error: Error) => void = () => undefined;
        const never = new Promise<number>((_resolve, reject) => (rejectLate = reject));
        const settling = settleBefore(never, deadline.signal);
        jest.advanceTimersByTime(20);
        const settled = await settling;
        expect(settled.$case).toBe('aborted');
        expect(
          settled.$case === 'aborted' && settled.reason instanceof SignetError && settled.reason.code,
        ).toBe('TIMEOUT');
        // An unhandled rejection would fail the test run; the race already subscribed to `never`.
        rejectLate(new Error('late'));
        await Promise.resolve();
      } finally {
        jest.useRealTimers();
      }
    });

    it('returns at once for an already aborted signal', async () => {
      const deadline = createDeadline(1_000);
      deadline.abort(new SignetError('TIMEOUT', { stage: 'server' }));
      await expect(
        settleBefore(new Promise<number>(() => undefined), deadline.signal),
      ).resolves.toMatchObject({ $case: 'aborted' });
      deadline.dispose();
    });
  });
});

describe('createDeadline', () => {
  describe('forks', () => {
    it('aborts every fork with the deadline reason, and a fork made after the deadline at once', () => {
      const deadline = createDeadline(1_000);
      const forks = [deadline.fork(), deadline.fork()];
      const reason = new SignetError('TIMEOUT', { stage: 'server' });
      deadline.abort(reason);
      expect(forks.map((fork) => fork.signal.reason as unknown)).toEqual([reason, reason]);
      expect(deadline.fork().signal.aborted).toBe(true);
      deadline.dispose();
    });

    it('leaves a disposed fork alone', () => {
      const deadline = createDeadline(1_000);
      const done = deadline.fork();
      done.dispose();
      deadline.abort(new SignetError('TIMEOUT', { stage: 'server' }));
      expect(done.signal.aborted).toBe(false);
      deadline.dispose();
    });

    it('adds no listener to the deadline signal, however many forks', () => {
      const deadline = createDeadline(1_000);
      for (let i = 0; i < 1000; i += 1) deadline.fork();
      expect(getEventListeners(deadline.signal, 'abort')).toHaveLength(0);
      deadline.dispose();
    });
  });

  describe('time already spent', () => {
    it('counts the deadline from the request arrival and keeps the answer budget', () => {
      jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
      try {
        const before = Date.now();
        const deadline = createDeadline(1_000, { elapsedMs: 300, answerMs: 50 });
        const after = Date.now();
        expect(deadline.at).toBeGreaterThanOrEqual(before + 650);
        expect(deadline.at).toBeLessThanOrEqual(after + 650);
        // And the signal aborts exactly then, not a tick earlier.
        jest.advanceTimersByTime(649);
        expect(deadline.signal.aborted).toBe(false);
        jest.advanceTimersByTime(1);
        expect(deadline.signal.aborted).toBe(true);
        deadline.dispose();
      } finally {
        jest.useRealTimers();
      }
    });

    it('is already due when more than the deadline has passed', async () => {
      const deadline = createDeadline(100, { elapsedMs: 500 });
      const settled = await settleBefore(new Promise<number>(() => undefined), deadline.signal);
      expect(settled.$case).toBe('aborted');
      deadline.dispose();
    });
  });
});
