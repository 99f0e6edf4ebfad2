import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

import {
  ASN1_TAG,
  DerError,
  isContext,
  isUniversal,
  readBitString,
  readBoolean,
  readChildren,
  readDer,
  readInteger,
  readOctetString,
  readOid,
  readSequence,
  readSmallInteger,
  readTime,
  type DerNode,
} from './der.js';
import { toGoNameString, type NameAttribute } from './pkix-name.js';
import {
  readAlgorithmIdentifier,
  UnsupportedAlgorithmError,
  verifyWithAlgorithm,
  type AlgorithmIdentifier,
} from './signature-algorithm.js';

/** Key usage bits in Go's numbering (bit i of the DER BIT STRING is 1 << i). */
export const KEY_USAGE = {
  digitalSignature: 1 << 0,
  contentCommitment: 1 << 1,
  keyEncipherment: 1 << 2,
  dataEncipherment: 1 << 3,
  keyAgreement: 1 << 4,
  keyCertSign: 1 << 5,
  cRLSign: 1 << 6,
  encipherOnly: 1 << 7,
  decipherOnly: 1 << 8,
} as const;

export const EKU = {
  any: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

export const EXTENSION_OIDS = {
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
} as const;

/** Critical extensions Go's parser understands; any other critical one fails Go's chain building. */
const HANDLED_CRITICAL = new Set([
  '2.5.29.14',
  '2.5.29.15',
  '2.5.29.17',
  '2.5.29.19',
  '2.5.29.30',
  '2.5.29.31',
  '2.5.29.32',
  '2.5.29.35',
  '2.5.29.37',
  '1.3.6.1.5.5.7.1.1',
]);

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

export type PublicKeySpec =
  | { readonly $case: 'rsa'; readonly bits: number }
  | { readonly $case: 'ec'; readonly bits: number }
  | { readonly $case: 'other'; readonly type: string };

/** A parsed X.509 certificate: the facts signet's own chain rules need, nothing validated yet. */
export interface Certificate {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly version: number;
  /** Serial number (two's complement, as encoded). */
  readonly serialNumber: bigint;
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly issuerAttributes: readonly NameAttribute[];
  readonly subjectAttributes: readonly NameAttribute[];
  /** Go `pkix.Name.String()` form, e.g. `CN=e2e,O=Notary,L=Seattle,ST=WA,C=US`. */
  readonly issuer: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: KeyObject | undefined;
  readonly publicKeySpec: PublicKeySpec;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signatureValue: Uint8Array;
  readonly extensions: readonly Extension[];
  readonly basicConstraints:
    { readonly critical: boolean; readonly ca: boolean; readonly pathLen: number | undefined } | undefined;
  readonly keyUsage: { readonly critical: boolean; readonly bits: number } | undefined;
  readonly extKeyUsage: { readonly critical: boolean; readonly oids: readonly string[] } | undefined;
  readonly unhandledCriticalExtensions: readonly string[];
  /** SHA-256 of the DER, lower-case hex. */
  readonly fingerprint: string;
}

export class CertificateParseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertificateParseError';
  }
}

const MAX_CERTIFICATE_BYTES = 64 * 1024;

/**
 * Certificates already parsed, by the SHA-256 of their DER: every signature of one signer carries the same chain,
 * and parsing it (and building its public key) again per signature was measured at ~6 % of a cold verification.
 * A parse is a pure function of the bytes, so a hit is the same answer. Least recently used out first.
 */
const PARSED_CACHE_ENTRIES = 512;
const parsedCertificates = new Map<string, Certificate>();

/** Parses one DER certificate; throws CertificateParseError on anything malformed. */
export function parseCertificate(der: Uint8Array): Certificate {
  if (der.length > MAX_CERTIFICATE_BYTES) throw new CertificateParseError('x509: certificate too large');
  const fingerprint = createHash('sha256').update(der).digest('hex');
  const cached = parsedCertificates.get(fingerprint);
  if (cached !== undefined) {
    parsedCertificates.delete(fingerprint);
    parsedCertificates.set(fingerprint, cached);
    return cached;
  }
  // Parsed from a copy: the certificate's fields are views of its bytes, and a cached entry must not keep the
  // larger buffer (a whole envelope) the DER was cut from alive.
  const parsed = parseUncached(Uint8Array.from(der));
  parsedCertificates.set(fingerprint, parsed);
  if (parsedCertificates.size > PARSED_CACHE_ENTRIES) {
    const [oldest] = parsedCertificates.keys();
    if (oldest !== undefined) parsedCertificates.delete(oldest);
  }
  return parsed;
}

function parseUncached(der: Uint8Array): Certificate {
  try {
    return parseCertificateNode(readDer(der));
  } catch (error) {
    if (error instanceof CertificateParseError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new CertificateParseError(`x509: malformed certificate: ${reason}`, { cause: error });
  }
}

function parseCertificateNode(root: DerNode): Certificate {
  const [tbsNode, outerAlgorithmNode, signatureNode, extra] = readSequence(root, 'certificate');
  if (tbsNode === undefined || extra !== undefined) throw new DerError('certificate: wrong number of fields');
  const outerAlgorithm = readAlgorithmIdentifier(outerAlgorithmNode, 'certificate signature algorithm');
  const signature = readBitString(signatureNode, 'certificate signature');
  if (signature.unusedBits !== 0) throw new DerError('certificate signature: unused bits');

  const fields = readSequence(tbsNode, 'tbsCertificate');
  let index = 0;
  let version = 1;
  const first = fields[0];
  if (first !== undefined && isContext(first, 0)) {
    version = readSmallInteger(readChildren(first)[0], 'version') + 1;
    index = 1;
  }
  if (version < 1 || version > 3) throw new DerError('invalid certificate version');
  const serialNumber = readInteger(fields[index++], 'serial number');
  const innerAlgorithm = readAlgorithmIdentifier(fields[index++], 'tbs signature algorithm');
  if (
    innerAlgorithm.oid !== outerAlgorithm.oid ||
    !sameBytes(innerAlgorithm.parameters?.encoded, outerAlgorithm.parameters?.encoded)
  ) {
    throw new CertificateParseError("x509: inner and outer signature algorithm identifiers don't match");
  }
  const issuerNode = fields[index++];
  const [notBeforeNode, notAfterNode] = readSequence(fields[index++], 'validity');
  const subjectNode = fields[index++];
  const spkiNode = fields[index++];
  if (issuerNode === undefined || subjectNode === undefined || spkiNode === undefined) {
    throw new DerError('tbsCertificate: missing fields');
  }
  let extensions: Extension[] = [];
  for (const field of fields.slice(index)) {
    if (isContext(field, 3)) {
      if (version !== 3) throw new DerError('extensions in a non-v3 certificate');
      extensions = readExtensions(readChildren(field)[0]);
    } else if (!isContext(field, 1) && !isContext(field, 2)) {
      throw new DerError('tbsCertificate: unexpected field');
    }
  }
  const issuerAttributes = readName(issuerNode, 'issuer');
  const subjectAttributes = readName(subjectNode, 'subject');
  const { publicKey, publicKeySpec } = readPublicKey(spkiNode);
  const der = root.encoded;
  return {
    der,
    tbs: tbsNode.encoded,
    version,
    serialNumber,
    issuerDer: issuerNode.encoded,
    subjectDer: subjectNode.encoded,
    issuerAttributes,
    subjectAttributes,
    issuer: toGoNameString(issuerAttributes),
    subject: toGoNameString(subjectAttributes),
    notBefore: readTime(notBeforeNode, 'notBefore'),
    notAfter: readTime(notAfterNode, 'notAfter'),
    publicKey,
    publicKeySpec,
    signatureAlgorithm: outerAlgorithm,
    signatureValue: signature.bytes,
    extensions,
    basicConstraints: readBasicConstraints(extensions),
    keyUsage: readKeyUsage(extensions),
    extKeyUsage: readExtKeyUsage(extensions),
    unhandledCriticalExtensions: extensions
      .filter((extension) => extension.critical && !HANDLED_CRITICAL.has(extension.oid))
      .map((extension) => extension.oid),
    fingerprint: createHash('sha256').update(der).digest('hex'),
  };
}

function readName(node: DerNode, what: string): NameAttribute[] {
  const attributes: NameAttribute[] = [];
  for (const rdn of readSequence(node, what)) {
    if (!isUniversal(rdn, ASN1_TAG.SET)) throw new DerError(`${what}: RDN is not a SET`);
    for (const atv of readChildren(rdn)) {
      const [typeNode, value, extra] = readSequence(atv, `${what} attribute`);
      if (value === undefined || extra !== undefined) throw new DerError(`${what}: malformed attribute`);
      attributes.push({ oid: readOid(typeNode, `${what} attribute type`), value });
    }
  }
  return attributes;
}

function readExtensions(node: DerNode | undefined): Extension[] {
  const extensions: Extension[] = [];
  const seen = new Set<string>();
  for (const extensionNode of readSequence(node, 'extensions')) {
    const parts = readSequence(extensionNode, 'extension');
    const oid = readOid(parts[0], 'extension id');
    let critical = false;
    let valueNode = parts[1];
    if (valueNode !== undefined && isUniversal(valueNode, ASN1_TAG.BOOLEAN)) {
      critical = readBoolean(valueNode, 'extension critical');
      valueNode = parts[2];
    }
    if (seen.has(oid)) throw new CertificateParseError('x509: certificate contains duplicate extensions');
    seen.add(oid);
    extensions.push({ oid, critical, value: readOctetString(valueNode, 'extension value') });
  }
  return extensions;
}

function readBasicConstraints(extensions: readonly Extension[]): Certificate['basicConstraints'] {
  const extension = extensions.find((e) => e.oid === EXTENSION_OIDS.basicConstraints);
  if (extension === undefined) return undefined;
  const fields = readSequence(readDer(extension.value), 'basic constraints');
  let ca = false;
  let pathLen: number | undefined;
  for (const field of fields) {
    if (isUniversal(field, ASN1_TAG.BOOLEAN)) ca = readBoolean(field, 'basic constraints cA');
    else pathLen = readSmallInteger(field, 'basic constraints path length');
  }
  if (pathLen !== undefined && pathLen < 0) throw new DerError('negative path length');
  return { critical: extension.critical, ca, pathLen };
}

function readKeyUsage(extensions: readonly Extension[]): Certificate['keyUsage'] {
  const extension = extensions.find((e) => e.oid === EXTENSION_OIDS.keyUsage);
  if (extension === undefined) return undefined;
  const { bytes } = readBitString(readDer(extension.value), 'key usage');
  let bits = 0;
  for (let i = 0; i < 9; i++) {
    const byte = bytes[i >> 3] ?? 0;
    if ((byte & (0x80 >> (i & 7))) !== 0) bits |= 1 << i;
  }
  return { critical: extension.critical, bits };
}

function readExtKeyUsage(extensions: readonly Extension[]): Certificate['extKeyUsage'] {
  const extension = extensions.find((e) => e.oid === EXTENSION_OIDS.extKeyUsage);
  if (extension === undefined) return undefined;
  const oids = readSequence(readDer(extension.value), 'extended key usage').map((node) =>
    readOid(node, 'EKU'),
  );
  return { critical: extension.critical, oids };
}

function readPublicKey(spki: DerNode): { publicKey: KeyObject | undefined; publicKeySpec: PublicKeySpec } {
  readSequence(spki, 'subjectPublicKeyInfo');
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(spki.encoded), format: 'der', type: 'spki' });
  } catch {
    // Like Go, an unknown key algorithm does not make the certificate unparseable.
    return { publicKey: undefined, publicKeySpec: { $case: 'other', type: 'unknown' } };
  }
  const type = publicKey.asymmetricKeyType ?? 'unknown';
  const details = publicKey.asymmetricKeyDetails ?? {};
  if (type === 'rsa' && details.modulusLength !== undefined) {
    return { publicKey, publicKeySpec: { $case: 'rsa', bits: details.modulusLength } };
  }
  if (type === 'ec') {
    const bits = { prime256v1: 256, secp384r1: 384, secp521r1: 521 }[details.namedCurve ?? ''];
    if (bits !== undefined) return { publicKey, publicKeySpec: { $case: 'ec', bits } };
    return {
      publicKey,
      publicKeySpec: { $case: 'other', type: `ec ${details.namedCurve ?? 'unknown curve'}` },
    };
  }
  return { publicKey, publicKeySpec: { $case: 'other', type } };
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Splits a PEM or DER bundle into certificates (notation's ReadCertificateFile: PEM first, then DER). */
export function parseCertificateBundle(bytes: Uint8Array): Certificate[] {
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const certificates: Certificate[] = [];
    const pattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
    for (const match of text.matchAll(pattern)) {
      if (match[1] !== 'CERTIFICATE') continue;
      const body = (match[2] ?? '').replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
        throw new CertificateParseError('x509: malformed PEM certificate');
      }
      const der = Buffer.from(body, 'base64');
      if (der.length === 0) throw new CertificateParseError('x509: malformed certificate: empty PEM block');
      certificates.push(parseCertificate(der));
    }
    return certificates;
  }
  const certificates: Certificate[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = derElementLength(bytes, offset);
    certificates.push(parseCertificate(bytes.subarray(offset, offset + length)));
    offset += length;
  }
  return certificates;
}

function derElementLength(bytes: Uint8Array, offset: number): number {
  const lengthByte = bytes[offset + 1];
  if (bytes[offset] !== 0x30 || lengthByte === undefined)
    throw new CertificateParseError('x509: malformed certificate');
  if (lengthByte < 0x80) return 2 + lengthByte;
  const count = lengthByte & 0x7f;
  if (count === 0 || count > 4) throw new CertificateParseError('x509: malformed certificate');
  let length = 0;
  for (let i = 0; i < count; i++) {
    const b = bytes[offset + 2 + i];
    if (b === undefined) throw new CertificateParseError('x509: malformed certificate');
    length = length * 256 + b;
  }
  const total = 2 + count + length;
  if (offset + total > bytes.length)
    throw new CertificateParseError('x509: malformed certificate: truncated');
  return total;
}

type SignatureCheck = { ok: boolean; reason?: string };

// A certificate and a key are immutable once parsed, and the parsed-certificate cache hands out one object per
// DER: every image signed by one leaf re-checks the same chain, so each (certificate, key) pair is checked once.
const signatureChecks = new WeakMap<Certificate, WeakMap<KeyObject, SignatureCheck>>();

/** Whether `certificate` carries a valid signature by `publicKey` (false also for refused algorithms). */
export function isSignedBy(certificate: Certificate, publicKey: KeyObject | undefined): SignatureCheck {
  if (publicKey === undefined)
    return { ok: false, reason: 'x509: cannot verify signature: algorithm unimplemented' };
  let byKey = signatureChecks.get(certificate);
  if (byKey === undefined) {
    byKey = new WeakMap();
    signatureChecks.set(certificate, byKey);
  }
  let check = byKey.get(publicKey);
  if (check === undefined) {
    check = checkSignature(certificate, publicKey);
    byKey.set(publicKey, check);
  }
  return { ...check };
}

function checkSignature(certificate: Certificate, publicKey: KeyObject): SignatureCheck {
  try {
    const ok = verifyWithAlgorithm(
      certificate.signatureAlgorithm,
      publicKey,
      certificate.tbs,
      certificate.signatureValue,
    );
    return ok ? { ok } : { ok, reason: 'x509: signature verification failure' };
  } catch (error) {
    if (error instanceof UnsupportedAlgorithmError)
      return { ok: false, reason: `x509: cannot verify signature: ${error.message}` };
    return {
      ok: false,
      reason: `x509: cannot verify signature: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/**
 * Go's `child.CheckSignatureFrom(parent)`: the parent must be allowed to sign certificates (a v3
 * parent needs basicConstraints cA, keyUsage if present must include keyCertSign) and its key must
 * verify the child's signature.
 */
export function checkSignatureFrom(
  child: Certificate,
  parent: Certificate,
): { ok: boolean; reason?: string } {
  const constraints = parent.basicConstraints;
  if ((parent.version === 3 && constraints === undefined) || (constraints !== undefined && !constraints.ca)) {
    return {
      ok: false,
      reason: 'x509: invalid signature: parent certificate cannot sign this kind of certificate',
    };
  }
  if (
    parent.keyUsage !== undefined &&
    parent.keyUsage.bits !== 0 &&
    (parent.keyUsage.bits & KEY_USAGE.keyCertSign) === 0
  ) {
    return {
      ok: false,
      reason: 'x509: invalid signature: parent certificate cannot sign this kind of certificate',
    };
  }
  return isSignedBy(child, parent.publicKey);
}

/** notation's isIssuedBy: signed by the parent and the issuer name matches the parent's subject bytes. */
export function isIssuedBy(child: Certificate, parent: Certificate): { ok: boolean; reason?: string } {
  const signature = checkSignatureFrom(child, parent);
  if (!signature.ok) return signature;
  return { ok: sameBytes(child.issuerDer, parent.subjectDer) };
}

/** Whether `time` lies within the certificate's validity period, both ends included. */
export function isWithinValidity(certificate: Certificate, time: Date): boolean {
  return (
    time.getTime() >= certificate.notBefore.getTime() && time.getTime() <= certificate.notAfter.getTime()
  );
}

export function sameCertificate(a: Certificate, b: Certificate): boolean {
  return sameBytes(a.der, b.der);
}
