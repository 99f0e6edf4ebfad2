/**
 * A small strict CBOR (RFC 8949) decoder for COSE_Sign1 envelopes. Written here rather than taken
 * from npm because COSE needs only a subset and the subset must be strict: definite lengths only,
 * no duplicate map keys, map keys limited to integers and text, bounded nesting, every length
 * checked against the remaining input before anything is allocated, valid UTF-8 text.
 */

export class CborError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CborError';
  }
}

export type CborKey = number | bigint | string;

export interface CborTagged {
  readonly tag: number;
  readonly value: CborValue;
}

export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | readonly CborValue[]
  | ReadonlyMap<CborKey, CborValue>
  | CborTagged;

const MAX_DEPTH = 16;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes exactly one data item spanning all of `bytes`. */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const reader = new Reader(bytes);
  const value = reader.item(0);
  if (reader.offset !== bytes.length)
    throw new CborError(`cbor: ${bytes.length - reader.offset} bytes of extraneous data`);
  return value;
}

export function isTagged(value: CborValue): value is CborTagged {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    !Array.isArray(value) &&
    !(value instanceof Map)
  );
}

export function isCborMap(value: CborValue): value is ReadonlyMap<CborKey, CborValue> {
  return value instanceof Map;
}

export function isCborArray(value: CborValue): value is readonly CborValue[] {
  return Array.isArray(value);
}

class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  item(depth: number): CborValue {
    if (depth > MAX_DEPTH) throw new CborError('cbor: exceeded max nested level');
    const initial = this.byte();
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 7) return this.simple(info);
    if (info === 31) throw new CborError('cbor: indefinite-length items are not allowed');
    const argument = this.argument(info);
    switch (major) {
      case 0:
        return toNumber(argument);
      case 1:
        return toNumber(-1n - argument);
      case 2:
        return this.take(argument).slice();
      case 3:
        try {
          return utf8.decode(this.take(argument));
        } catch {
          throw new CborError('cbor: invalid UTF-8 string');
        }
      case 4: {
        const count = this.count(argument);
        const items: CborValue[] = [];
        for (let i = 0; i < count; i++) items.push(this.item(depth + 1));
        return items;
      }
      case 5: {
        const count = this.count(argument);
        const map = new Map<CborKey, CborValue>();
        for (let i = 0; i < count; i++) {
          const key = this.item(depth + 1);
          if (typeof key !== 'number' && typeof key !== 'bigint' && typeof key !== 'string') {
            throw new CborError('cbor: map keys must be integers or text strings');
          }
          if (map.has(key))
            throw new CborError(`cbor: found duplicate map key ${JSON.stringify(String(key))}`);
          map.set(key, this.item(depth + 1));
        }
        return map;
      }
      default: {
        if (argument > BigInt(Number.MAX_SAFE_INTEGER)) throw new CborError('cbor: tag number too large');
        return { tag: Number(argument), value: this.item(depth + 1) };
      }
    }
  }

  private simple(info: number): CborValue {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 25:
        return halfToNumber(this.take(2));
      case 26:
        return Buffer.from(this.take(4)).readFloatBE(0);
      case 27:
        return Buffer.from(this.take(8)).readDoubleBE(0);
      default:
        throw new CborError(`cbor: unsupported simple value ${info}`);
    }
  }

  private argument(info: number): bigint {
    if (info < 24) return BigInt(info);
    const width = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
    if (width === undefined) throw new CborError(`cbor: invalid additional information ${info}`);
    let value = 0n;
    for (const b of this.take(width)) value = (value << 8n) | BigInt(b);
    return value;
  }

  /** An element count; each element takes at least one byte, so it cannot exceed what is left. */
  private count(argument: bigint): number {
    if (argument > BigInt(this.bytes.length - this.offset)) throw new CborError('cbor: unexpected EOF');
    return Number(argument);
  }

  private take(length: bigint | number): Uint8Array {
    const size = BigInt(length);
    if (size > BigInt(this.bytes.length - this.offset)) throw new CborError('cbor: unexpected EOF');
    const start = this.offset;
    this.offset += Number(size);
    return this.bytes.subarray(start, this.offset);
  }

  private byte(): number {
    const value = this.bytes[this.offset];
    if (value === undefined) throw new CborError('cbor: unexpected EOF');
    this.offset += 1;
    return value;
  }
}

function toNumber(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value;
}

function halfToNumber(bytes: Uint8Array): number {
  const half = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
  const exponent = (half >> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (mantissa / 1024);
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
}

/** Encodes the few shapes COSE's Sig_structure needs: arrays of text and byte strings. */
export function encodeCbor(value: string | Uint8Array | readonly (string | Uint8Array)[]): Uint8Array {
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([header(3, text.length), text]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([header(2, value.length), value]);
  return Buffer.concat([header(4, value.length), ...value.map((item) => encodeCbor(item))]);
}

function header(major: number, length: number): Uint8Array {
  const type = major << 5;
  if (length < 24) return Uint8Array.of(type | length);
  if (length < 0x100) return Uint8Array.of(type | 24, length);
  if (length < 0x10000) return Uint8Array.of(type | 25, length >> 8, length & 0xff);
  const out = Buffer.alloc(5);
  out[0] = type | 26;
  out.writeUInt32BE(length, 1);
  return out;
}
