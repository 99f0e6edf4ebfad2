import { createHash } from 'node:crypto';
import {
  ASN1_TAG,
  DerError,
  EKU,
  encodeDer,
  isContext,
  isSignedBy,
  isUniversal,
  parseCertificate,
  readChildren,
  readDer,
  readOctetString,
  readOid,
  readSequence,
  readTime,
  sameCertificate,
  type Certificate,
  type DerNode,
} from '../../../trust/index.js';
import { fetchBounded, unknownResult } from './bounded-fetch.js';
import type { FetchLimits, ServerResult } from './revocation.types.js';
import { findSignatureProblem } from './signed-data.js';

const SEQUENCE = 0x30;
const OCTET_STRING = 0x04;
/** SHA-1 CertID hashes: what notation sends, since many public responders only answer those. */
const SHA1_ALGORITHM = Buffer.from('300906052b0e03021a0500', 'hex');
const SHA1_OID = '1.3.14.3.2.26';
const BASIC_RESPONSE = '1.3.6.1.5.5.7.48.1.1';
const INVALIDITY_DATE = '2.5.29.24';
/** Responder clocks drift; a thisUpdate further in the future than this is not believed. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

function sha1(bytes: Uint8Array): Buffer {
  return createHash('sha1').update(bytes).digest();
}

function serialNumberNode(certificate: Certificate): DerNode {
  const serial = readSequence(readDer(certificate.tbs), 'tbsCertificate').find((field) =>
    isUniversal(field, ASN1_TAG.INTEGER),
  );
  if (serial === undefined) throw new DerError('certificate: missing serial number');
  return serial;
}

function issuerKeyHash(issuer: Certificate): Buffer {
  if (issuer.publicKey === undefined) throw new DerError("issuer's public key type is not supported");
  const [, bitString] = readSequence(
    readDer(issuer.publicKey.export({ type: 'spki', format: 'der' })),
    'issuer public key',
  );
  if (bitString === undefined) throw new DerError('issuer public key: missing key bits');
  return sha1(bitString.contents.subarray(1));
}

/** DER OCSPRequest for one certificate (RFC 6960, no nonce, unsigned). */
export function toOcspRequest(certificate: Certificate, issuer: Certificate): Uint8Array {
  const certId = encodeDer(
    SEQUENCE,
    Buffer.concat([
      SHA1_ALGORITHM,
      encodeDer(OCTET_STRING, sha1(issuer.subjectDer)),
      encodeDer(OCTET_STRING, issuerKeyHash(issuer)),
      serialNumberNode(certificate).encoded,
    ]),
  );
  const request = encodeDer(SEQUENCE, certId);
  const requestList = encodeDer(SEQUENCE, request);
  const tbsRequest = encodeDer(SEQUENCE, requestList);
  return encodeDer(SEQUENCE, tbsRequest);
}

function responderProblem(responder: Certificate, issuer: Certificate): string | undefined {
  if (sameCertificate(responder, issuer)) return undefined;
  if (!isSignedBy(responder, issuer.publicKey).ok) {
    return `OCSP responder certificate ${JSON.stringify(responder.subject)} is not issued by ${JSON.stringify(issuer.subject)}`;
  }
  if (!(responder.extKeyUsage?.oids ?? []).includes(EKU.ocspSigning)) {
    return `OCSP responder certificate ${JSON.stringify(responder.subject)} lacks the OCSPSigning extended key usage`;
  }
  return undefined;
}

/**
 * Judges a DER OCSPResponse about `certificate`: signed by its issuer or by a responder the issuer delegated
 * (OCSPSigning EKU), fresh at `now`, and naming the certificate. Throws DerError when malformed.
 */
export function toOcspStatus(
  bytes: Uint8Array,
  certificate: Certificate,
  issuer: Certificate,
  now: Date,
  signingTime: Date | undefined,
): ServerResult {
  const [statusNode, responseBytes] = readSequence(readDer(bytes), 'OCSP response');
  if (statusNode === undefined || !isUniversal(statusNode, 10))
    throw new DerError('OCSP response: missing status');
  if (statusNode.contents[0] !== 0)
    return {
      status: 'unknown',
      detail: `OCSP responder answered with error status ${statusNode.contents[0] ?? '?'}`,
    };
  const [typeNode, responseNode] = readSequence(
    responseBytes === undefined ? undefined : readChildren(responseBytes)[0],
    'OCSP responseBytes',
  );
  if (readOid(typeNode, 'OCSP response type') !== BASIC_RESPONSE)
    throw new DerError('OCSP response: not a basic response');
  const [tbsNode, algorithm, signature, certsNode] = readSequence(
    readDer(readOctetString(responseNode, 'OCSP response')),
    'basic OCSP response',
  );
  if (tbsNode === undefined) throw new DerError('OCSP response: missing responseData');

  const embedded =
    certsNode !== undefined && isContext(certsNode, 0)
      ? readSequence(readChildren(certsNode)[0], 'OCSP certs')
      : [];
  const responder = embedded[0] === undefined ? issuer : parseCertificate(embedded[0].encoded);
  const delegation = responderProblem(responder, issuer);
  if (delegation !== undefined) return { status: 'unknown', detail: delegation };
  const signatureProblem = findSignatureProblem(
    tbsNode.encoded,
    algorithm,
    signature,
    responder,
    'OCSP response',
  );
  if (signatureProblem !== undefined) return { status: 'unknown', detail: signatureProblem };

  const responses = readSequence(tbsNode, 'OCSP responseData').find((field) =>
    isUniversal(field, ASN1_TAG.SEQUENCE),
  );
  const single = readSequence(responses, 'OCSP responses')
    .map((response) => readSequence(response, 'OCSP single response'))
    .find(([certId]) => {
      const [hashAlgorithm, nameHash, , serial] = readSequence(certId, 'OCSP CertID');
      const sameSerial =
        serial !== undefined && Buffer.from(serial.contents).equals(serialNumberNode(certificate).contents);
      const sha1Named =
        readOid(readSequence(hashAlgorithm, 'CertID hash algorithm')[0], 'CertID hash algorithm') ===
        SHA1_OID;
      return (
        sameSerial &&
        (!sha1Named || sha1(issuer.subjectDer).equals(readOctetString(nameHash, 'CertID issuerNameHash')))
      );
    });
  if (single === undefined)
    return { status: 'unknown', detail: 'OCSP response does not name the certificate' };
  const [, certStatus, thisUpdateNode, ...optional] = single;
  const thisUpdate = readTime(thisUpdateNode, 'OCSP thisUpdate');
  const nextUpdateNode = optional.find((field) => isContext(field, 0));
  const nextUpdate =
    nextUpdateNode === undefined ? undefined : readTime(readChildren(nextUpdateNode)[0], 'OCSP nextUpdate');
  // notation treats a response without nextUpdate as already expired.
  if (nextUpdate === undefined || now.getTime() > nextUpdate.getTime())
    return { status: 'unknown', detail: 'expired OCSP response' };
  if (thisUpdate.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS)
    return { status: 'unknown', detail: 'OCSP response thisUpdate is in the future' };

  if (certStatus === undefined) throw new DerError('OCSP response: missing certStatus');
  if (isContext(certStatus, 0)) return { status: 'ok', validUntil: nextUpdate };
  if (isContext(certStatus, 1)) {
    const extensionsNode = optional.find((field) => isContext(field, 1));
    const invalidity =
      extensionsNode === undefined ? undefined : invalidityDate(readChildren(extensionsNode)[0]);
    if (
      signingTime !== undefined &&
      invalidity !== undefined &&
      signingTime.getTime() < invalidity.getTime()
    ) {
      return { status: 'ok', validUntil: nextUpdate };
    }
    const revokedAt = readTime(readChildren(certStatus)[0], 'OCSP revocationTime');
    return {
      status: 'revoked',
      detail: `revoked at ${revokedAt.toISOString()} by OCSP`,
      validUntil: nextUpdate,
    };
  }
  return { status: 'unknown', detail: 'OCSP responder does not know the certificate' };
}

function invalidityDate(extensions: DerNode | undefined): Date | undefined {
  for (const extension of readSequence(extensions, 'OCSP single extensions')) {
    const fields = readSequence(extension, 'extension');
    if (readOid(fields[0], 'extension id') !== INVALIDITY_DATE) continue;
    return readTime(
      readDer(readOctetString(fields[fields.length - 1], 'invalidity date')),
      'invalidity date',
    );
  }
  return undefined;
}

export interface OcspCheck {
  readonly certificate: Certificate;
  readonly issuer: Certificate;
  readonly urls: readonly string[];
  readonly signingTime: Date | undefined;
  readonly now: Date;
  readonly limits: FetchLimits;
  readonly signal: AbortSignal | undefined;
}

/** Asks each responder in turn; the first definite answer (good or revoked) decides, else the last failure. */
export async function checkOcsp(check: OcspCheck): Promise<ServerResult> {
  let last: ServerResult = { status: 'unknown', detail: 'no OCSP responder' };
  for (const url of check.urls) {
    try {
      const body = toOcspRequest(check.certificate, check.issuer);
      const answer = await fetchBounded(url, {
        method: 'POST',
        body,
        contentType: 'application/ocsp-request',
        maxBytes: check.limits.maxOcspResponseBytes,
        timeoutMs: check.limits.timeoutMs,
        signal: check.signal,
      });
      last = toOcspStatus(answer, check.certificate, check.issuer, check.now, check.signingTime);
    } catch (error) {
      last = unknownResult(
        new Error(`OCSP ${url}: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
    if (last.status !== 'unknown') return last;
  }
  return last;
}
