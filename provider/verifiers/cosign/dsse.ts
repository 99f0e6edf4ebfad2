import { dsse } from '@sigstore/core';
import type { CosignDigestAlgorithm } from '../../config/index.js';
import { SignetError } from '../../errors.js';
import { verifyCosignSignature, type CosignPublicKey } from './keys.js';
import { isJsonObject, parseUntrustedJson } from './untrusted-json.js';

/** Media type of a `.att` layer: the DSSE envelope `cosign attest` writes. */
export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
/** An attestation envelope larger than this (SBOMs included) is refused before it is fetched. */
export const MAX_DSSE_ENVELOPE_BYTES = 16 * 1024 * 1024;
/** Signatures judged in one envelope at most. */
const MAX_DSSE_SIGNATURES = 16;

/** A DSSE envelope: the payload its signatures cover, with its type. */
export interface DsseEnvelope {
  readonly payloadType: string;
  readonly payload: Uint8Array;
  readonly signatures: readonly Uint8Array[];
}

function invalid(reason: string): SignetError {
  return new SignetError('SIGNATURE_INVALID', { stage: 'verify', reason });
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** DSSE fields are standard base64 (protobuf's JSON mapping also accepts the URL-safe alphabet). */
function decodeBase64(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw invalid(`DSSE envelope has no ${what} string`);
  if (!BASE64.test(value) && !BASE64URL.test(value))
    throw invalid(`DSSE envelope ${what} is not valid base64`);
  return Buffer.from(value, BASE64.test(value) ? 'base64' : 'base64url');
}

/** A DSSE envelope as JSON (a `.att` layer, or a bundle's `dsseEnvelope`) → typed value or SIGNATURE_INVALID. */
export function toDsseEnvelope(document: unknown): DsseEnvelope {
  if (!isJsonObject(document)) throw invalid('DSSE envelope is not a JSON object');
  const { payloadType, signatures } = document;
  if (typeof payloadType !== 'string') throw invalid('DSSE envelope has no payloadType string');
  if (!Array.isArray(signatures) || signatures.length === 0) throw invalid('DSSE envelope has no signatures');
  if (signatures.length > MAX_DSSE_SIGNATURES) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      reason: `DSSE envelope has ${signatures.length} signatures, more than ${MAX_DSSE_SIGNATURES}`,
      details: { limit: 'dsseSignatures', value: MAX_DSSE_SIGNATURES },
    });
  }
  return {
    payloadType,
    payload: decodeBase64(document.payload, 'payload'),
    signatures: signatures.map((signature: unknown) =>
      decodeBase64(isJsonObject(signature) ? signature.sig : undefined, 'signature'),
    ),
  };
}

/** The bytes of a `.att` layer → DSSE envelope or SIGNATURE_INVALID. */
export function parseDsseEnvelope(bytes: Uint8Array): DsseEnvelope {
  const document = parseUntrustedJson(bytes, 'DSSE envelope');
  return toDsseEnvelope(document);
}

/** The first key with a valid signature over the envelope's pre-authentication encoding (PAE), if any. */
export function findDsseSigner(
  envelope: DsseEnvelope,
  keys: readonly CosignPublicKey[],
  hash: CosignDigestAlgorithm,
): CosignPublicKey | undefined {
  const signed = dsse.preAuthEncoding(envelope.payloadType, Buffer.from(envelope.payload));
  return keys.find((key) =>
    envelope.signatures.some((signature) => verifyCosignSignature(key, signed, signature, hash)),
  );
}
