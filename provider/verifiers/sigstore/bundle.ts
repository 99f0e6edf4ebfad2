import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  bundleFromJSON,
  type Bundle,
} from '@sigstore/bundle';
import { toSignedEntity, type SignedEntity } from '@sigstore/verify';

import { SignetError } from '../../errors.js';
import { toMessageContent } from './artifact.js';
import { bundleFailure, messageOf } from './bundle-failure.js';
import type { SigstoreArtifact } from './sigstore.types.js';

/** Bundles carry at most an attestation predicate (an SBOM can be large); refuse anything bigger unread. */
export const MAX_SIGSTORE_BUNDLE_BYTES = 16 * 1024 * 1024;

const SUPPORTED_MEDIA_TYPES = new Set([
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
]);

/** Parses untrusted bundle JSON (bytes or an already parsed value) into a v0.1–v0.3 bundle. */
export function parseSigstoreBundle(json: Uint8Array | string, image?: string): Bundle {
  const length = typeof json === 'string' ? Buffer.byteLength(json) : json.length;
  if (length > MAX_SIGSTORE_BUNDLE_BYTES) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      image,
      reason: `bundle: ${length} bytes exceeds the ${MAX_SIGSTORE_BUNDLE_BYTES}-byte limit`,
      details: { limit: 'sigstoreBundleBytes', size: length },
    });
  }
  let bundle: Bundle;
  try {
    const text = typeof json === 'string' ? json : Buffer.from(json).toString('utf8');
    bundle = bundleFromJSON(JSON.parse(text));
  } catch (error) {
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'bundle',
      `malformed Sigstore bundle (${messageOf(error)})`,
      image,
      error,
    );
  }
  if (!SUPPORTED_MEDIA_TYPES.has(bundle.mediaType)) {
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'bundle',
      `unsupported bundle media type ${bundle.mediaType}`,
      image,
    );
  }
  return bundle;
}

/**
 * sigstore-js's `toSignedEntity`, its signature content bound to the artifact (a message signature over a
 * digest-only artifact is checked against that digest).
 */
export function toBundleEntity(bundle: Bundle, artifact: SigstoreArtifact, image?: string): SignedEntity {
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(
      bundle,
      artifact.$case === 'payload' ? Buffer.from(artifact.payload) : Buffer.alloc(0),
    );
  } catch (error) {
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'bundle',
      `unreadable certificate or timestamp (${messageOf(error)})`,
      image,
      error,
    );
  }
  return { ...entity, signature: toMessageContent(bundle, entity, artifact, image) };
}
