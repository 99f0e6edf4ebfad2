// The layers of a cosign signature manifest (`.sig`/`.att`) and their base64 signature annotation, read
// with the same bounds by every verifier that judges cosign-format signatures (cosign, kritis attestor).
import { SignetError } from '../../errors.js';
import type { Descriptor } from '../../registry/index.js';
import type { ArtifactVerifyInput } from '../verifier.types.js';

export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** Signatures (layers) judged in one signature manifest at most; cosign appends one per `cosign sign`. */
export const MAX_SIGNATURE_LAYERS = 128;
/** A base64 signature longer than this is not an ECDSA, RSA (≤ 8192 bits) or Ed25519 signature. */
const MAX_SIGNATURE_BASE64_CHARS = 4096;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function invalid(reason: string): SignetError {
  return new SignetError('SIGNATURE_INVALID', { stage: 'verify', reason });
}

/** The signature layers of the artifact's manifest: an image manifest with 1 to MAX_SIGNATURE_LAYERS layers. */
export function cosignSignatureLayers(input: ArtifactVerifyInput): readonly Descriptor[] {
  const manifest = input.artifact.manifest.manifest;
  if (manifest.$case !== 'image')
    throw invalid(
      `signature ${input.artifact.descriptor.digest} is an index, not a cosign signature manifest`,
    );
  if (manifest.layers.length === 0)
    throw invalid(`signature ${input.artifact.descriptor.digest} has no signature layers`);
  if (manifest.layers.length > MAX_SIGNATURE_LAYERS) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      reason: `signature ${input.artifact.descriptor.digest} has ${manifest.layers.length} layers, more than ${MAX_SIGNATURE_LAYERS}`,
      details: { limit: 'cosignSignatureLayers', value: MAX_SIGNATURE_LAYERS },
    });
  }
  return manifest.layers;
}

/** The layer's signature bytes from its bounded, strictly base64 annotation. */
export function decodeCosignSignature(layer: Descriptor): Uint8Array {
  const encoded = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
  if (encoded === undefined || encoded === '')
    throw invalid(`layer has no ${COSIGN_SIGNATURE_ANNOTATION} annotation`);
  if (encoded.length > MAX_SIGNATURE_BASE64_CHARS)
    throw invalid(`signature annotation is longer than ${MAX_SIGNATURE_BASE64_CHARS} characters`);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0)
    throw invalid('signature annotation is not valid base64');
  return Buffer.from(encoded, 'base64');
}
