import { jwsAlgorithm } from './algorithms.js';
import {
  checkEnvelopeSize,
  checkSigningAndExpiryTime,
  HEADER,
  invalidSignature,
  parseChain,
  parseSigningScheme,
  requiredCriticalHeaders,
} from './envelope-common.js';
import type { ExtendedAttribute, SignatureEnvelope } from './envelope.types.js';

/** Protected header keys the specification defines; anything else is an extended attribute. */
const STANDARD_HEADERS = new Set([
  'alg',
  'cty',
  'crit',
  HEADER.expiry,
  HEADER.signingTime,
  HEADER.signingScheme,
  HEADER.authenticSigningTime,
]);

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses a JWS JSON (flattened) serialization as the Notary Project JWS envelope spec defines it.
 * Structure and header rules only; the signature is checked by the integrity stage.
 */
export function parseJwsEnvelope(bytes: Uint8Array): SignatureEnvelope {
  checkEnvelopeSize(bytes);
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw invalidSignature(
      `unable to parse the digital signature, error : ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  if (!isObject(document))
    throw invalidSignature(
      'unable to parse the digital signature, error : JWS envelope is not a JSON object',
    );
  const protectedText = stringField(document, 'protected');
  const payloadText = stringField(document, 'payload');
  const signatureText = stringField(document, 'signature');
  const header = document.header ?? {};
  if (!isObject(header))
    throw invalidSignature('unable to parse the digital signature, error : "header" must be a JSON object');

  const x5c = header.x5c;
  if (x5c !== undefined && x5c !== null && !Array.isArray(x5c))
    throw invalidSignature('unable to parse the digital signature, error : "x5c" must be an array');
  const chainDer = (Array.isArray(x5c) ? (x5c as unknown[]) : []).map((entry) => decodeBase64(entry, 'x5c'));
  const timestampToken =
    header[HEADER.timestampSignature] === undefined
      ? undefined
      : decodeBase64(header[HEADER.timestampSignature], HEADER.timestampSignature);
  const signingAgent = header[HEADER.signingAgent];
  if (signingAgent !== undefined && typeof signingAgent !== 'string')
    throw invalidSignature(`"${HEADER.signingAgent}" must be a string`);

  if (chainDer.length === 0) throw invalidSignature('malformed leaf certificate');
  const protectedHeader = parseProtectedHeader(protectedText);
  const payload = decodeBase64Url(payloadText, 'payload');
  const signature = decodeBase64Url(signatureText, 'signature');
  if (signature.length === 0) throw invalidSignature('signature not present or is empty');
  if (payload.length === 0) throw invalidSignature('content not present');

  return {
    format: 'jws',
    ...protectedHeader,
    payload,
    certificateChain: parseChain(chainDer),
    signature,
    signedContent: Buffer.from(`${protectedText}.${payloadText}`, 'ascii'),
    timestampToken,
    signingAgent,
  };
}

type ProtectedFields = Pick<
  SignatureEnvelope,
  'algorithm' | 'contentType' | 'signingScheme' | 'signingTime' | 'expiry' | 'extendedAttributes'
>;

function parseProtectedHeader(encoded: string): ProtectedFields {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(decodeBase64Url(encoded, 'protected header')).toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError)
      throw invalidSignature(`jws envelope protected header can't be decoded: ${error.message}`, error);
    throw error;
  }
  if (!isObject(header))
    throw invalidSignature("jws envelope protected header can't be decoded: not a JSON object");

  const algorithmName = header.alg;
  const algorithm = typeof algorithmName === 'string' ? jwsAlgorithm(algorithmName) : undefined;
  if (algorithm === undefined)
    throw invalidSignature(`signature algorithm "${String(algorithmName)}" is not supported`);
  const contentType = header.cty ?? '';
  if (typeof contentType !== 'string') throw invalidSignature('"cty" header must be a string');
  const critical = header.crit ?? [];
  if (!Array.isArray(critical) || !critical.every((entry): entry is string => typeof entry === 'string')) {
    throw invalidSignature('"crit" header must be an array of strings');
  }
  const signingScheme = parseSigningScheme(header[HEADER.signingScheme]);
  const signingTime = optionalTime(header, HEADER.signingTime);
  const authenticSigningTime = optionalTime(header, HEADER.authenticSigningTime);
  const expiry = optionalTime(header, HEADER.expiry);

  // notation-core-go validateProtectedHeaders: each scheme carries exactly its own time header.
  if (signingScheme === 'notary.x509' && authenticSigningTime !== undefined) {
    throw invalidSignature(
      `"${HEADER.authenticSigningTime}" header must not be present for notary.x509 signing scheme`,
    );
  }
  if (signingScheme === 'notary.x509.signingAuthority') {
    if (signingTime !== undefined)
      throw invalidSignature(
        `"${HEADER.signingTime}" header must not be present for notary.x509.signingAuthority signing scheme`,
      );
    if (authenticSigningTime === undefined)
      throw invalidSignature(
        `"${HEADER.authenticSigningTime}" header must be present for notary.x509.signingAuthority signing scheme`,
      );
  }

  const extended = Object.entries(header).filter(([key]) => !STANDARD_HEADERS.has(key));
  if (critical.length === 0) throw invalidSignature('missing "crit" header');
  const required = new Set(requiredCriticalHeaders(signingScheme, expiry !== undefined));
  for (const name of critical) {
    if (!required.delete(name) && !extended.some(([key]) => key === name)) {
      throw invalidSignature(`"${name}" header is marked critical but not present`);
    }
  }
  if (required.size > 0)
    throw invalidSignature(`these required headers are not marked as critical: [${[...required].join(' ')}]`);

  const extendedAttributes: ExtendedAttribute[] = extended.map(([key, value]) => ({
    key,
    critical: critical.includes(key),
    value,
  }));
  const time = checkSigningAndExpiryTime(
    signingScheme === 'notary.x509' ? signingTime : authenticSigningTime,
    expiry,
  );
  return { algorithm, contentType, signingScheme, signingTime: time, expiry, extendedAttributes };
}

function optionalTime(header: Record<string, unknown>, key: string): Date | undefined {
  const value = header[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidSignature(`"${key}" header must be an RFC 3339 time`);
  const match = RFC3339.exec(value);
  const ms = Date.parse(value);
  if (match === null || Number.isNaN(ms))
    throw invalidSignature(`"${key}" header must be an RFC 3339 time, got ${JSON.stringify(value)}`);
  return new Date(ms);
}

/** Go's base64.RawURLEncoding: URL alphabet, no padding, error names the first bad byte. */
function decodeBase64Url(text: string, what: string): Uint8Array {
  if (!BASE64URL.test(text)) {
    const index = [...text].findIndex((char) => !/[A-Za-z0-9_-]/.test(char));
    throw invalidSignature(`${what}: illegal base64 data at input byte ${index}`);
  }
  if (text.length % 4 === 1)
    throw invalidSignature(`${what}: illegal base64 data at input byte ${text.length - 1}`);
  return Buffer.from(text, 'base64url');
}

/** Go's encoding/json for []byte: standard alphabet with padding. */
function decodeBase64(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string')
    throw invalidSignature(
      `unable to parse the digital signature, error : "${what}" must hold base64 strings`,
    );
  const text = value.replace(/[\r\n]/g, '');
  if (!BASE64.test(text) || text.length % 4 !== 0) {
    throw invalidSignature(`unable to parse the digital signature, error : illegal base64 data in "${what}"`);
  }
  return Buffer.from(text, 'base64');
}

function stringField(document: Record<string, unknown>, key: string): string {
  const value = document[key] ?? '';
  if (typeof value !== 'string')
    throw invalidSignature(`unable to parse the digital signature, error : "${key}" must be a string`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
