import type { Certificate } from '../../../trust/index.js';
import type { SignatureAlgorithm } from './algorithms.js';

export const ENVELOPE_MEDIA_TYPES = {
  jws: 'application/jose+json',
  cose: 'application/cose',
} as const;

export type EnvelopeFormat = keyof typeof ENVELOPE_MEDIA_TYPES;

/** The only payload content type the Notary Project defines. */
export const PAYLOAD_CONTENT_TYPE = 'application/vnd.cncf.notary.payload.v1+json';

export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';

/** A signed attribute beyond the ones the specification defines. */
export interface ExtendedAttribute {
  readonly key: string | number | bigint;
  readonly critical: boolean;
  readonly value: unknown;
}

/**
 * A Notary Project signature envelope, parsed but not yet verified: the same shape for JWS and
 * COSE (notation-core-go's EnvelopeContent).
 */
export interface SignatureEnvelope {
  readonly format: EnvelopeFormat;
  readonly algorithm: SignatureAlgorithm;
  readonly contentType: string;
  readonly payload: Uint8Array;
  readonly signingScheme: SigningScheme;
  /** `io.cncf.notary.signingTime` for notary.x509, `io.cncf.notary.authenticSigningTime` for signingAuthority. */
  readonly signingTime: Date;
  readonly expiry: Date | undefined;
  readonly extendedAttributes: readonly ExtendedAttribute[];
  /** Leaf first, as carried by the envelope (`x5c` / COSE label 33). */
  readonly certificateChain: readonly Certificate[];
  readonly signature: Uint8Array;
  /** The exact bytes the signature covers (JWS signing input / COSE Sig_structure). */
  readonly signedContent: Uint8Array;
  readonly timestampToken: Uint8Array | undefined;
  readonly signingAgent: string | undefined;
}

/** The OCI descriptor of the signed artifact (payload `targetArtifact`). */
export interface TargetDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}
