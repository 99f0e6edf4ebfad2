import { SignetError } from '../../../errors.js';
import { findChainProblem } from '../chain.js';
import { algorithmForCertificate, verifyRawSignature } from './algorithms.js';
import { parseCoseEnvelope } from './cose.js';
import { invalidSignature } from './envelope-common.js';
import {
  ENVELOPE_MEDIA_TYPES,
  PAYLOAD_CONTENT_TYPE,
  type SignatureEnvelope,
  type TargetDescriptor,
} from './envelope.types.js';
import { parseJwsEnvelope } from './jws.js';

export { MAX_CERTIFICATE_CHAIN_LENGTH, MAX_ENVELOPE_BYTES } from './envelope-common.js';
export { type SignatureAlgorithm } from './algorithms.js';
export {
  ENVELOPE_MEDIA_TYPES,
  PAYLOAD_CONTENT_TYPE,
  type EnvelopeFormat,
  type ExtendedAttribute,
  type SignatureEnvelope,
  type SigningScheme,
  type TargetDescriptor,
} from './envelope.types.js';

/** Parses envelope bytes by the signature layer's media type; anything malformed is SIGNATURE_INVALID. */
export function parseNotationEnvelope(mediaType: string, bytes: Uint8Array): SignatureEnvelope {
  try {
    switch (mediaType) {
      case ENVELOPE_MEDIA_TYPES.jws:
        return parseJwsEnvelope(bytes);
      case ENVELOPE_MEDIA_TYPES.cose:
        return parseCoseEnvelope(bytes);
      default:
        throw invalidSignature(
          `unable to parse the digital signature, error : signature envelope format with media type "${mediaType}" is not supported`,
        );
    }
  } catch (error) {
    if (error instanceof SignetError) throw error;
    // Parsers reject everything they understand; anything else is still a bad envelope, not a crash.
    throw invalidSignature(
      `unable to parse the digital signature, error : ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
}

/**
 * The checks notation's integrity validation makes after parsing: the signing key dictates the
 * algorithm, the signature verifies over the signed content, the certificate chain meets the
 * Notary Project certificate requirements, the payload content type is supported, and no critical
 * attribute is left that signet does not understand (verification plugins included).
 */
export function verifyEnvelopeIntegrity(envelope: SignatureEnvelope): void {
  const leaf = envelope.certificateChain[0];
  if (leaf === undefined) throw invalidSignature('certificate chain is not present');
  const expected = algorithmForCertificate(leaf);
  if (typeof expected !== 'string') throw invalidSignature(expected.problem);
  if (expected !== envelope.algorithm) {
    throw invalidSignature(
      `mismatch between signature algorithm derived from signing certificate (${expected}) and signing algorithm specified (${envelope.algorithm})`,
    );
  }
  let verified: boolean;
  try {
    verified = verifyRawSignature(envelope.algorithm, leaf, envelope.signedContent, envelope.signature);
  } catch (error) {
    throw invalidSignature(
      `signature is invalid. Error: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  if (!verified)
    throw invalidSignature(
      'signature is invalid. Error: the signature does not verify with the signing certificate key',
    );

  const chainProblem = findChainProblem(envelope.certificateChain, 'codeSigning');
  if (chainProblem !== undefined) throw invalidSignature(`certificate-chain is invalid, ${chainProblem}`);

  if (envelope.contentType !== PAYLOAD_CONTENT_TYPE) {
    throw invalidSignature(`payload content type ${JSON.stringify(envelope.contentType)} not supported`);
  }
  const critical = envelope.extendedAttributes.filter((attribute) => attribute.critical);
  const plugin = critical.find((attribute) => attribute.key === 'io.cncf.notary.verificationPlugin');
  if (plugin !== undefined) {
    throw invalidSignature(
      `digital signature requires verification plugin ${JSON.stringify(String(plugin.value))}, and signet does not run verification plugins`,
    );
  }
  const unknown = critical[0];
  if (unknown !== undefined)
    throw invalidSignature(`unsupported critical header ${JSON.stringify(String(unknown.key))}`);
}

/** The payload's `targetArtifact`, which must describe the verified subject. */
export function parseTargetDescriptor(envelope: SignatureEnvelope): TargetDescriptor {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(envelope.payload).toString('utf8'));
  } catch (error) {
    throw invalidSignature(
      `the signature payload is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  const target =
    typeof payload === 'object' && payload !== null
      ? (payload as { targetArtifact?: unknown }).targetArtifact
      : undefined;
  if (typeof target !== 'object' || target === null)
    throw invalidSignature('the signature payload has no targetArtifact');
  const { mediaType, digest, size, annotations } = target as Record<string, unknown>;
  if (
    typeof mediaType !== 'string' ||
    typeof digest !== 'string' ||
    typeof size !== 'number' ||
    !Number.isSafeInteger(size)
  ) {
    throw invalidSignature(
      'the signature payload targetArtifact needs mediaType, digest and an integer size',
    );
  }
  if (annotations !== undefined && !isStringRecord(annotations))
    throw invalidSignature('targetArtifact annotations must be strings');
  return annotations === undefined ? { mediaType, digest, size } : { mediaType, digest, size, annotations };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
