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
      const deadline = createDeadline(20);
      const never = new Promise<number>((_resolve, reject) =>
        setTimeout(() => reject(new Error('late')), 60),
      );
      const settled = await settleBefore(never, deadline.signal);
      expect(settled.$case).toBe('aborted');
      expect(
        settled.$case === 'aborted' && settled.reason instanceof SignetError && settled.reason.code,
      ).toBe('TIMEOUT');
      await new Promise((resolve) => setTimeout(resolve, 60));
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
