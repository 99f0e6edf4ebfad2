import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fuzz } from '../../test/fuzz/targets/der.js';
import { ASN1_TAG, DerError, encodeDer, readDer, readString } from './der.js';

const CRASHES = path.join(import.meta.dirname, '..', '..', 'test', 'fuzz', 'crashes', 'der');

function universalString(...codePoints: number[]): Uint8Array {
  const contents = Buffer.alloc(codePoints.length * 4);
  codePoints.forEach((codePoint, index) => contents.writeUInt32BE(codePoint, index * 4));
  return encodeDer(ASN1_TAG.UNIVERSAL_STRING, contents);
}

describe('readString', () => {
  it('decodes a UniversalString (UCS-4 big-endian)', () => {
    expect(readString(readDer(universalString(0x41, 0x1f600)), 'name')).toBe('A\u{1f600}');
  });

  // Found by fuzzing (test/fuzz/targets/der.ts): String.fromCodePoint threw a RangeError.
  it.each([
    ['past U+10FFFF', 0x4caf2a03],
    ['just past U+10FFFF', 0x110000],
    ['a surrogate', 0xd800],
  ])('rejects a UniversalString holding %s with DerError', (_what, codePoint) => {
    expect(() => readString(readDer(universalString(0x41, codePoint)), 'name')).toThrow(DerError);
  });

  it('reads the fuzzer-found token throwing only DerError (the fuzz property)', () => {
    const token = readFileSync(path.join(CRASHES, 'universal-string-code-point'));
    expect(() => fuzz(token)).not.toThrow();
  });

  it('rejects the code point in a context-tagged [28] element too', () => {
    const node = readDer(Uint8Array.from([0x9c, 0x04, 0x4c, 0xaf, 0x2a, 0x03]));
    expect(() => readString(node, 'name')).toThrow(DerError);
  });
});
