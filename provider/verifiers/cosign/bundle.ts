import { bundleFromJSON } from '@sigstore/bundle';
import { SignetError } from '../../errors.js';
import { toDsseEnvelope, type DsseEnvelope } from './dsse.js';
import { isJsonObject, parseUntrustedJson } from './untrusted-json.js';

/** Media types of Sigstore bundles (v0.1–v0.3); cosign v3 attaches v0.3 bundles as OCI referrers. */
export const SIGSTORE_BUNDLE_MEDIA_TYPES: readonly string[] = [
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
];
/** A bundle larger than this (attestations with SBOMs included) is refused before it is fetched. */
export const MAX_SIGSTORE_BUNDLE_BYTES = 16 * 1024 * 1024;

/** What key-based verification needs of a bundle: its DSSE envelope and whether it carries log entries. */
export interface KeyedSigstoreBundle {
  readonly mediaType: string;
  readonly envelope: DsseEnvelope;
  /** `publicKey` (a key hint), `certificate` or `x509CertificateChain`. */
  readonly verificationMaterial: string;
  readonly tlogEntries: number;
}

function invalid(reason: string): SignetError {
  return new SignetError('SIGNATURE_INVALID', { stage: 'verify', reason });
}

/**
 * A Sigstore bundle (untrusted bytes) → its DSSE envelope, or SIGNATURE_INVALID. Parsing and shape checks are
 * `@sigstore/bundle`'s; a message-signature bundle is refused because cosign signs and attests images with DSSE.
 */
export function parseSigstoreBundle(bytes: Uint8Array): KeyedSigstoreBundle {
  const document = parseUntrustedJson(bytes, 'Sigstore bundle');
  let bundle: ReturnType<typeof bundleFromJSON>;
  try {
    bundle = bundleFromJSON(document);
  } catch (error) {
    throw invalid(`Sigstore bundle is malformed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!SIGSTORE_BUNDLE_MEDIA_TYPES.includes(bundle.mediaType))
    throw invalid(`Sigstore bundle media type ${JSON.stringify(bundle.mediaType)} is not supported`);
  if (bundle.content.$case !== 'dsseEnvelope')
    throw invalid(
      'Sigstore bundle holds a message signature, not the DSSE envelope cosign signs images with',
    );
  return {
    mediaType: bundle.mediaType,
    // From the JSON itself: protobuf's base64 decoding skips characters that are not base64, and a corrupt
    // signature must fail rather than decode to something else.
    envelope: toDsseEnvelope(isJsonObject(document) ? document.dsseEnvelope : undefined),
    verificationMaterial: bundle.verificationMaterial.content.$case,
    tlogEntries: bundle.verificationMaterial.tlogEntries.length,
  };
}
