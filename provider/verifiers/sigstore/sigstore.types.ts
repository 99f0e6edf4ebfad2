import type { KeyObject } from 'node:crypto';

import type { TrustMaterial } from '@sigstore/verify';

/** Hash algorithms an artifact digest may name (`<algorithm>:<hex>`). */
export type ArtifactDigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

/**
 * What the bundle must be bound to: the signed bytes, or only their digest (an image manifest digest,
 * where signet never holds the bytes). DSSE bundles bind through their in-toto statement's subjects.
 */
export type SigstoreArtifact =
  | { readonly $case: 'payload'; readonly payload: Uint8Array }
  | { readonly $case: 'digest'; readonly algorithm: ArtifactDigestAlgorithm; readonly digest: Uint8Array };

/**
 * Who may have signed, with cosign's flag names. Keyless bundles need one identity and one issuer
 * constraint (cosign refuses keyless verification without them); `publicKey` judges key-signed bundles.
 * Regular expressions are anchored: `user@example\.com` never matches `evil-user@example.com`.
 */
export interface SigstorePolicy {
  readonly certificateIdentity?: string;
  readonly certificateIdentityRegExp?: string;
  readonly certificateOIDCIssuer?: string;
  readonly certificateOIDCIssuerRegExp?: string;
  readonly publicKey?: KeyObject;
}

/** Trust material built once from a `trusted_root.json` (see `parseSigstoreTrustedRoot`). */
export interface SigstoreTrustMaterial {
  readonly material: TrustMaterial;
  /** Where it came from, for messages (`file path` or `inline`). */
  readonly source: string;
}

export interface SigstoreVerifyOptions {
  readonly artifact: SigstoreArtifact;
  readonly policy: SigstorePolicy;
  /** Require and verify transparency-log entries (Rekor SET / inclusion proof). */
  readonly tLogVerify: boolean;
  /** Require and verify certificate-transparency SCTs in the signing certificate. */
  readonly ctLogVerify: boolean;
  readonly trustMaterial: SigstoreTrustMaterial;
  /** Verification clock: bounds integrated times; the certificate's check time when no log is used. */
  readonly now: Date;
  /** The image the bundle is for, so errors name it. */
  readonly image?: string;
}

/** The verified signature's facts, for reports. */
export interface SigstoreSigner {
  /** Subject alternative names of the signing certificate (email, URI, DNS, IP, other names). */
  readonly subjects: readonly string[];
  /** OIDC issuer from the Fulcio extension (v2 OID, else v1). */
  readonly issuer: string | undefined;
  /** Rekor integrated time of the first verified entry with an inclusion promise. */
  readonly integratedTime: Date | undefined;
  readonly logIndex: string | undefined;
  /** Every verified signing time (Rekor integrated times and RFC 3161 times). */
  readonly verifiedTimes: readonly Date[];
  readonly keySource: 'certificate' | 'public-key';
  /** The DSSE payload (an in-toto statement) for attestation checks; absent for message signatures. */
  readonly dsse: { readonly payloadType: string; readonly payload: Uint8Array } | undefined;
}
