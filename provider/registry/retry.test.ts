import { DEFAULT_RETRY_POLICY, computeBackoffMs, isRetryableStatus, parseRetryAfter } from './retry.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');

  describe('delay-seconds', () => {
    it.each([
      ['0', 0],
      ['2', 2000],
      [' 120 ', 120_000],
    ])('%j → %d ms', (value, expected) => {
      expect(parseRetryAfter(value, now)).toBe(expected);
    });
  });

  describe('HTTP-date', () => {
    it.each([
      ['Mon, 01 Jan 2024 00:00:03 GMT', 3000],
      ['Monday, 01-Jan-24 00:00:05 GMT', 5000],
      ['Sun, 31 Dec 2023 23:59:00 GMT', 0],
    ])('%j → %d ms', (value, expected) => {
      expect(parseRetryAfter(value, now)).toBe(expected);
    });
  });

  describe('unparsable', () => {
    it.each([undefined, '', '-1', '1.5', 'soon', '2024-01-01', 'Mon, garbage'])('%j → undefined', (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    });
  });
});

describe('computeBackoffMs', () => {
  describe('full jitter', () => {
    it('stays below the doubling ceiling', () => {
      expect(computeBackoffMs(1, DEFAULT_RETRY_POLICY, () => 0.999)).toBe(99);
      expect(computeBackoffMs(2, DEFAULT_RETRY_POLICY, () => 0.999)).toBe(199);
      expect(computeBackoffMs(3, DEFAULT_RETRY_POLICY, () => 0.5)).toBe(200);
    });
    it('never exceeds maxDelayMs', () => {
      expect(computeBackoffMs(30, DEFAULT_RETRY_POLICY, () => 0.999)).toBeLessThan(
        DEFAULT_RETRY_POLICY.maxDelayMs,
      );
    });
    it('can be zero', () => {
      expect(computeBackoffMs(2, DEFAULT_RETRY_POLICY, () => 0)).toBe(0);
    });
  });
});

describe('isRetryableStatus', () => {
  describe('statuses', () => {
    it.each([
      [429, true],
      [500, true],
      [502, true],
      [503, true],
      [504, true],
      [501, false],
      [404, false],
      [401, false],
      [200, false],
    ])('%d → %s', (status, expected) => {
      expect(isRetryableStatus(status)).toBe(expected);
    });
  });
});
