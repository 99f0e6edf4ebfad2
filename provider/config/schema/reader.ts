import { joinPath } from './problems.js';
import type { ConfigProblem, ResourceLocator } from './problems.js';

/** A value inside a document together with its field path, for precise messages. */
export interface Node {
  readonly value: unknown;
  readonly path: string;
}

interface Presence {
  /** Report "is required" when the field is absent or null. */
  readonly required?: boolean;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** YAML `field:` with no value is null; like Kubernetes' omitempty we treat it as absent. */
function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

function quoteAll(values: readonly string[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return isRecord(value) ? 'a mapping' : typeof value;
}

/** A known field that differs from the unknown one only by case or a trailing "s" (`artifactType`). */
function suggestField(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  return known.find((candidate) => {
    const other = candidate.toLowerCase();
    return other === lower || other === `${lower}s` || `${other}s` === lower;
  });
}

/**
 * Reads untrusted configuration values into typed ones, recording every problem instead of
 * stopping at the first, so one load reports everything wrong with a file.
 */
export class FieldReader {
  readonly problems: ConfigProblem[] = [];

  constructor(readonly locator: ResourceLocator) {}

  report(node: Node, message: string): void {
    this.problems.push({ locator: this.locator, path: node.path, message });
  }

  child(node: Node, key: string | number): Node {
    const container = node.value;
    let value: unknown;
    if (typeof key === 'number') value = Array.isArray(container) ? (container[key] as unknown) : undefined;
    else value = isRecord(container) && Object.hasOwn(container, key) ? container[key] : undefined;
    return { value, path: joinPath(node.path, key) };
  }

  isPresent(node: Node): boolean {
    return !isAbsent(node.value);
  }

  private checkPresence(node: Node, presence: Presence | undefined): boolean {
    if (!isAbsent(node.value)) return true;
    if (presence?.required === true) this.report(node, 'is required');
    return false;
  }

  /** The node if it is a mapping. */
  mapping(node: Node, presence?: Presence): Node | undefined {
    if (!this.checkPresence(node, presence)) return undefined;
    if (!isRecord(node.value)) {
      this.report(node, 'must be a mapping');
      return undefined;
    }
    return node;
  }

  string(node: Node, options?: Presence & { readonly nonEmpty?: boolean }): string | undefined {
    if (!this.checkPresence(node, options)) return undefined;
    if (typeof node.value !== 'string') {
      this.report(node, 'must be a string');
      return undefined;
    }
    if (options?.nonEmpty === true && node.value.trim() === '') {
      this.report(node, 'must not be empty');
      return undefined;
    }
    return node.value;
  }

  /** A string that must equal one of `allowed` (case-sensitive, as Ratify and notation compare). */
  oneOf<T extends string>(node: Node, allowed: readonly T[], presence?: Presence): T | undefined {
    if (!this.checkPresence(node, presence)) return undefined;
    const match = allowed.find((candidate) => candidate === node.value);
    if (match === undefined) {
      this.report(node, `must be one of ${quoteAll(allowed)}, got ${describeValue(node.value)}`);
    }
    return match;
  }

  /** A string that must be exactly `expected` (`version: "1.0"`). */
  exactly<T extends string>(node: Node, expected: T, presence?: Presence): T | undefined {
    if (!this.checkPresence(node, presence)) return undefined;
    if (node.value !== expected) {
      this.report(node, `must be ${JSON.stringify(expected)}`);
      return undefined;
    }
    return expected;
  }

  boolean(node: Node, fallback: boolean): boolean {
    if (isAbsent(node.value)) return fallback;
    if (typeof node.value !== 'boolean') {
      this.report(node, 'must be true or false');
      return fallback;
    }
    return node.value;
  }

  positiveNumber(node: Node): number | undefined {
    if (isAbsent(node.value)) return undefined;
    if (typeof node.value !== 'number' || !Number.isFinite(node.value) || node.value <= 0) {
      this.report(node, 'must be a positive number');
      return undefined;
    }
    return node.value;
  }

  /** Each item read by `readItem`; items that fail are reported by `readItem` and dropped. */
  list<T>(
    node: Node,
    readItem: (item: Node) => T | undefined,
    options?: Presence & { readonly nonEmpty?: boolean; readonly maxItems?: number },
  ): T[] | undefined {
    if (!this.checkPresence(node, options)) return undefined;
    if (!Array.isArray(node.value)) {
      this.report(node, 'must be a list');
      return undefined;
    }
    if (options?.nonEmpty === true && node.value.length === 0) {
      this.report(node, 'must list at least one entry');
      return undefined;
    }
    if (options?.maxItems !== undefined && node.value.length > options.maxItems) {
      this.report(node, `must list at most ${options.maxItems} entries, got ${node.value.length}`);
      return undefined;
    }
    const items: T[] = [];
    node.value.forEach((_, index) => {
      const item = readItem(this.child(node, index));
      if (item !== undefined) items.push(item);
    });
    return items;
  }

  stringList(
    node: Node,
    options?: Presence & { readonly nonEmpty?: boolean; readonly maxItems?: number },
  ): string[] | undefined {
    return this.list(node, (item) => this.string(item, { required: true, nonEmpty: true }), options);
  }

  /** The entries of a mapping, each with its node. */
  entries(node: Node, presence?: Presence): [string, Node][] | undefined {
    const mapping = this.mapping(node, presence);
    if (mapping === undefined || !isRecord(mapping.value)) return undefined;
    return Object.keys(mapping.value).map((key) => [key, this.child(mapping, key)]);
  }

  /** Reports fields not in `known`; parameters of plugins are never checked this way. */
  knownFields(node: Node, known: readonly string[]): void {
    if (!isRecord(node.value)) return;
    for (const key of Object.keys(node.value)) {
      if (known.includes(key)) continue;
      const suggestion = suggestField(key, known);
      const hint =
        suggestion === undefined ? `expected one of ${known.join(', ')}` : `did you mean "${suggestion}"?`;
      this.report(this.child(node, key), `unknown field (${hint})`);
    }
  }
}
