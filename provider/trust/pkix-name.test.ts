import { encodeDer, readChildren, readDer, readOid, ASN1_TAG } from './der.js';
import { toGoNameString, type NameAttribute } from './pkix-name.js';

const OIDS: Readonly<Record<string, string>> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  EMAIL: '1.2.840.113549.1.9.1',
  SERIALNUMBER: '2.5.4.5',
};

/** Encodes an OID (small arcs only, enough for these tests). */
function oidDer(oid: string): Uint8Array {
  const arcs = oid.split('.').map(Number);
  const body: number[] = [(arcs[0] ?? 0) * 40 + (arcs[1] ?? 0)];
  for (const arc of arcs.slice(2)) {
    const bytes = [arc & 0x7f];
    for (let rest = arc >> 7; rest > 0; rest >>= 7) bytes.unshift((rest & 0x7f) | 0x80);
    body.push(...bytes);
  }
  return encodeDer(ASN1_TAG.OID, Uint8Array.from(body));
}

/** Builds Name attributes from `[[type, value, tag?]]`, one RDN each unless grouped. */
function attributes(rdns: readonly (readonly [string, string, number?])[][]): NameAttribute[] {
  const name = encodeDer(
    0x30,
    Buffer.concat(
      rdns.map((rdn) =>
        encodeDer(
          0x31,
          Buffer.concat(
            rdn.map(([type, value, tag]) =>
              encodeDer(
                0x30,
                Buffer.concat([
                  oidDer(OIDS[type] ?? type),
                  encodeDer(tag ?? ASN1_TAG.UTF8_STRING, Buffer.from(value)),
                ]),
              ),
            ),
          ),
        ),
      ),
    ),
  );
  return readChildren(readDer(name)).flatMap((rdn) =>
    readChildren(rdn).map((atv) => {
      const [type, value] = readChildren(atv);
      return { oid: readOid(type, 'type'), value: value! };
    }),
  );
}

describe('toGoNameString', () => {
  describe("Go's order", () => {
    it('prints CN first and C last whatever the DER order', () => {
      expect(
        toGoNameString(
          attributes([[['C', 'US']], [['ST', 'WA']], [['L', 'Seattle']], [['O', 'Notary']], [['CN', 'e2e']]]),
        ),
      ).toBe('CN=e2e,O=Notary,L=Seattle,ST=WA,C=US');
      expect(
        toGoNameString(attributes([[['CN', 'e2e']], [['O', 'Notary']], [['C', 'US']], [['ST', 'WA']]])),
      ).toBe('CN=e2e,O=Notary,ST=WA,C=US');
      expect(
        toGoNameString(
          attributes([[['O', 'Internet Widgits Pty Ltd']], [['ST', 'Some-State']], [['C', 'AU']]]),
        ),
      ).toBe('O=Internet Widgits Pty Ltd,ST=Some-State,C=AU');
    });

    it('joins repeated attributes into one RDN and keeps only the last CN', () => {
      expect(
        toGoNameString(
          attributes([[['OU', 'a']], [['OU', 'b']], [['CN', 'first']], [['CN', 'last']], [['C', 'US']]]),
        ),
      ).toBe('CN=last,OU=a+OU=b,C=US');
    });

    it('prints attributes without a Go name as hex at the end', () => {
      expect(
        toGoNameString(attributes([[['C', 'US']], [['EMAIL', 'a@b.c', ASN1_TAG.IA5_STRING]], [['CN', 'x']]])),
      ).toBe(`CN=x,C=US,1.2.840.113549.1.9.1=#0c05${Buffer.from('a@b.c').toString('hex')}`);
    });
  });

  describe('escaping', () => {
    it('escapes specials, a leading # and surrounding spaces like Go', () => {
      expect(
        toGoNameString(attributes([[['O', 'DigiCert, Inc.']], [['CN', '#a+b ']], [['OU', ' x<y>']]])),
      ).toBe('CN=\\#a\\+b\\ ,OU=\\ x\\<y\\>,O=DigiCert\\, Inc.');
    });
  });
});
