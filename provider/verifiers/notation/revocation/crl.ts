import {
  ASN1_TAG,
  DerError,
  isContext,
  isUniversal,
  KEY_USAGE,
  readBoolean,
  readChildren,
  readDer,
  readInteger,
  readOctetString,
  readOid,
  readSequence,
  readTime,
  type Certificate,
  type DerNode,
} from '../../../trust/index.js';
import { fetchBounded, unknownResult } from './bounded-fetch.js';
import type { FetchLimits, ServerResult } from './revocation.types.js';
import { findSignatureProblem } from './signed-data.js';

const FRESHEST_CRL = '2.5.29.46';
const ISSUING_DISTRIBUTION_POINT = '2.5.29.28';
const INVALIDITY_DATE = '2.5.29.24';

interface RevokedEntry {
  readonly serialNumber: bigint;
  readonly revocationDate: Date;
  readonly extensions: readonly ParsedExtension[];
}

interface ParsedExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

export interface CertificateList {
  readonly tbs: Uint8Array;
  readonly algorithm: DerNode | undefined;
  readonly signature: DerNode | undefined;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly revoked: readonly RevokedEntry[];
  readonly extensions: readonly ParsedExtension[];
}

function readExtensions(node: DerNode | undefined): ParsedExtension[] {
  if (node === undefined) return [];
  return readSequence(node, 'extensions').map((extension) => {
    const [oid, second, third] = readSequence(extension, 'extension');
    const critical = third !== undefined && second !== undefined && readBoolean(second, 'extension critical');
    return {
      oid: readOid(oid, 'extension id'),
      critical,
      value: readOctetString(third ?? second, 'extension value'),
    };
  });
}

/** RFC 5280 CertificateList; throws DerError when malformed. */
export function parseCertificateList(bytes: Uint8Array): CertificateList {
  const [tbsNode, algorithm, signature] = readSequence(readDer(bytes), 'CRL');
  if (tbsNode === undefined) throw new DerError('CRL: missing tbsCertList');
  const fields = readSequence(tbsNode, 'tbsCertList');
  let index = fields[0] !== undefined && isUniversal(fields[0], ASN1_TAG.INTEGER) ? 1 : 0;
  index += 2; // signature algorithm, issuer
  const thisUpdate = readTime(fields[index++], 'CRL thisUpdate');
  let nextUpdate: Date | undefined;
  const maybeNext = fields[index];
  if (
    maybeNext !== undefined &&
    (isUniversal(maybeNext, ASN1_TAG.UTC_TIME) || isUniversal(maybeNext, ASN1_TAG.GENERALIZED_TIME))
  ) {
    nextUpdate = readTime(maybeNext, 'CRL nextUpdate');
    index++;
  }
  let revoked: RevokedEntry[] = [];
  const maybeRevoked = fields[index];
  if (maybeRevoked !== undefined && isUniversal(maybeRevoked, ASN1_TAG.SEQUENCE)) {
    revoked = readSequence(maybeRevoked, 'revokedCertificates').map((entry) => {
      const [serial, date, extensions] = readSequence(entry, 'revoked certificate');
      return {
        serialNumber: readInteger(serial, 'revoked serial number'),
        revocationDate: readTime(date, 'revocation date'),
        extensions: readExtensions(extensions),
      };
    });
    index++;
  }
  const maybeExtensions = fields[index];
  const extensions =
    maybeExtensions !== undefined && isContext(maybeExtensions, 0)
      ? readExtensions(readChildren(maybeExtensions)[0])
      : [];
  return { tbs: tbsNode.encoded, algorithm, signature, thisUpdate, nextUpdate, revoked, extensions };
}

/** notation-core-go's CRL validation: issuer's signature (and cRLSign), not expired, no delta CRLs, no unknown critical extensions. */
export function findCrlProblem(crl: CertificateList, issuer: Certificate, now: Date): string | undefined {
  const constraints = issuer.basicConstraints;
  if ((issuer.version === 3 && constraints === undefined) || (constraints !== undefined && !constraints.ca)) {
    return `CRL is not signed by CA ${issuer.subject}: the issuer is not a CA`;
  }
  if (
    issuer.keyUsage !== undefined &&
    issuer.keyUsage.bits !== 0 &&
    (issuer.keyUsage.bits & KEY_USAGE.cRLSign) === 0
  ) {
    return `CRL is not signed by CA ${issuer.subject}: the issuer may not sign CRLs`;
  }
  const signatureProblem = findSignatureProblem(crl.tbs, crl.algorithm, crl.signature, issuer, 'CRL');
  if (signatureProblem !== undefined) return signatureProblem;
  if (crl.nextUpdate !== undefined && now.getTime() > crl.nextUpdate.getTime()) {
    return `expired CRL. Current time ${now.toISOString()} is after CRL NextUpdate ${crl.nextUpdate.toISOString()}`;
  }
  for (const extension of crl.extensions) {
    if (extension.oid === FRESHEST_CRL) return 'delta CRL is not supported';
    if (extension.oid !== ISSUING_DISTRIBUTION_POINT && extension.critical) {
      return `unsupported critical extension found in CRL: ${extension.oid}`;
    }
  }
  return undefined;
}

/**
 * The certificate's status in a validated CRL. An entry whose invalidity date is after the authentic
 * signing time does not revoke the signature (RFC 5280 5.3.2, as notation-core-go applies it).
 */
export function toCrlStatus(
  crl: CertificateList,
  certificate: Certificate,
  signingTime: Date | undefined,
): ServerResult {
  const validUntil = crl.nextUpdate;
  for (const entry of crl.revoked) {
    if (entry.serialNumber !== certificate.serialNumber) continue;
    let invalidityDate: Date | undefined;
    for (const extension of entry.extensions) {
      if (extension.oid === INVALIDITY_DATE)
        invalidityDate = readTime(readDer(extension.value), 'invalidity date');
      else if (extension.critical)
        return { status: 'unknown', detail: `unsupported critical extension found in CRL: ${extension.oid}` };
    }
    if (
      signingTime !== undefined &&
      invalidityDate !== undefined &&
      signingTime.getTime() < invalidityDate.getTime()
    )
      break;
    return {
      status: 'revoked',
      detail: `revoked at ${entry.revocationDate.toISOString()} by CRL`,
      validUntil,
    };
  }
  return { status: 'ok', validUntil };
}

export interface CrlCheck {
  readonly certificate: Certificate;
  readonly issuer: Certificate;
  readonly urls: readonly string[];
  readonly signingTime: Date | undefined;
  readonly now: Date;
  readonly limits: FetchLimits;
  readonly signal: AbortSignal | undefined;
}

/** Every distribution point is consulted (partial CRLs); the first revocation or failure decides. */
export async function checkCrl(check: CrlCheck): Promise<ServerResult> {
  let validUntil: Date | undefined;
  for (const url of check.urls) {
    let crl: CertificateList;
    try {
      const bytes = await fetchBounded(url, {
        method: 'GET',
        maxBytes: check.limits.maxCrlBytes,
        timeoutMs: check.limits.timeoutMs,
        signal: check.signal,
      });
      crl = parseCertificateList(bytes);
    } catch (error) {
      return unknownResult(
        new Error(
          `failed to download CRL from ${url}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
    const problem = findCrlProblem(crl, check.issuer, check.now);
    if (problem !== undefined)
      return { status: 'unknown', detail: `failed to validate CRL from ${url}: ${problem}` };
    let status: ServerResult;
    try {
      status = toCrlStatus(crl, check.certificate, check.signingTime);
    } catch (error) {
      return unknownResult(
        new Error(
          `failed to check revocation status from ${url}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
    if (status.status !== 'ok') return status;
    if (status.validUntil !== undefined && (validUntil === undefined || status.validUntil < validUntil))
      validUntil = status.validUntil;
  }
  return { status: 'ok', validUntil };
}
