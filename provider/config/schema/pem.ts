// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { PublicKey, X509Certificate } from '@peculiar/x509';

/** More than this many certificates in one inline value is a mistake, not a trust store. */
export const MAX_PEM_CERTIFICATES = 100;

export type PemResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function failure(message: string): { readonly ok: false; readonly message: string } {
  return { ok: false, message };
}

/** Splits PEM text into blocks; text between blocks is ignored, as Go's pem.Decode does. */
function splitPem(text: string): PemResult<PemBlock[]> {
  const blocks: PemBlock[] = [];
  let outside = '';
  let last = 0;
  for (const match of text.matchAll(BLOCK)) {
    const [whole, label = '', body = '', endLabel = ''] = match;
    outside += text.slice(last, match.index);
    last = match.index + whole.length;
    const position = blocks.length + 1;
    if (label !== endLabel)
      return failure(`PEM block ${position} begins with "${label}" but ends with "${endLabel}"`);
    const base64 = body.replace(/\s+/g, '');
    if (!BASE64.test(base64) || base64.length % 4 !== 0) {
      return failure(`PEM block ${position} (${label}) is not valid base64`);
    }
    blocks.push({ label, der: Buffer.from(base64, 'base64') });
  }
  outside += text.slice(last);
  if (outside.includes('-----BEGIN') || outside.includes('-----END')) {
    return failure('contains an unterminated PEM block');
  }
  return { ok: true, value: blocks };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Certificates of a PEM bundle or chain (Ratify's inline certificate value). */
export function parsePemCertificates(text: string): PemResult<X509Certificate[]> {
  const split = splitPem(text);
  if (!split.ok) return split;
  if (split.value.length === 0) return failure('contains no PEM "CERTIFICATE" block');
  if (split.value.length > MAX_PEM_CERTIFICATES) {
    return failure(`contains ${split.value.length} PEM blocks, at most ${MAX_PEM_CERTIFICATES} are allowed`);
  }
  const certificates: X509Certificate[] = [];
  for (const [index, block] of split.value.entries()) {
    if (block.label !== 'CERTIFICATE') {
      return failure(`PEM block ${index + 1} is "${block.label}", expected "CERTIFICATE"`);
    }
    try {
      const certificate = new X509Certificate(block.der);
      // Touch the lazily decoded fields so a malformed certificate fails now, not during verification.
      void certificate.subject;
      void certificate.issuer;
      void certificate.notBefore;
      void certificate.notAfter;
      void certificate.publicKey.algorithm;
      certificates.push(certificate);
    } catch (error) {
      return failure(`certificate ${index + 1} is not a valid X.509 certificate: ${describeError(error)}`);
    }
  }
  return { ok: true, value: certificates };
}

/** One SubjectPublicKeyInfo public key (`-----BEGIN PUBLIC KEY-----`), as Ratify's inline key. */
export function parsePemPublicKey(text: string): PemResult<PublicKey> {
  const split = splitPem(text);
  if (!split.ok) return split;
  const [block, ...rest] = split.value;
  if (block === undefined) return failure('contains no PEM "PUBLIC KEY" block');
  if (rest.length > 0)
    return failure(`contains ${split.value.length} PEM blocks, expected exactly one public key`);
  if (block.label !== 'PUBLIC KEY') return failure(`PEM block 1 is "${block.label}", expected "PUBLIC KEY"`);
  try {
    const key = new PublicKey(block.der);
    void key.algorithm;
    return { ok: true, value: key };
  } catch (error) {
    return failure(`is not a valid public key: ${describeError(error)}`);
  }
}
