import type { CosignCondition, CosignConditionBlock } from '../../config/index.js';
import { isJsonObject } from './untrusted-json.js';

/** A value shown in a message is cut to this many characters. */
const MAX_SHOWN_CHARS = 100;

/** The value at `path` in `document`, or undefined when a segment is missing. */
function lookup(document: unknown, path: readonly string[]): unknown {
  let current: unknown = document;
  for (const segment of path) {
    if (!isJsonObject(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/** JSON equality: same type and value, arrays in order, objects by key regardless of order. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => jsonEqual(item, b[i]))
    );
  }
  if (isJsonObject(a) || isJsonObject(b)) {
    if (!isJsonObject(a) || !isJsonObject(b)) return false;
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]))
    );
  }
  return a === b;
}

/** Kyverno's `In`: the found value (each of them, for a list) is one of the listed values. */
function isIn(found: unknown, listed: unknown): boolean {
  if (!Array.isArray(listed) || found === undefined) return false;
  const candidates = Array.isArray(found) ? found : [found];
  return candidates.every((candidate) => listed.some((allowed) => jsonEqual(candidate, allowed)));
}

function holds(condition: CosignCondition, predicate: unknown): boolean {
  const found = lookup(predicate, condition.path);
  switch (condition.operator) {
    case 'Equals':
      return found !== undefined && jsonEqual(found, condition.value);
    case 'NotEquals':
      return !jsonEqual(found, condition.value);
    case 'In':
      return isIn(found, condition.value);
    case 'NotIn':
      return !isIn(found, condition.value);
  }
}

function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
}

function describe(condition: CosignCondition, predicate: unknown): string {
  return `${condition.key} ${condition.operator} ${shown(condition.value)} does not hold (found ${shown(lookup(predicate, condition.path))})`;
}

/**
 * Why `predicate` fails Kyverno-style condition blocks (every block: all of `all`, and one of `any` when
 * it has any), or undefined when it satisfies them.
 */
export function findConditionFailure(
  predicate: unknown,
  blocks: readonly CosignConditionBlock[],
): string | undefined {
  for (const block of blocks) {
    const failedAll = block.all.find((condition) => !holds(condition, predicate));
    if (failedAll !== undefined) return describe(failedAll, predicate);
    if (block.any.length > 0 && !block.any.some((condition) => holds(condition, predicate)))
      return `none of ${block.any.map((condition) => describe(condition, predicate)).join('; ')}`;
  }
  return undefined;
}
