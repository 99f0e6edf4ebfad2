import { ASN1_TAG, encodeDer, readString, type DerNode } from './der.js';

/** One AttributeTypeAndValue of an X.509 Name, in DER order (multi-valued RDNs flattened). */
export interface NameAttribute {
  readonly oid: string;
  readonly value: DerNode;
}

const STRING_TAGS = new Set<number>([
  ASN1_TAG.UTF8_STRING,
  ASN1_TAG.PRINTABLE_STRING,
  ASN1_TAG.T61_STRING,
  ASN1_TAG.IA5_STRING,
  ASN1_TAG.BMP_STRING,
  18, // NumericString
]);

/** The attributes Go parses into named pkix.Name fields, in the order Name.String() appends them. */
const NAMED_FIELDS: readonly { oid: string; short: string; single: boolean }[] = [
  { oid: '2.5.4.6', short: 'C', single: false },
  { oid: '2.5.4.8', short: 'ST', single: false },
  { oid: '2.5.4.7', short: 'L', single: false },
  { oid: '2.5.4.9', short: 'STREET', single: false },
  { oid: '2.5.4.17', short: 'POSTALCODE', single: false },
  { oid: '2.5.4.10', short: 'O', single: false },
  { oid: '2.5.4.11', short: 'OU', single: false },
  { oid: '2.5.4.3', short: 'CN', single: true },
  { oid: '2.5.4.5', short: 'SERIALNUMBER', single: true },
];
const NAMED_OIDS = new Set(NAMED_FIELDS.map((field) => field.oid));

type Rdn = readonly { readonly type: string; readonly text: string }[];

/**
 * Formats a Name exactly as Go's `pkix.Name.String()` does for a parsed certificate, which is what
 * notation (and Ratify's `extensions.Issuer`/`SN`) show. Go does not print the DER order: it
 * rebuilds the name as [other attributes…, C, ST, L, STREET, POSTALCODE, O, OU, CN, SERIALNUMBER]
 * and prints that sequence reversed, so `C=US,…,CN=x` in DER prints as `CN=x,…,C=US`. Values of
 * one type share an RDN (`OU=a+OU=b`); CN and SERIALNUMBER keep only the last value.
 */
export function toGoNameString(attributes: readonly NameAttribute[]): string {
  const rdns: Rdn[] = [];
  for (const attribute of attributes) {
    if (!NAMED_OIDS.has(attribute.oid))
      rdns.push([{ type: attribute.oid, text: formatUnnamedValue(attribute.value) }]);
  }
  for (const field of NAMED_FIELDS) {
    const values = attributes
      .filter((attribute) => attribute.oid === field.oid)
      .map((attribute) => stringValue(attribute.value))
      .filter((value): value is string => value !== undefined);
    const kept = field.single ? values.slice(-1).filter((value) => value !== '') : values;
    if (kept.length > 0) rdns.push(kept.map((value) => ({ type: field.short, text: escapeValue(value) })));
  }
  return rdns
    .reverse()
    .map((rdn) => rdn.map(({ type, text }) => `${type}=${text}`).join('+'))
    .join(',');
}

function stringValue(value: DerNode): string | undefined {
  if (value.tagClass !== 'universal' || !STRING_TAGS.has(value.tagNumber)) return undefined;
  try {
    return readString(value, 'name attribute');
  } catch {
    return undefined;
  }
}

/** Go prints attributes it has no name for as `#` + hex of the value re-marshalled by encoding/asn1. */
function formatUnnamedValue(value: DerNode): string {
  const text = stringValue(value);
  const der = text === undefined ? value.encoded : encodeDer(goStringTag(text), Buffer.from(text, 'utf8'));
  return `#${Buffer.from(der).toString('hex')}`;
}

/** encoding/asn1 marshals a Go string as PrintableString when it can, else UTF8String. */
function goStringTag(text: string): number {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text) ? ASN1_TAG.PRINTABLE_STRING : ASN1_TAG.UTF8_STRING;
}

function escapeValue(value: string): string {
  const lastByte = Buffer.byteLength(value, 'utf8') - 1;
  let out = '';
  let byteIndex = 0;
  for (const char of value) {
    let escape = ',+"\\<>;'.includes(char);
    if (char === ' ') escape = byteIndex === 0 || byteIndex === lastByte;
    if (char === '#') escape = byteIndex === 0;
    out += escape ? `\\${char}` : char;
    byteIndex += Buffer.byteLength(char, 'utf8');
  }
  return out;
}
