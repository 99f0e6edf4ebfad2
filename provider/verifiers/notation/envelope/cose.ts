import { coseAlgorithm } from './algorithms.js';
import {
  CborError,
  decodeCbor,
  encodeCbor,
  isCborArray,
  isCborMap,
  isTagged,
  type CborKey,
  type CborValue,
} from './cbor.js';
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

const COSE_SIGN1_TAG = 18;
const EPOCH_TIME_TAG = 1;
const LABEL = { algorithm: 1, critical: 2, contentType: 3, x5chain: 33 } as const;

/** Protected labels the specification defines; any other label is an extended attribute. */
const STANDARD_LABELS = new Set<CborKey>([
  LABEL.algorithm,
  LABEL.critical,
  LABEL.contentType,
  HEADER.expiry,
  HEADER.signingScheme,
  HEADER.signingTime,
  HEADER.authenticSigningTime,
]);

/**
 * Parses a COSE_Sign1_Tagged message as the Notary Project COSE envelope spec defines it (tag 18,
 * times as CBOR tag 1, `crit` labels, x5chain label 33). The signature is checked by the
 * integrity stage over the Sig_structure recorded as `signedContent`.
 */
export function parseCoseEnvelope(bytes: Uint8Array): SignatureEnvelope {
  checkEnvelopeSize(bytes);
  let message: CborValue;
  try {
    message = decodeCbor(bytes);
  } catch (error) {
    if (error instanceof CborError)
      throw invalidSignature(`unable to parse the digital signature, error : ${error.message}`, error);
    throw error;
  }
  if (
    !isTagged(message) ||
    message.tag !== COSE_SIGN1_TAG ||
    !isCborArray(message.value) ||
    message.value.length !== 4
  ) {
    throw invalidSignature(
      'unable to parse the digital signature, error : cbor: invalid COSE_Sign1_Tagged object',
    );
  }
  const [protectedBytes, unprotected, payload, signature] = message.value;
  if (
    !(protectedBytes instanceof Uint8Array) ||
    !isCborMap(unprotected) ||
    !(signature instanceof Uint8Array)
  ) {
    throw invalidSignature(
      'unable to parse the digital signature, error : cbor: invalid COSE_Sign1 structure',
    );
  }
  if (!(payload instanceof Uint8Array) || payload.length === 0) throw invalidSignature('content not present');
  if (signature.length === 0) throw invalidSignature('signature missing in COSE envelope');

  const protectedHeader = decodeProtected(protectedBytes);
  for (const label of protectedHeader.keys()) {
    if (unprotected.has(label))
      throw invalidSignature(
        `header parameter ${String(label)} appears in both protected and unprotected headers`,
      );
  }
  const fields = readProtectedFields(protectedHeader);

  const x5chain = unprotected.get(LABEL.x5chain);
  const chainDer = isCborArray(x5chain)
    ? x5chain.filter((entry): entry is Uint8Array => entry instanceof Uint8Array)
    : [];
  if (!isCborArray(x5chain) || chainDer.length === 0 || chainDer.length !== x5chain.length) {
    throw invalidSignature('certificate chain is not present');
  }
  const signingAgent = unprotected.get(HEADER.signingAgent);
  const timestampToken = unprotected.get(HEADER.timestampSignature);
  if (signingAgent !== undefined && typeof signingAgent !== 'string')
    throw invalidSignature(`"${HEADER.signingAgent}" must be a text string`);
  if (timestampToken !== undefined && !(timestampToken instanceof Uint8Array))
    throw invalidSignature(`"${HEADER.timestampSignature}" must be a byte string`);

  return {
    format: 'cose',
    ...fields,
    payload,
    certificateChain: parseChain(chainDer),
    signature,
    signedContent: encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]),
    timestampToken,
    signingAgent,
  };
}

function decodeProtected(bytes: Uint8Array): ReadonlyMap<CborKey, CborValue> {
  if (bytes.length === 0) return new Map();
  let decoded: CborValue;
  try {
    decoded = decodeCbor(bytes);
  } catch (error) {
    if (error instanceof CborError)
      throw invalidSignature(`invalid protected header: ${error.message}`, error);
    throw error;
  }
  if (!isCborMap(decoded)) throw invalidSignature('invalid protected header: not a map');
  return decoded;
}

type ProtectedFields = Pick<
  SignatureEnvelope,
  'algorithm' | 'contentType' | 'signingScheme' | 'signingTime' | 'expiry' | 'extendedAttributes'
>;

function readProtectedFields(header: ReadonlyMap<CborKey, CborValue>): ProtectedFields {
  const critical = header.get(LABEL.critical);
  if (!isCborArray(critical) || critical.length === 0)
    throw invalidSignature('missing or empty "crit" header');
  const criticalLabels: CborKey[] = [];
  for (const label of critical) {
    if (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'bigint') {
      throw invalidSignature('"crit" labels must be integers or text strings');
    }
    if (!header.has(label))
      throw invalidSignature(`"crit" lists label ${String(label)} that is not in the protected header`);
    criticalLabels.push(label);
  }

  const signingScheme = parseSigningScheme(header.get(HEADER.signingScheme));
  const expiry = header.has(HEADER.expiry) ? readTime(header, HEADER.expiry) : undefined;
  const missing = requiredCriticalHeaders(signingScheme, expiry !== undefined).filter(
    (name) => !criticalLabels.includes(name),
  );
  if (missing.length > 0)
    throw invalidSignature(`these required headers are not marked as critical: [${missing.join(' ')}]`);

  const algorithmId = header.get(LABEL.algorithm);
  const algorithm = typeof algorithmId === 'number' ? coseAlgorithm(algorithmId) : undefined;
  if (algorithm === undefined)
    throw invalidSignature(
      `signature algorithm not supported: ${typeof algorithmId === 'number' || typeof algorithmId === 'string' ? algorithmId : 'missing or not an integer'}`,
    );

  const contentType = header.get(LABEL.contentType);
  if (contentType === undefined) throw invalidSignature('missing content type');
  if (typeof contentType !== 'string') throw invalidSignature("content type should be of 'tstr' type");

  const timeLabel = signingScheme === 'notary.x509' ? HEADER.signingTime : HEADER.authenticSigningTime;
  if (!header.has(timeLabel))
    throw invalidSignature(`invalid signingTime: protected header "${timeLabel}" is missing`);
  const signingTime = checkSigningAndExpiryTime(readTime(header, timeLabel), expiry);

  const extendedAttributes: ExtendedAttribute[] = [...header.entries()]
    .filter(([label]) => !STANDARD_LABELS.has(label))
    .map(([key, value]) => ({ key, critical: criticalLabels.includes(key), value }));
  return { algorithm, contentType, signingScheme, signingTime, expiry, extendedAttributes };
}

/** A time header must be an epoch time under CBOR tag 1, as the COSE envelope spec requires. */
function readTime(header: ReadonlyMap<CborKey, CborValue>, label: string): Date {
  const value = header.get(label);
  if (value === undefined || !isTagged(value))
    throw invalidSignature(`header "${label}" time value does not have a tag`);
  if (value.tag !== EPOCH_TIME_TAG) throw invalidSignature('only Tag `1` Datetime CBOR object is supported');
  const seconds = value.value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds))
    throw invalidSignature(`header "${label}" has an invalid time value`);
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) throw invalidSignature(`header "${label}" has an invalid time value`);
  return date;
}
