import type { Stage } from '../errors.js';
import type { ImageReference } from '../reference/index.js';
import type { CredentialProvider } from './auth/credentials.js';
import type { RegistryLimits } from './limits.js';
import type { RetryPolicy } from './retry.js';

export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly osVersion?: string;
}

/** An OCI content descriptor, validated (digest syntax, non-negative integer size). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
}

/** An OCI image manifest or Docker v2 schema 2 manifest (artifacts included). */
export interface ImageManifest {
  readonly $case: 'image';
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An OCI image index or Docker manifest list (also the shape of a referrers response). */
export interface ImageIndex {
  readonly $case: 'index';
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export type Manifest = ImageManifest | ImageIndex;

/** A manifest fetched and verified: `descriptor.digest` is computed from `bytes`. */
export interface FetchedManifest {
  /** The repository pinned to the manifest's digest. */
  readonly reference: ImageReference;
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
  readonly manifest: Manifest;
}

export interface ReferrersListing {
  /** `referrersApi`: the registry's referrers API; `tagSchema`: the `sha256-<hex>` fallback index. */
  readonly source: 'referrersApi' | 'tagSchema';
  /** Referrer descriptors, filtered by the requested artifact types. */
  readonly descriptors: readonly Descriptor[];
}

export interface RegistryCallOptions {
  /** Aborts everything the call does; an abort surfaces as TIMEOUT. */
  readonly signal: AbortSignal;
  /** Epoch ms by which the caller's signal will abort: retries that could not finish before it are skipped. */
  readonly deadline?: number;
  /** Stage named in errors (default: `discover`, `resolve` for `resolveDigest`). */
  readonly stage?: Stage;
}

export interface ManifestCallOptions extends RegistryCallOptions {
  /** Acceptable media types (default: OCI and Docker manifests and indexes). */
  readonly accept?: readonly string[];
  /** The size a descriptor promised: checked before reading and against the bytes. */
  readonly expectedSize?: number;
}

export interface BlobCallOptions extends RegistryCallOptions {
  /** Which limit bounds this blob (default `blobBytes`; notation envelopes use `notationEnvelopeBytes`). */
  readonly limit?: 'blobBytes' | 'notationEnvelopeBytes';
}

export interface ReferrersCallOptions extends RegistryCallOptions {
  /** Keep only referrers of these artifact types (server-side filter when exactly one). */
  readonly artifactTypes?: readonly string[];
}

export interface RegistryRequestEvent {
  readonly host: string;
  readonly method: string;
  readonly status: number | 'error';
  readonly durationMs: number;
}

export interface RegistryClientOptions {
  readonly credentials?: CredentialProvider;
  /** Registries (as named in references, `host[:port]`) spoken to over plain HTTP. Default: none. */
  readonly isInsecure?: (registry: string) => boolean;
  /** Extra PEM CA certificates trusted besides the system roots. */
  readonly caBundle?: string;
  readonly limits?: Partial<RegistryLimits>;
  readonly retry?: Partial<RetryPolicy>;
  /** The ceiling of the adaptive concurrency per registry host (default 128; it starts at 16 or this if lower). */
  readonly maxConcurrencyPerHost?: number;
  /** One HTTP exchange, body included (default 5000 ms). */
  readonly requestTimeoutMs?: number;
  readonly userAgent?: string;
  /** Called after every HTTP exchange (token endpoints included), for metrics. */
  readonly onRequest?: (event: RegistryRequestEvent) => void;
  /** Waits before a retry (backoff, Retry-After); rejects when `signal` aborts. Injectable for tests. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface RegistryClient {
  readonly limits: RegistryLimits;
  /** Fetches a manifest by tag or digest; always digest-verified (computed from the bytes). */
  getManifest(reference: ImageReference, options: ManifestCallOptions): Promise<FetchedManifest>;
  /**
   * The digest a tag points at, from a HEAD (GET when HEAD gives none). A HEAD digest is the
   * registry's claim: it names content that is verified when fetched by that digest.
   */
  resolveDigest(reference: ImageReference, options: RegistryCallOptions): Promise<Descriptor>;
  /** Fetches a blob of `repository`, verified against the descriptor's digest and size. */
  getBlob(repository: ImageReference, descriptor: Descriptor, options: BlobCallOptions): Promise<Uint8Array>;
  /** Referrers of `subject` (which must carry a digest): referrers API, else the tag-schema index. */
  listReferrers(subject: ImageReference, options: ReferrersCallOptions): Promise<ReferrersListing>;
  /** Releases pooled connections. */
  close(): void;
}
