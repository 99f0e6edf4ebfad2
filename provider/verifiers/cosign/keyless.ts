import { createHash, type KeyObject } from 'node:crypto';

import { BUNDLE_V01_MEDIA_TYPE, type Bundle, type TransparencyLogEntry } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';

import { SignetError } from '../../errors.js';
import { CertificateParseError, parseCertificateBundle } from '../../trust/index.js';
import {
  toDigestArtifact,
  verifyParsedSigstoreBundle,
  type SigstorePolicy,
  type SigstoreSigner,
  type SigstoreTrustMaterial,
} from '../sigstore/index.js';
import type { DsseEnvelope } from './dsse.js';

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

interface LayerLog {
  readonly rekorBundle: string | undefined;
  readonly timestamp: string | undefined;
  readonly tLogVerify: boolean;
  readonly image: string | undefined;
}

function readLogAnnotations(annotations: Readonly<Record<string, string>>, image: string | undefined) {
  return {
    rekorBundle: boundedAnnotation(
      annotations,
      COSIGN_REKOR_BUNDLE_ANNOTATION,
      MAX_REKOR_BUNDLE_ANNOTATION_CHARS,
      image,
    ),
    timestamp: boundedAnnotation(
      annotations,
      COSIGN_RFC3161_TIMESTAMP_ANNOTATION,
      MAX_TIMESTAMP_ANNOTATION_CHARS,
      image,
    ),
  };
}

/** A `.sig` layer's content: a message signature over the simple-signing payload. */
function toMessageSignature(payload: Uint8Array, signature: Uint8Array): Bundle['content'] {
  return {
    $case: 'messageSignature',
    messageSignature: {
      messageDigest: {
        algorithm: HashAlgorithm.SHA2_256,
        digest: createHash('sha256').update(payload).digest(),
      },
      signature: Buffer.from(signature),
    },
  };
}

/** The Sigstore bundle a cosign layer is equivalent to: its content with the log entry and timestamp annotations. */
function toLayerBundle(
  log: LayerLog,
  verification: Bundle['verificationMaterial']['content'],
  content: Bundle['content'],
): Bundle {
  const { rekorBundle, timestamp, image } = log;
  // Without a log check the SET annotation is ignored, as cosign --insecure-ignore-tlog does.
  const tlogEntries = log.tLogVerify && rekorBundle !== undefined ? [toTlogEntry(rekorBundle, image)] : [];
  return {
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    verificationMaterial: {
      content: verification,
      tlogEntries,
      timestampVerificationData:
        timestamp === undefined
          ? undefined
          : { rfc3161Timestamps: [{ signedTimestamp: toRfc3161Timestamp(timestamp, image) }] },
    },
    content,
  };
}

function certificateMaterial(
  annotations: Readonly<Record<string, string>>,
  image: string | undefined,
): Bundle['verificationMaterial']['content'] {
  const certificatePem = boundedAnnotation(
    annotations,
    COSIGN_CERTIFICATE_ANNOTATION,
    MAX_CERTIFICATE_ANNOTATION_CHARS,
    image,
  );
  if (certificatePem === undefined || certificatePem.trim() === '') {
    throw invalid(`certificate chain: the layer has no ${COSIGN_CERTIFICATE_ANNOTATION} annotation`, image);
  }
  return {
    $case: 'x509CertificateChain',
    x509CertificateChain: { certificates: [{ rawBytes: leafCertificate(certificatePem, image) }] },
  };
}

/** A bundle rebuilt from a layer, verified under the layer's policy and trust material (SCTs checked unless turned off). */
function verifyLayerBundle(
  bundle: Parameters<typeof verifyParsedSigstoreBundle>[0],
  artifact: Parameters<typeof verifyParsedSigstoreBundle>[1]['artifact'],
  layer: Omit<CosignKeylessLayer, 'payload' | 'signature'>,
): SigstoreSigner {
  return verifyParsedSigstoreBundle(bundle, {
    artifact,
    policy: layer.policy,
    trustMaterial: layer.trustMaterial,
    tLogVerify: layer.tLogVerify,
    ctLogVerify: layer.ctLogVerify ?? true,
    now: layer.now,
    image: layer.image,
  });
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
  const bundle = toLayerBundle(
    { ...readLogAnnotations(annotations, image), tLogVerify: layer.tLogVerify, image },
    certificateMaterial(annotations, image),
    toMessageSignature(layer.payload, layer.signature),
  );
  return verifyLayerBundle(bundle, { $case: 'payload', payload: layer.payload }, layer);
}

export interface CosignKeylessAttestation extends Omit<CosignKeylessLayer, 'payload' | 'signature'> {
  /** The `.att` layer's DSSE envelope (one signature, as `cosign attest` writes it). */
  readonly envelope: DsseEnvelope;
  /** The image digest the in-toto statement must name as a subject. */
  readonly subjectDigest: string;
}

/**
 * Judges one cosign `.att` layer attested keylessly: the DSSE envelope with the layer's certificate and Rekor
 * (intoto entry) annotations, verified as a DSSE bundle whose statement must name the subject digest. cosign
 * timestamps the whole envelope, not its signature, so the RFC 3161 annotation is not used: signing time comes
 * from the SET, or the certificate must be valid now.
 */
export function verifyCosignKeylessAttestation(layer: CosignKeylessAttestation): SigstoreSigner {
  const { annotations, envelope, image } = layer;
  const [signature] = envelope.signatures;
  if (signature === undefined || envelope.signatures.length !== 1) {
    throw invalid(`bundle: DSSE envelope has ${envelope.signatures.length} signatures, expected 1`, image);
  }
  const { rekorBundle } = readLogAnnotations(annotations, image);
  const bundle = toLayerBundle(
    { rekorBundle, timestamp: undefined, tLogVerify: layer.tLogVerify, image },
    certificateMaterial(annotations, image),
    {
      $case: 'dsseEnvelope',
      dsseEnvelope: {
        payloadType: envelope.payloadType,
        payload: Buffer.from(envelope.payload),
        signatures: [{ sig: Buffer.from(signature), keyid: '' }],
      },
    },
  );
  return verifyLayerBundle(bundle, toDigestArtifact(layer.subjectDigest), layer);
}

export interface CosignKeyedLayerLog {
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  readonly annotations: Readonly<Record<string, string>>;
  /** The policy key the signature already verified with. */
  readonly publicKey: KeyObject;
  readonly trustMaterial: SigstoreTrustMaterial;
  readonly now: Date;
  readonly image?: string;
}

/**
 * `tLogVerify` for a key-signed `.sig` layer: its Rekor bundle annotation (SET over the entry, entry body naming
 * this signature and payload digest, integrated time) verified offline with the trusted root's Rekor keys.
 */
export function verifyCosignKeyedLayerLog(layer: CosignKeyedLayerLog): SigstoreSigner {
  const { annotations, image } = layer;
  const bundle = toLayerBundle(
    { ...readLogAnnotations(annotations, image), tLogVerify: true, image },
    { $case: 'publicKey', publicKey: { hint: '' } },
    toMessageSignature(layer.payload, layer.signature),
  );
  return verifyParsedSigstoreBundle(bundle, {
    artifact: { $case: 'payload', payload: layer.payload },
    policy: { publicKey: layer.publicKey },
    trustMaterial: layer.trustMaterial,
    tLogVerify: true,
    ctLogVerify: false,
    now: layer.now,
    image,
  });
}
