import type { ImageReference } from '../reference/index.js';
import type { Descriptor, FetchedManifest, Platform, RegistryCallOptions } from '../registry/index.js';

/** A signature artifact found for a subject, its manifest fetched and digest-verified. */
export type SignatureArtifact =
  | {
      /** Listed by the referrers API or the tag-schema index; its manifest's `subject` is the subject. */
      readonly $case: 'referrer';
      readonly descriptor: Descriptor;
      readonly manifest: FetchedManifest;
      readonly artifactType: string;
    }
  | {
      /** cosign's `sha256-<hex>.sig` (or `.att`) tag in the subject's repository. */
      readonly $case: 'cosignTag';
      readonly descriptor: Descriptor;
      readonly manifest: FetchedManifest;
      readonly artifactType: string;
    };

export interface Discovery {
  /** The subject, digest-pinned. */
  readonly subject: ImageReference;
  readonly artifacts: readonly SignatureArtifact[];
  /** Where referrers came from: the registry's API or the `sha256-<hex>` tag-schema fallback. */
  readonly referrersSource: 'referrersApi' | 'tagSchema';
}

export interface DiscoverOptions extends RegistryCallOptions {
  /** Referrer artifact types to look for, e.g. notation's and the sigstore bundle's. */
  readonly artifactTypes: readonly string[];
  /** Also look for cosign's `.sig` tag (default: when `artifactTypes` includes cosign's signature type). */
  readonly cosignTag?: boolean;
  /** Also look for cosign's `.att` tag (default: when `artifactTypes` includes cosign's attestation type). */
  readonly cosignAttestationTag?: boolean;
  /**
   * Which artifact types someone will judge (default: all that are looked for). Others are neither fetched,
   * counted nor returned.
   */
  readonly isWanted?: (artifactType: string) => boolean;
  /**
   * Most wanted artifacts per subject. A referrers listing (or tag-schema index) naming more is LIMIT_EXCEEDED
   * before any of their manifests is fetched, so a subject with many referrers costs one listing, not one fetch each.
   */
  readonly maxArtifacts?: number;
}

export interface ResolveOptions extends RegistryCallOptions {
  /** Also resolve this platform's image manifest when the subject is an index. */
  readonly platform?: Platform;
}

/** What a reference names, pinned to the digest signatures attach to. */
export interface ResolvedSubject {
  /** Digest-pinned: the digest of what the user referenced (for a multi-arch tag, the index). */
  readonly reference: ImageReference;
  readonly manifest: FetchedManifest;
  readonly isIndex: boolean;
  /** The platform's image manifest, when a platform was asked for and the subject is an index. */
  readonly platformManifest?: FetchedManifest;
}
