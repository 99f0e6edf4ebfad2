/**
 * A small, bounded ASN.1 reader for certificates and CMS tokens. Certificates are read as strict
 * DER; CMS (RFC 3161 tokens) may be BER, so `ber` also accepts indefinite lengths and non-minimal
 * length octets. Every read checks bounds and nesting depth; callers turn `DerError` into their
 * own coded error.
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export type TagClass = 'universal' | 'application' | 'context' | 'private';

export interface DerNode {
  readonly tagClass: TagClass;
  readonly constructed: boolean;
  readonly tagNumber: number;
  /** The whole element: identifier, length and contents. */
  readonly encoded: Uint8Array;
  /** The contents octets (for indefinite lengths, without the end-of-contents marker). */
  readonly contents: Uint8Array;
  readonly indefinite: boolean;
}

export type DerEncoding = 'der' | 'ber';

export const ASN1_TAG = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  PRINTABLE_STRING: 19,
  T61_STRING: 20,
  IA5_STRING: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
  UNIVERSAL_STRING: 28,
  BMP_STRING: 30,
} as const;

const MAX_DEPTH = 32;
const CLASSES: readonly TagClass[] = ['universal', 'application', 'context', 'private'];

/** Reads exactly one element spanning all of `bytes`. */
export function readDer(bytes: Uint8Array, encoding: DerEncoding = 'der'): DerNode {
  const { node, end } = readElement(bytes, 0, encoding, 0);
  if (end !== bytes.length)
    throw new DerError(`trailing data after ASN.1 element (${bytes.length - end} bytes)`);
  return node;
}

/** The child elements of a constructed node, in order. */
export function readChildren(node: DerNode, encoding: DerEncoding = 'der'): DerNode[] {
  if (!node.constructed) throw new DerError('expected a constructed ASN.1 element');
  const children: DerNode[] = [];
  let offset = 0;
  while (offset < node.contents.length) {
    const { node: child, end } = readElement(node.contents, offset, encoding, 1);
    children.push(child);
    offset = end;
  }
  return children;
}

function readElement(
  bytes: Uint8Array,
  start: number,
  encoding: DerEncoding,
  depth: number,
): { node: DerNode; end: number } {
  if (depth > MAX_DEPTH) throw new DerError('ASN.1 nesting too deep');
  let offset = start;
  const first = byteAt(bytes, offset++);
  const tagClass = CLASSES[first >> 6] ?? 'universal';
  const constructed = (first & 0x20) !== 0;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let count = 0; ; count++) {
      if (count >= 4) throw new DerError('ASN.1 tag number too large');
      const b = byteAt(bytes, offset++);
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  const lengthByte = byteAt(bytes, offset++);
  if (lengthByte === 0x80) {
    if (encoding === 'der' || !constructed) throw new DerError('indefinite length is not allowed here');
    const contentsStart = offset;
    let cursor = offset;
    for (;;) {
      if (byteAt(bytes, cursor) === 0 && byteAt(bytes, cursor + 1) === 0) break;
      cursor = readElement(bytes, cursor, encoding, depth + 1).end;
    }
    const node: DerNode = {
      tagClass,
      constructed,
      tagNumber,
      encoded: bytes.subarray(start, cursor + 2),
      contents: bytes.subarray(contentsStart, cursor),
      indefinite: true,
    };
    return { node, end: cursor + 2 };
  }
  let length = lengthByte;
  if (lengthByte > 0x80) {
    const count = lengthByte & 0x7f;
    if (count > 4) throw new DerError('ASN.1 length too large');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + byteAt(bytes, offset++);
    if (encoding === 'der' && (length < 0x80 || (count > 1 && length < 2 ** (8 * (count - 1))))) {
      throw new DerError('non-minimal ASN.1 length encoding');
    }
  } else if (lengthByte === 0xff) {
    throw new DerError('invalid ASN.1 length');
  }
  const end = offset + length;
  if (end > bytes.length) throw new DerError('ASN.1 element longer than its container');
  const node: DerNode = {
    tagClass,
    constructed,
    tagNumber,
    encoded: bytes.subarray(start, end),
    contents: bytes.subarray(offset, end),
    indefinite: false,
  };
  if (constructed && encoding === 'ber') {
    // Walk the children now so that malformed nesting fails here, bounded by depth.
    let cursor = 0;
    while (cursor < node.contents.length)
      cursor = readElement(node.contents, cursor, encoding, depth + 1).end;
  }
  return { node, end };
}

function byteAt(bytes: Uint8Array, offset: number): number {
  const value = bytes[offset];
  if (value === undefined) throw new DerError('truncated ASN.1 data');
  return value;
}

export function isUniversal(node: DerNode, tagNumber: number): boolean {
  return node.tagClass === 'universal' && node.tagNumber === tagNumber;
}

export function isContext(node: DerNode, tagNumber: number): boolean {
  return node.tagClass === 'context' && node.tagNumber === tagNumber;
}

export function expectUniversal(node: DerNode | undefined, tagNumber: number, what: string): DerNode {
  if (node === undefined || !isUniversal(node, tagNumber))
    throw new DerError(`${what}: unexpected ASN.1 element`);
  return node;
}

/** Children of a SEQUENCE (or SET), checking the tag first. */
export function readSequence(
  node: DerNode | undefined,
  what: string,
  encoding: DerEncoding = 'der',
): DerNode[] {
  const checked = expectUniversal(node, ASN1_TAG.SEQUENCE, what);
  return readChildren(checked, encoding);
}

export function readOid(node: DerNode | undefined, what: string): string {
  const checked = expectUniversal(node, ASN1_TAG.OID, what);
  const bytes = checked.contents;
  if (bytes.length === 0) throw new DerError(`${what}: empty object identifier`);
  const arcs: string[] = [];
  let value = 0n;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (value === 0n && b === 0x80) throw new DerError(`${what}: non-minimal object identifier`);
    value = (value << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const firstArc = value < 80n ? value / 40n : 2n;
        arcs.push(firstArc.toString(), (value - firstArc * 40n).toString());
      } else {
        arcs.push(value.toString());
      }
      value = 0n;
    } else if (i === bytes.length - 1) {
      throw new DerError(`${what}: truncated object identifier`);
    }
  }
  return arcs.join('.');
}

export function readInteger(node: DerNode | undefined, what: string): bigint {
  const checked = expectUniversal(node, ASN1_TAG.INTEGER, what);
  const bytes = checked.contents;
  if (bytes.length === 0) throw new DerError(`${what}: empty integer`);
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  if (((bytes[0] ?? 0) & 0x80) !== 0) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

export function readSmallInteger(node: DerNode | undefined, what: string): number {
  const value = readInteger(node, what);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new DerError(`${what}: integer out of range`);
  }
  return Number(value);
}

export function readBoolean(node: DerNode | undefined, what: string): boolean {
  const checked = expectUniversal(node, ASN1_TAG.BOOLEAN, what);
  if (checked.contents.length !== 1) throw new DerError(`${what}: invalid boolean`);
  return checked.contents[0] !== 0;
}

/** The bits of a BIT STRING (unused-bits octet removed) and how many trailing bits are unused. */
export function readBitString(
  node: DerNode | undefined,
  what: string,
): { bytes: Uint8Array; unusedBits: number } {
  const checked = expectUniversal(node, ASN1_TAG.BIT_STRING, what);
  const unusedBits = checked.contents[0];
  if (unusedBits === undefined || unusedBits > 7 || (unusedBits > 0 && checked.contents.length === 1)) {
    throw new DerError(`${what}: invalid bit string`);
  }
  return { bytes: checked.contents.subarray(1), unusedBits };
}

/** OCTET STRING contents; BER constructed strings are concatenated. */
export function readOctetString(
  node: DerNode | undefined,
  what: string,
  encoding: DerEncoding = 'der',
): Uint8Array {
  const checked = expectUniversal(node, ASN1_TAG.OCTET_STRING, what);
  if (!checked.constructed) return checked.contents;
  if (encoding === 'der') throw new DerError(`${what}: constructed octet string is not DER`);
  const parts = readChildren(checked, encoding).map((child) => readOctetString(child, what, encoding));
  return Buffer.concat(parts);
}

export function readTime(node: DerNode | undefined, what: string): Date {
  if (node === undefined || node.tagClass !== 'universal') throw new DerError(`${what}: missing time`);
  const text = Buffer.from(node.contents).toString('latin1');
  if (node.tagNumber === ASN1_TAG.UTC_TIME) {
    const match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!match) throw new DerError(`${what}: invalid UTCTime`);
    const year = Number(match[1]);
    return utcDate(year < 50 ? 2000 + year : 1900 + year, match.slice(2, 7), 0, what);
  }
  if (node.tagNumber === ASN1_TAG.GENERALIZED_TIME) {
    const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/.exec(text);
    if (!match) throw new DerError(`${what}: invalid GeneralizedTime`);
    const fraction = match[7] === undefined ? 0 : Number(`0.${match[7]}`);
    return utcDate(Number(match[1]), match.slice(2, 7), fraction, what);
  }
  throw new DerError(`${what}: unexpected time type`);
}

function utcDate(year: number, parts: readonly (string | undefined)[], fraction: number, what: string): Date {
  const [month, day, hour, minute, second] = parts.map((p) => Number(p));
  if (
    month === undefined ||
    day === undefined ||
    hour === undefined ||
    minute === undefined ||
    second === undefined
  ) {
    throw new DerError(`${what}: invalid time`);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) + Math.round(fraction * 1000);
  const date = new Date(ms);
  if (
    Number.isNaN(ms) ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    hour > 23 ||
    second > 59
  ) {
    throw new DerError(`${what}: invalid time`);
  }
  return date;
}

/** Decodes the string types used in names into a JS string. */
export function readString(node: DerNode, what: string): string {
  const bytes = Buffer.from(node.contents);
  switch (node.tagNumber) {
    case ASN1_TAG.UTF8_STRING:
    case ASN1_TAG.PRINTABLE_STRING:
    case ASN1_TAG.IA5_STRING:
      return bytes.toString('utf8');
    case ASN1_TAG.T61_STRING:
      return bytes.toString('latin1');
    case ASN1_TAG.BMP_STRING: {
      if (bytes.length % 2 !== 0) throw new DerError(`${what}: invalid BMPString`);
      return bytes.swap16().toString('utf16le');
    }
    case ASN1_TAG.UNIVERSAL_STRING: {
      if (bytes.length % 4 !== 0) throw new DerError(`${what}: invalid UniversalString`);
      let out = '';
      for (let i = 0; i < bytes.length; i += 4) {
        const codePoint = bytes.readUInt32BE(i);
        // UCS-4 holds only Unicode scalar values: no surrogates, nothing past U+10FFFF.
        if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff))
          throw new DerError(`${what}: invalid UniversalString`);
        out += String.fromCodePoint(codePoint);
      }
      return out;
    }
    default:
      throw new DerError(`${what}: not a string`);
  }
}

/** Minimal DER encoding of a tag + length + contents (used to re-tag signed attributes as SET). */
export function encodeDer(identifier: number, contents: Uint8Array): Uint8Array {
  const length = contents.length;
  let header: number[];
  if (length < 0x80) {
    header = [identifier, length];
  } else {
    const lengthBytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest % 256);
    header = [identifier, 0x80 | lengthBytes.length, ...lengthBytes];
  }
  return Buffer.concat([Buffer.from(header), contents]);
}
