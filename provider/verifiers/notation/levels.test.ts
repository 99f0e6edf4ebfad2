import {
  LEVELS,
  LevelError,
  resolveVerificationLevel,
  type ValidationAction,
  type ValidationType,
} from './levels.js';

describe('LEVELS', () => {
  describe("notation's action table", () => {
    it.each<[string, Record<ValidationType, ValidationAction>]>([
      [
        'strict',
        {
          integrity: 'enforce',
          authenticity: 'enforce',
          authenticTimestamp: 'enforce',
          expiry: 'enforce',
          revocation: 'enforce',
        },
      ],
      [
        'permissive',
        {
          integrity: 'enforce',
          authenticity: 'enforce',
          authenticTimestamp: 'log',
          expiry: 'log',
          revocation: 'log',
        },
      ],
      [
        'audit',
        {
          integrity: 'enforce',
          authenticity: 'log',
          authenticTimestamp: 'log',
          expiry: 'log',
          revocation: 'log',
        },
      ],
      [
        'skip',
        {
          integrity: 'skip',
          authenticity: 'skip',
          authenticTimestamp: 'skip',
          expiry: 'skip',
          revocation: 'skip',
        },
      ],
    ])('%s', (name, expected) => {
      expect(resolveVerificationLevel(name, undefined).enforcement).toEqual(expected);
    });
  });
});

describe('resolveVerificationLevel', () => {
  describe('overrides', () => {
    it('applies them to the base level and names the result custom', () => {
      const level = resolveVerificationLevel('strict', { expiry: 'log', revocation: 'skip' });
      expect(level.name).toBe('custom');
      expect(level.enforcement).toEqual({ ...LEVELS.strict.enforcement, expiry: 'log', revocation: 'skip' });
    });

    it('returns the base level for an empty override', () => {
      expect(resolveVerificationLevel('audit', {})).toBe(LEVELS.audit);
    });

    it.each<[string, unknown, unknown, RegExp]>([
      ['integrity', 'permissive', { integrity: 'enforce' }, /"integrity" verification can not be overridden/],
      [
        'skipping authenticity',
        'strict',
        { authenticity: 'skip' },
        /"authenticity" verification can not be skipped/,
      ],
      ['skipping expiry', 'strict', { expiry: 'skip' }, /"expiry" verification can not be skipped/],
      ['an unknown validation', 'strict', { trust: 'log' }, /verification type "trust" .* is not supported/],
      ['an unknown action', 'strict', { expiry: 'warn' }, /verification action "warn" .* is not supported/],
      ['customising skip', 'skip', { revocation: 'log' }, /"skip" can't be used to customize/],
      ['an unknown level', 'lenient', undefined, /invalid signature verification level "lenient"/],
      ['a missing level', undefined, undefined, /empty or missing/],
    ])('rejects %s', (_name, level, override, reason) => {
      expect(() => resolveVerificationLevel(level, override)).toThrow(LevelError);
      expect(() => resolveVerificationLevel(level, override)).toThrow(reason);
    });
  });
});
