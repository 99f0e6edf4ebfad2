import { createHash } from 'node:crypto';

import { isWithinValidity, parseCertificate, type Certificate } from './certificate.js';
import {
  ASN1_TAG,
  DerError,
  encodeDer,
  isContext,
  isUniversal,
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
import { HASH_OIDS, readAlgorithmIdentifier, type AlgorithmIdentifier } from './signature-algorithm.js';

/**
 * RFC 3161 timestamp tokens (CMS SignedData over a TSTInfo), parsed and checked as notation's tspclient-go does:
 * the signer certificate comes from the SigningCertificateV2 attribute and must match its hash, the signed attributes
 * must match the content, and the TSTInfo message imprint must be the hash of the countersigned bytes. Shared by
 * notation's timestamp stage (which adds its chain rules, `verifySignedToken`) and Sigstore's RFC 3161 checks.
 */

export class TimestampError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimestampError';
  }
}

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  baselineTimestampPolicy: '0.4.0.2023.1.1',
} as const;

const MAX_TOKEN_BYTES = 1024 * 1024;

export interface SignerInfo {
  readonly version: number;
  readonly issuerDer: Uint8Array | undefined;
  readonly serialNumber: bigint | undefined;
  readonly digestAlgorithm: AlgorithmIdentifier;
  readonly signedAttributes: readonly Attribute[] | undefined;
  /** DER of the signed attributes re-tagged as SET OF, which is what the signature covers. */
  readonly signedAttributesDer: Uint8Array | undefined;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
}

interface Attribute {
  readonly oid: string;
  readonly values: readonly DerNode[];
}

export interface SignedToken {
  readonly content: Uint8Array;
  readonly contentType: string;
  readonly certificates: readonly Certificate[];
  readonly signerInfos: readonly SignerInfo[];
}

export interface TstInfo {
  readonly version: number;
  readonly policy: string;
  readonly hashAlgorithm: string;
  readonly hashedMessage: Uint8Array;
  readonly genTime: Date;
  readonly accuracy: { readonly seconds: number; readonly millis: number; readonly micros: number };
}

/** A timestamp: genTime and the accuracy either side of it (RFC 3161 §2.4.2). */
export interface Timestamp {
  readonly time: Date;
  readonly accuracyMs: number;
}

export function timestampLowerLimit(timestamp: Timestamp): number {
  return timestamp.time.getTime() - timestamp.accuracyMs;
}

export function timestampUpperLimit(timestamp: Timestamp): number {
  return timestamp.time.getTime() + timestamp.accuracyMs;
}

/** tspclient's ParseSignedToken: a CMS SignedData (BER allowed) whose content is a TSTInfo. */
export function parseSignedToken(bytes: Uint8Array): SignedToken {
  if (bytes.length > MAX_TOKEN_BYTES) throw new TimestampError('timestamp token is too large');
  let signed: SignedToken;
  try {
    signed = parseSignedData(bytes);
  } catch (error) {
    if (error instanceof TimestampError) throw error;
    throw new TimestampError(
      `cms: invalid signed data: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (signed.contentType !== OID.tstInfo)
    throw new TimestampError(`unexpected content type: ${signed.contentType}`);
  return signed;
}

function parseSignedData(bytes: Uint8Array): SignedToken {
  const [contentTypeNode, contentNode] = readSequence(readDer(bytes, 'ber'), 'ContentInfo', 'ber');
  if (readOid(contentTypeNode, 'ContentInfo content type') !== OID.signedData)
    throw new TimestampError('cms: content type is not signed-data');
  if (contentNode === undefined || !isContext(contentNode, 0))
    throw new DerError('ContentInfo: missing content');
  const fields = readSequence(readChildren(contentNode, 'ber')[0], 'SignedData', 'ber');
  const [encapsulatedNode] = fields.slice(2);
  const [eContentTypeNode, eContentNode] = readSequence(encapsulatedNode, 'EncapsulatedContentInfo', 'ber');
  const contentType = readOid(eContentTypeNode, 'eContentType');
  const content =
    eContentNode !== undefined && isContext(eContentNode, 0)
      ? readOctetString(readChildren(eContentNode, 'ber')[0], 'eContent', 'ber')
      : new Uint8Array(0);
  let certificates: Certificate[] = [];
  let signerInfosNode: DerNode | undefined;
  for (const field of fields.slice(3)) {
    if (isContext(field, 0)) {
      try {
        certificates = readChildren(field, 'ber').map((node) => parseCertificate(node.encoded));
      } catch (error) {
        throw new TimestampError(
          `cms: failed to parse X509 certificates from signed data: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    } else if (isUniversal(field, ASN1_TAG.SET)) {
      signerInfosNode = field;
    }
  }
  if (signerInfosNode === undefined) throw new DerError('SignedData: missing signerInfos');
  const signerInfos = readChildren(signerInfosNode, 'ber').map(parseSignerInfo);
  return { content, contentType, certificates, signerInfos };
}

function parseSignerInfo(node: DerNode): SignerInfo {
  const fields = readSequence(node, 'SignerInfo', 'ber');
  const version = readSmallInteger(fields[0], 'SignerInfo version');
  const sid = fields[1];
  let issuerDer: Uint8Array | undefined;
  let serialNumber: bigint | undefined;
  if (sid !== undefined && isUniversal(sid, ASN1_TAG.SEQUENCE)) {
    const [issuer, serial] = readChildren(sid, 'ber');
    issuerDer = issuer?.encoded;
    serialNumber = readInteger(serial, 'SignerInfo serial number');
  }
  const digestAlgorithm = readAlgorithmIdentifier(fields[2], 'SignerInfo digest algorithm');
  let index = 3;
  let signedAttributes: Attribute[] | undefined;
  let signedAttributesDer: Uint8Array | undefined;
  const maybeAttributes = fields[index];
  if (maybeAttributes !== undefined && isContext(maybeAttributes, 0)) {
    signedAttributes = readChildren(maybeAttributes, 'ber').map(parseAttribute);
    signedAttributesDer = encodeDer(0x31, maybeAttributes.contents);
    index += 1;
  }
  const signatureAlgorithm = readAlgorithmIdentifier(fields[index], 'SignerInfo signature algorithm');
  const signature = readOctetString(fields[index + 1], 'SignerInfo signature', 'ber');
  return {
    version,
    issuerDer,
    serialNumber,
    digestAlgorithm,
    signedAttributes,
    signedAttributesDer,
    signatureAlgorithm,
    signature,
  };
}

function parseAttribute(node: DerNode): Attribute {
  const [typeNode, valuesNode] = readSequence(node, 'Attribute', 'ber');
  if (valuesNode === undefined || !isUniversal(valuesNode, ASN1_TAG.SET))
    throw new DerError('Attribute: missing values');
  return { oid: readOid(typeNode, 'Attribute type'), values: readChildren(valuesNode, 'ber') };
}

/** tspclient's SignedToken.Info: the TSTInfo structure. */
export function readTstInfo(token: SignedToken): TstInfo {
  return parseTstInfo(token.content);
}

/** A DER TSTInfo (RFC 3161 §2.4.2), whoever unwrapped it from its CMS envelope. */
export function parseTstInfo(der: Uint8Array): TstInfo {
  try {
    const fields = readSequence(readDer(der), 'TSTInfo');
    const version = readSmallInteger(fields[0], 'TSTInfo version');
    const policy = readOid(fields[1], 'TSTInfo policy');
    const [hashAlgorithmNode, hashedMessageNode] = readSequence(fields[2], 'MessageImprint');
    const hashAlgorithm = readAlgorithmIdentifier(hashAlgorithmNode, 'MessageImprint hash algorithm').oid;
    const hashedMessage = readOctetString(hashedMessageNode, 'MessageImprint hashed message');
    readInteger(fields[3], 'TSTInfo serial number');
    const genTime = readTime(fields[4], 'TSTInfo genTime');
    if (fields[4]?.tagNumber !== ASN1_TAG.GENERALIZED_TIME)
      throw new DerError('genTime must be a GeneralizedTime');
    let accuracy = { seconds: 0, millis: 0, micros: 0 };
    for (const field of fields.slice(5)) {
      if (isUniversal(field, ASN1_TAG.SEQUENCE)) accuracy = readAccuracy(field);
      else if (isUniversal(field, ASN1_TAG.BOOLEAN)) readBoolean(field, 'TSTInfo ordering');
    }
    return { version, policy, hashAlgorithm, hashedMessage, genTime, accuracy };
  } catch (error) {
    throw new TimestampError(
      `cannot unmarshal TSTInfo from timestamp token: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function readAccuracy(node: DerNode): TstInfo['accuracy'] {
  const accuracy = { seconds: 0, millis: 0, micros: 0 };
  for (const field of readChildren(node)) {
    if (isUniversal(field, ASN1_TAG.INTEGER)) accuracy.seconds = readSmallInteger(field, 'accuracy seconds');
    else if (isContext(field, 0)) accuracy.millis = implicitInteger(field);
    else if (isContext(field, 1)) accuracy.micros = implicitInteger(field);
  }
  return accuracy;
}

function implicitInteger(node: DerNode): number {
  return readSmallInteger(readDer(encodeDer(ASN1_TAG.INTEGER, node.contents)), 'accuracy');
}

/**
 * tspclient's TSTInfo.Validate: version 1, a supported imprint hash that matches `message`, and
 * the accuracy (explicit, or one second under the baseline policy without one).
 */
export function validateTstInfo(info: TstInfo, message: Uint8Array): Timestamp {
  if (info.version !== 1)
    throw new TimestampError(
      `invalid TSTInfo: timestamp token info version must be 1, but got ${info.version}`,
    );
  const hash = HASH_OIDS[info.hashAlgorithm];
  if (hash === undefined)
    throw new TimestampError(`invalid TSTInfo: unrecognized hash algorithm: ${info.hashAlgorithm}`);
  const digest = createHash(hash).update(message).digest();
  if (!digest.equals(Buffer.from(info.hashedMessage)))
    throw new TimestampError('invalid TSTInfo: mismatched message');
  const { seconds, millis, micros } = info.accuracy;
  const accuracyMs =
    seconds === 0 && millis === 0 && micros === 0 && info.policy === OID.baselineTimestampPolicy
      ? 1000
      : seconds * 1000 + millis + micros / 1000;
  return { time: info.genTime, accuracyMs };
}

/** The certificate named by SigningCertificateV2 (or the SignerInfo sid), checked against its hash. */
export function findSigningCertificate(token: SignedToken, signerInfo: SignerInfo): Certificate {
  const attribute = signerInfo.signedAttributes?.find(
    (candidate) => candidate.oid === OID.signingCertificateV2,
  );
  if (attribute === undefined)
    throw new TimestampError(
      'failed to get SigningCertificateV2 from signed attributes: attribute not found',
    );
  let certHash: Uint8Array;
  let hashOid = '2.16.840.1.101.3.4.2.1';
  let issuerDer = signerInfo.issuerDer;
  let serialNumber = signerInfo.serialNumber;
  try {
    const [certs] = readSequence(attribute.values[0], 'SigningCertificateV2');
    const [first] = readSequence(certs, 'SigningCertificateV2 certs');
    if (first === undefined)
      throw new TimestampError('signingCertificateV2 does not contain any certificate');
    const parts = readSequence(first, 'ESSCertIDv2');
    let index = 0;
    const maybeAlgorithm = parts[0];
    if (maybeAlgorithm !== undefined && isUniversal(maybeAlgorithm, ASN1_TAG.SEQUENCE)) {
      hashOid = readAlgorithmIdentifier(maybeAlgorithm, 'ESSCertIDv2 hash algorithm').oid;
      index = 1;
    }
    certHash = readOctetString(parts[index], 'ESSCertIDv2 certHash');
    const issuerSerial = parts[index + 1];
    if (issuerSerial !== undefined) {
      const [generalNames, serial] = readSequence(issuerSerial, 'IssuerSerial');
      const directoryName = readSequence(generalNames, 'IssuerSerial issuer').find((name) =>
        isContext(name, 4),
      );
      if (directoryName === undefined) throw new TimestampError('issuer name is missing in IssuerSerial');
      issuerDer = readChildren(directoryName)[0]?.encoded;
      serialNumber = readInteger(serial, 'IssuerSerial serial number');
    }
  } catch (error) {
    if (error instanceof TimestampError) throw error;
    throw new TimestampError(
      `failed to get SigningCertificateV2 from signed attributes: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const candidate = token.certificates.find(
    (certificate) =>
      issuerDer !== undefined &&
      Buffer.from(certificate.issuerDer).equals(Buffer.from(issuerDer)) &&
      certificate.serialNumber === serialNumber,
  );
  if (candidate === undefined)
    throw new TimestampError('signing certificate not found in the timestamp token');
  const hash = HASH_OIDS[hashOid];
  if (hash === undefined)
    throw new TimestampError('unsupported certificate hash algorithm in SigningCertificateV2 attribute');
  if (!createHash(hash).update(candidate.der).digest().equals(Buffer.from(certHash))) {
    throw new TimestampError('signing certificate hash does not match CertHash in signed attribute');
  }
  return candidate;
}

/**
 * RFC 5652 §5.6 signed-attribute checks: content type and message digest present and matching,
 * and a signing time, if any, inside the validity of every certificate of the chain.
 */
export function verifySignedAttributes(
  token: SignedToken,
  signerInfo: SignerInfo,
  chain: readonly Certificate[],
): void {
  const attributes = signerInfo.signedAttributes;
  if (attributes === undefined || attributes.length === 0) {
    if (token.contentType === OID.data) return;
    throw new TimestampError('missing signed attributes');
  }
  const contentType = attributes.find((attribute) => attribute.oid === OID.contentType)?.values[0];
  if (contentType === undefined) throw new TimestampError('invalid content type: attribute not found');
  const signedContentType = readOid(contentType, 'content type attribute');
  if (signedContentType !== token.contentType) {
    throw new TimestampError(
      `mismatch content type: found "${signedContentType}" in signer info, and "${token.contentType}" in signed data`,
    );
  }
  const digestNode = attributes.find((attribute) => attribute.oid === OID.messageDigest)?.values[0];
  if (digestNode === undefined) throw new TimestampError('invalid message digest: attribute not found');
  const hash = HASH_OIDS[signerInfo.digestAlgorithm.oid];
  if (hash === undefined) throw new TimestampError('unsupported digest algorithm');
  if (
    !createHash(hash)
      .update(token.content)
      .digest()
      .equals(Buffer.from(readOctetString(digestNode, 'message digest')))
  ) {
    throw new TimestampError('mismatch message digest');
  }
  const signingTimeNode = attributes.find((attribute) => attribute.oid === OID.signingTime)?.values[0];
  if (signingTimeNode === undefined) return;
  const signingTime = readTime(signingTimeNode, 'signing time');
  if (!chain.every((certificate) => isWithinValidity(certificate, signingTime))) {
    throw new TimestampError(
      `signing time, ${signingTime.toISOString()}, is outside certificate's validity period`,
    );
  }
}
