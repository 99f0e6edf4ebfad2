/**
 * Distinguished names as notation reads `x509.subject:` trusted identities and certificate
 * subjects: RFC 4514 strings (escapes, hex pairs, unescaped surrounding spaces dropped) parsed
 * into attribute → value, single-valued RDNs only, no duplicate attributes, and C, ST and O
 * required. Matching is notation's IsSubsetDN: every attribute of the identity must be present
 * in the subject with exactly the same value, so `CN=user` never matches `CN=evil-user`.
 */

export type DistinguishedName = ReadonlyMap<string, string>;

export class DistinguishedNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DistinguishedNameError';
  }
}

const MANDATORY = ['C', 'ST', 'O'] as const;
/** Aliases notation accepts for the same attribute. */
const TYPE_ALIASES: Readonly<Record<string, string>> = { S: 'ST' };
const TYPE_PATTERN = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)$/;
const ESCAPABLE = new Set([',', '=', '+', '<', '>', '#', ';', '"', '\\', ' ']);
const MAX_DN_LENGTH = 4096;

export function parseDistinguishedName(text: string): DistinguishedName {
  if (text.includes('=#')) {
    throw new DistinguishedNameError(
      `unsupported distinguished name (DN) ${JSON.stringify(text)}: notation does not support x509.subject identities containing "=#"`,
    );
  }
  let rdns: { type: string; value: string }[][];
  try {
    rdns = splitRdns(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DistinguishedNameError(
      `parsing distinguished name (DN) ${JSON.stringify(text)} failed with err: ${reason}. A valid DN must contain 'C', 'ST', and 'O' RDN attributes at a minimum, and follow RFC 4514 standard`,
    );
  }
  const attributes = new Map<string, string>();
  for (const rdn of rdns) {
    if (rdn.length > 1) {
      throw new DistinguishedNameError(
        `distinguished name (DN) ${JSON.stringify(text)} has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported`,
      );
    }
    for (const { type, value } of rdn) {
      if ((attributes.get(type) ?? '') !== '') {
        throw new DistinguishedNameError(
          `distinguished name (DN) ${JSON.stringify(text)} has duplicate RDN attribute for ${JSON.stringify(type)}, DN can only have unique RDN attributes`,
        );
      }
      attributes.set(type, value);
    }
  }
  for (const field of MANDATORY) {
    if ((attributes.get(field) ?? '') === '') {
      throw new DistinguishedNameError(
        `distinguished name (DN) ${JSON.stringify(text)} has no mandatory RDN attribute for ${JSON.stringify(field)}, it must contain 'C', 'ST', and 'O' RDN attributes at a minimum`,
      );
    }
  }
  return attributes;
}

/** True when every attribute of `subset` appears in `superset` with the same value. */
export function isSubsetDn(subset: DistinguishedName, superset: DistinguishedName): boolean {
  for (const [type, value] of subset) {
    if (superset.get(type) !== value) return false;
  }
  return true;
}

/** Go's `%q` of notation's []map[string]string, for messages users compare with notation's. */
export function formatDistinguishedNames(names: readonly DistinguishedName[]): string {
  const formatted = names.map((name) => {
    const entries = [...name.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(' ')}]`;
  });
  return `[${formatted.join(' ')}]`;
}

function splitRdns(text: string): { type: string; value: string }[][] {
  if (text.length > MAX_DN_LENGTH) throw new Error('DN too long');
  const rdns: { type: string; value: string }[][] = [];
  let current: { type: string; value: string }[] = [];
  let index = 0;
  if (text.trim() === '') throw new Error('empty DN');
  while (index <= text.length) {
    const equals = text.indexOf('=', index);
    if (equals < 0) throw new Error(`DN ended with incomplete type, value pair`);
    const rawType = text.slice(index, equals).trim();
    if (!TYPE_PATTERN.test(rawType)) throw new Error(`invalid attribute type ${JSON.stringify(rawType)}`);
    const upper = rawType.toUpperCase();
    const type = TYPE_ALIASES[upper] ?? upper;
    const { value, end, separator } = readValue(text, equals + 1);
    current.push({ type, value });
    index = end + 1;
    if (separator === '+') continue;
    rdns.push(current);
    current = [];
    if (separator === undefined) break;
  }
  return rdns;
}

/** Reads one attribute value up to an unescaped `,`, `;` or `+`, decoding escapes and hex pairs. */
function readValue(
  text: string,
  start: number,
): { value: string; end: number; separator: ',' | ';' | '+' | undefined } {
  const bytes: number[] = [];
  let lastSignificant = 0;
  let index = start;
  while (index < text.length && text[index] === ' ') index++;
  for (; index < text.length; index++) {
    const char = String.fromCodePoint(text.codePointAt(index) ?? 0);
    if (char === ',' || char === ';' || char === '+') {
      return { value: decode(bytes.slice(0, lastSignificant)), end: index, separator: char };
    }
    if (char === '\\') {
      const next = text[index + 1];
      const pair = text.slice(index + 1, index + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(pair)) {
        bytes.push(parseInt(pair, 16));
        index += 2;
      } else if (next !== undefined && ESCAPABLE.has(next)) {
        bytes.push(next.charCodeAt(0));
        index += 1;
      } else {
        throw new Error('invalid escape sequence');
      }
      lastSignificant = bytes.length;
      continue;
    }
    for (const b of Buffer.from(char, 'utf8')) bytes.push(b);
    if (char !== ' ') lastSignificant = bytes.length;
    index += char.length - 1;
  }
  return { value: decode(bytes.slice(0, lastSignificant)), end: index, separator: undefined };
}

function decode(bytes: number[]): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    throw new Error('invalid UTF-8 in attribute value');
  }
}
