import { CborError, decodeCbor, encodeCbor, isTagged } from './cbor.js';

const hex = (text: string): Uint8Array => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('decodeCbor', () => {
  describe('well-formed items', () => {
    it('decodes integers, strings, arrays, maps and tags', () => {
      expect(decodeCbor(hex('17'))).toBe(23);
      expect(decodeCbor(hex('3818'))).toBe(-25);
      expect(decodeCbor(hex('1a63071444'))).toBe(1661408324);
      expect(decodeCbor(hex('6161'))).toBe('a');
      expect(decodeCbor(hex('420102'))).toEqual(Uint8Array.of(1, 2));
      expect(decodeCbor(hex('820102'))).toEqual([1, 2]);
      expect(decodeCbor(hex('a2016161616102'))).toEqual(
        new Map<unknown, unknown>([
          [1, 'a'],
          ['a', 2],
        ]),
      );
      const tagged = decodeCbor(hex('c11a63071444'));
      expect(isTagged(tagged) && tagged.tag === 1 && tagged.value === 1661408324).toBe(true);
      expect(decodeCbor(hex('f6'))).toBeNull();
      expect(decodeCbor(hex('f93c00'))).toBe(1);
    });

    it('keeps integers beyond 2^53 exact as bigint', () => {
      expect(decodeCbor(hex('1bffffffffffffffff'))).toBe(2n ** 64n - 1n);
    });
  });

  describe('strictness', () => {
    it.each([
      ['indefinite-length array', '9f01ff'],
      ['indefinite-length byte string', '5f4101ff'],
      ['duplicate map key', 'a201010102'],
      ['array map key', 'a181010101'],
      ['truncated byte string', '4501'],
      ['length beyond input', '5bffffffffffffffff00'],
      ['array count beyond input', '9bffffffffffffffff'],
      ['reserved additional information', '1c'],
      ['trailing bytes', '0101'],
      ['invalid UTF-8 text', '62c328'],
      ['break outside indefinite item', 'ff'],
      ['empty input', ''],
    ])('rejects %s', (_name, input) => {
      expect(() => decodeCbor(hex(input))).toThrow(CborError);
    });

    it('rejects nesting deeper than the limit', () => {
      const deep = Buffer.concat([Buffer.alloc(40, 0x81), Buffer.from([0x01])]);
      expect(() => decodeCbor(deep)).toThrow(/max nested level/);
    });

    it('never allocates for an absurd declared length', () => {
      expect(() => decodeCbor(hex('5a7fffffff'))).toThrow(/unexpected EOF/);
    });
  });
});

describe('encodeCbor', () => {
  describe('Sig_structure shapes', () => {
    it('round-trips text, bytes and arrays of them', () => {
      const encoded = encodeCbor([
        'Signature1',
        Uint8Array.of(0xa0),
        new Uint8Array(0),
        new Uint8Array(300).fill(7),
      ]);
      expect(decodeCbor(encoded)).toEqual([
        'Signature1',
        Uint8Array.of(0xa0),
        new Uint8Array(0),
        new Uint8Array(300).fill(7),
      ]);
    });
  });
});
