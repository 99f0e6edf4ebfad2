import { createHash } from 'node:crypto';

import { BUNDLE_V01_MEDIA_TYPE, type Bundle, type TransparencyLogEntry } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';

import { SignetError } from '../../errors.js';
import { CertificateParseError, parseCertificateBundle } from '../../trust/index.js';
import {
  verifyParsedSigstoreBundle,
  type SigstorePolicy,
  type SigstoreSigner,
  type SigstoreTrustMaterial,
} from '../sigstore/index.js';

/** cosign's keyless annotations on a `.sig` simple-signing layer. */
export const COSIGN_CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const COSIGN_CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const COSIGN_REKOR_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';
export const COSIGN_RFC3161_TIMESTAMP_ANNOTATION = 'dev.sigstore.cosign/rfc3161timestamp';

/** A leaf PEM is ~1-3 KiB; a Rekor bundle holds the canonical entry (certificate + signature) and a SET. */
const MAX_CERTIFICATE_ANNOTATION_CHARS = 64 * 1024;
const MAX_REKOR_BUNDLE_ANNOTATION_CHARS = 256 * 1024;
const MAX_TIMESTAMP_ANNOTATION_CHARS = 64 * 1024;

export interface CosignKeylessLayer {
  /** The layer blob: the simple-signing payload the signature covers. */
  readonly payload: Uint8Array;
  /** The decoded `dev.cosignproject.cosign/signature` annotation. */
  readonly signature: Uint8Array;
  readonly annotations: Readonly<Record<string, string>>;
  readonly policy: SigstorePolicy;
  readonly trustMaterial: SigstoreTrustMaterial;
  readonly tLogVerify: boolean;
  /** Check the Fulcio certificate's SCTs (Ratify's `ctLogVerify`, on by default as in cosign). */
  readonly ctLogVerify?: boolean;
  readonly now: Date;
  readonly image?: string;
}

function invalid(reason: string, image: string | undefined, cause?: unknown): SignetError {
  return new SignetError('SIGNATURE_INVALID', { stage: 'verify', image, reason, cause });
}

function boundedAnnotation(
  annotations: Readonly<Record<string, string>>,
  name: string,
  maxChars: number,
  image: string | undefined,
): string | undefined {
  const value = annotations[name];
  if (value !== undefined && value.length > maxChars) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      image,
      reason: `bundle: annotation ${name} is longer than ${maxChars} characters`,
      details: { limit: name, size: value.length },
    });
  }
  return value;
}

function decodeBase64(value: unknown, what: string, image: string | undefined): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw invalid(`bundle: ${what} is not base64`, image);
  }
  return Buffer.from(value, 'base64');
}

function parseJsonObject(text: string, what: string, image: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch (error) {
    throw invalid(`bundle: ${what} is not valid JSON`, image, error);
  }
  throw invalid(`bundle: ${what} is not a JSON object`, image);
}

function toSafeIntegerString(value: unknown, what: string, image: string | undefined): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`bundle: ${what} is not a non-negative integer`, image);
  }
  return String(value);
}

/**
 * cosign's `dev.sigstore.cosign/bundle` (`{SignedEntryTimestamp, Payload: {body, integratedTime, logIndex,
 * logID}}`) as a Sigstore log entry with an inclusion promise; the SET signs exactly these fields.
 */
function toTlogEntry(annotation: string, image: string | undefined): TransparencyLogEntry {
  const rekorBundle = parseJsonObject(annotation, COSIGN_REKOR_BUNDLE_ANNOTATION, image);
  const payload = rekorBundle.Payload;
  if (typeof payload !== 'object' || payload === null)
    throw invalid('SET: Rekor bundle has no Payload', image);
  const fields = payload as Record<string, unknown>;
  const body = decodeBase64(fields.body, 'Rekor entry body', image);
  const kind = parseJsonObject(body.toString('utf8'), 'Rekor entry body', image);
  if (typeof kind.kind !== 'string' || typeof kind.apiVersion !== 'string') {
    throw invalid('tlog entry: Rekor entry body has no kind/apiVersion', image);
  }
  if (typeof fields.logID !== 'string' || !/^[0-9a-f]{64}$/.test(fields.logID)) {
    throw invalid('SET: Rekor bundle logID is not a hex SHA-256', image);
  }
  return {
    logIndex: toSafeIntegerString(fields.logIndex, 'Rekor logIndex', image),
    logId: { keyId: Buffer.from(fields.logID, 'hex') },
    kindVersion: { kind: kind.kind, version: kind.apiVersion },
    integratedTime: toSafeIntegerString(fields.integratedTime, 'Rekor integratedTime', image),
    inclusionPromise: {
      signedEntryTimestamp: decodeBase64(rekorBundle.SignedEntryTimestamp, 'SignedEntryTimestamp', image),
    },
    inclusionProof: undefined,
    canonicalizedBody: body,
  };
}

function toRfc3161Timestamp(annotation: string, image: string | undefined): Buffer {
  const timestamp = parseJsonObject(annotation, COSIGN_RFC3161_TIMESTAMP_ANNOTATION, image);
  return decodeBase64(timestamp.SignedRFC3161Timestamp, 'SignedRFC3161Timestamp', image);
}

function leafCertificate(pem: string, image: string | undefined): Buffer {
  try {
    const certificates = parseCertificateBundle(Buffer.from(pem, 'utf8'));
    const [leaf] = certificates;
    if (leaf === undefined || certificates.length !== 1) {
      throw invalid(
        `certificate chain: ${COSIGN_CERTIFICATE_ANNOTATION} holds ${certificates.length} certificates, expected 1`,
        image,
      );
    }
    return Buffer.from(leaf.der);
  } catch (error) {
    if (error instanceof SignetError) throw error;
    const detail = error instanceof CertificateParseError ? error.message : 'unreadable PEM';
    throw invalid(`certificate chain: signing certificate is malformed (${detail})`, image, error);
  }
}

/**
 * Judges one cosign simple-signing layer signed keylessly (a Fulcio certificate instead of a key) by
 * assembling the Sigstore bundle it is equivalent to and verifying that: chain to the trusted root, SCT,
 * SET and entry body (when tLogVerify), RFC 3161 timestamp, signature over the payload, identity policy.
 * The `…/chain` annotation is deliberately not trusted: intermediates come from the trusted root, as in
 * cosign with a trusted root. The payload's claims (docker-manifest-digest) are the caller's to check.
 */
export function verifyCosignKeylessLayer(layer: CosignKeylessLayer): SigstoreSigner {
  const { annotations, image } = layer;
  const certificatePem = boundedAnnotation(
    annotations,
    COSIGN_CERTIFICATE_ANNOTATION,
    MAX_CERTIFICATE_ANNOTATION_CHARS,
    image,
  );
  if (certificatePem === undefined || certificatePem.trim() === '') {
    throw invalid(`certificate chain: the layer has no ${COSIGN_CERTIFICATE_ANNOTATION} annotation`, image);
  }
  const rekorBundle = boundedAnnotation(
    annotations,
    COSIGN_REKOR_BUNDLE_ANNOTATION,
    MAX_REKOR_BUNDLE_ANNOTATION_CHARS,
    image,
  );
  const timestamp = boundedAnnotation(
    annotations,
    COSIGN_RFC3161_TIMESTAMP_ANNOTATION,
    MAX_TIMESTAMP_ANNOTATION_CHARS,
    image,
  );
  // Without a log check the SET annotation is ignored, as cosign --insecure-ignore-tlog does.
  const tlogEntries = layer.tLogVerify && rekorBundle !== undefined ? [toTlogEntry(rekorBundle, image)] : [];
  const bundle: Bundle = {
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    verificationMaterial: {
      content: {
        $case: 'x509CertificateChain',
        x509CertificateChain: { certificates: [{ rawBytes: leafCertificate(certificatePem, image) }] },
      },
      tlogEntries,
      timestampVerificationData:
        timestamp === undefined
          ? undefined
          : { rfc3161Timestamps: [{ signedTimestamp: toRfc3161Timestamp(timestamp, image) }] },
    },
    content: {
      $case: 'messageSignature',
      messageSignature: {
        messageDigest: {
          algorithm: HashAlgorithm.SHA2_256,
          digest: createHash('sha256').update(layer.payload).digest(),
        },
        signature: Buffer.from(layer.signature),
      },
    },
  };
  return verifyParsedSigstoreBundle(bundle, {
    artifact: { $case: 'payload', payload: layer.payload },
    policy: layer.policy,
    trustMaterial: layer.trustMaterial,
    tLogVerify: layer.tLogVerify,
    ctLogVerify: layer.ctLogVerify ?? true,
    now: layer.now,
    image,
  });
}
