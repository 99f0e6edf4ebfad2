/**
 * notation's verification levels: what each validation does (enforce, log, skip) at each level,
 * and the `override` rules (integrity can never be overridden; only revocation may be skipped;
 * the skip level cannot be customised).
 */

/** Validation names exactly as notation spells them, in notation's evaluation order. */
export const VALIDATION_TYPES = [
  'integrity',
  'authenticity',
  'expiry',
  'authenticTimestamp',
  'revocation',
] as const;
export type ValidationType = (typeof VALIDATION_TYPES)[number];

export const VALIDATION_ACTIONS = ['enforce', 'log', 'skip'] as const;
export type ValidationAction = (typeof VALIDATION_ACTIONS)[number];

export const LEVEL_NAMES = ['strict', 'permissive', 'audit', 'skip'] as const;
export type LevelName = (typeof LEVEL_NAMES)[number];

export interface VerificationLevel {
  /** The level's name, or `custom` when an override changed it (as notation names it). */
  readonly name: LevelName | 'custom';
  readonly enforcement: Readonly<Record<ValidationType, ValidationAction>>;
}

export const LEVELS: Readonly<Record<LevelName, VerificationLevel>> = {
  strict: {
    name: 'strict',
    enforcement: {
      integrity: 'enforce',
      authenticity: 'enforce',
      authenticTimestamp: 'enforce',
      expiry: 'enforce',
      revocation: 'enforce',
    },
  },
  permissive: {
    name: 'permissive',
    enforcement: {
      integrity: 'enforce',
      authenticity: 'enforce',
      authenticTimestamp: 'log',
      expiry: 'log',
      revocation: 'log',
    },
  },
  audit: {
    name: 'audit',
    enforcement: {
      integrity: 'enforce',
      authenticity: 'log',
      authenticTimestamp: 'log',
      expiry: 'log',
      revocation: 'log',
    },
  },
  skip: {
    name: 'skip',
    enforcement: {
      integrity: 'skip',
      authenticity: 'skip',
      authenticTimestamp: 'skip',
      expiry: 'skip',
      revocation: 'skip',
    },
  },
};

export class LevelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LevelError';
  }
}

/** notation's GetVerificationLevel: a level plus an optional override map. */
export function resolveVerificationLevel(level: unknown, override: unknown): VerificationLevel {
  if (level === undefined || level === '')
    throw new LevelError('signature verification level is empty or missing in the trust policy statement');
  const base = typeof level === 'string' && isLevelName(level) ? LEVELS[level] : undefined;
  if (base === undefined)
    throw new LevelError(`invalid signature verification level ${JSON.stringify(level)}`);
  if (override === undefined || override === null) return base;
  if (typeof override !== 'object' || Array.isArray(override))
    throw new LevelError('"override" must be a map of validation type to action');
  const entries = Object.entries(override as Record<string, unknown>);
  if (entries.length === 0) return base;
  if (base.name === 'skip') {
    throw new LevelError(
      `signature verification level "skip" can't be used to customize signature verification`,
    );
  }
  const enforcement: Record<ValidationType, ValidationAction> = { ...base.enforcement };
  for (const [key, value] of entries) {
    const type = VALIDATION_TYPES.find((candidate) => candidate === key);
    if (type === undefined) {
      throw new LevelError(
        `verification type ${JSON.stringify(key)} in custom signature verification is not supported, supported values are ${goStringList(VALIDATION_TYPES)}`,
      );
    }
    const action = VALIDATION_ACTIONS.find((candidate) => candidate === value);
    if (action === undefined) {
      throw new LevelError(
        `verification action ${JSON.stringify(value)} in custom signature verification is not supported, supported values are ${goStringList(VALIDATION_ACTIONS)}`,
      );
    }
    if (type === 'integrity')
      throw new LevelError(`"integrity" verification can not be overridden in custom signature verification`);
    if (type !== 'revocation' && action === 'skip') {
      throw new LevelError(
        `${JSON.stringify(type)} verification can not be skipped in custom signature verification`,
      );
    }
    enforcement[type] = action;
  }
  return { name: 'custom', enforcement };
}

function isLevelName(value: string): value is LevelName {
  return (LEVEL_NAMES as readonly string[]).includes(value);
}

function goStringList(values: readonly string[]): string {
  return `[${values.map((value) => JSON.stringify(value)).join(' ')}]`;
}
