import { createConcurrencyController } from './concurrency-controller.js';
import type { ConcurrencyLimits } from './concurrency-controller.js';

function setup(limits: Partial<ConcurrencyLimits> = {}) {
  let now = 0;
  const controller = createConcurrencyController({
    initial: 4,
    min: 1,
    max: 64,
    maxPauseMs: 5000,
    now: () => now,
    ...limits,
  });
  const answered = (latencyMs: number, binding = true) =>
    controller.record({ $case: 'answered', latencyMs }, binding);
  return { controller, answered, advance: (ms: number) => (now += ms) };
}

describe('createConcurrencyController', () => {
  describe('slow start', () => {
    it('grows by one per answer while latency is flat and the limit binds (doubling per round trip)', () => {
      const { controller, answered } = setup();
      for (let i = 0; i < 4; i += 1) answered(20);
      expect(controller.limit).toBe(8);
      for (let i = 0; i < 8; i += 1) answered(21);
      expect(controller.limit).toBe(16);
    });

    it('does not grow a limit that is not what holds requests back', () => {
      const { controller, answered } = setup();
      for (let i = 0; i < 10; i += 1) answered(20, false);
      expect(controller.limit).toBe(4);
    });

    it('never grows past max', () => {
      const { controller, answered } = setup({ max: 6 });
      for (let i = 0; i < 100; i += 1) answered(20);
      expect(controller.limit).toBe(6);
    });
  });

  describe('rising latency', () => {
    it('stops growing, then grows by about one per round trip (congestion avoidance)', () => {
      const { controller, answered } = setup({ initial: 10 });
      answered(20);
      expect(controller.limit).toBe(11);
      answered(200); // well above 2 × baseline + slack: the registry queues
      expect(controller.limit).toBe(11);
      for (let i = 0; i < 12; i += 1) answered(20); // + 1/limit each: one more per limit's worth of answers
      expect(controller.limit).toBe(12);
    });
  });

  describe('throttling', () => {
    it('halves on 429/503, once per window however many answers say so', () => {
      const { controller, answered, advance } = setup({ initial: 32 });
      answered(20);
      for (let i = 0; i < 10; i += 1) controller.record({ $case: 'throttled' }, true);
      expect(controller.limit).toBe(16);
      advance(150);
      controller.record({ $case: 'throttled' }, true);
      expect(controller.limit).toBe(8);
    });

    it('never goes below min', () => {
      const { controller, advance } = setup({ initial: 2, min: 2 });
      for (let i = 0; i < 5; i += 1) {
        controller.record({ $case: 'throttled' }, true);
        advance(1000);
      }
      expect(controller.limit).toBe(2);
    });

    it('pauses for the Retry-After asked, capped at maxPauseMs', () => {
      const { controller, advance } = setup({ maxPauseMs: 3000 });
      expect(controller.pausedForMs()).toBe(0);
      controller.record({ $case: 'throttled', retryAfterMs: 1000 }, true);
      expect(controller.pausedForMs()).toBe(1000);
      advance(400);
      expect(controller.pausedForMs()).toBe(600);
      controller.record({ $case: 'throttled', retryAfterMs: 60_000 }, true);
      expect(controller.pausedForMs()).toBe(3000);
      advance(3000);
      expect(controller.pausedForMs()).toBe(0);
    });
  });

  describe('failures without an answer', () => {
    it('change nothing', () => {
      const { controller } = setup();
      for (let i = 0; i < 10; i += 1) controller.record({ $case: 'failed' }, true);
      expect(controller.limit).toBe(4);
      expect(controller.pausedForMs()).toBe(0);
    });
  });
});
