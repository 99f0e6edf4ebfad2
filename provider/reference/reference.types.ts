/** A parsed, normalized image reference (distribution/reference grammar, Docker Hub normalization). */
export interface ImageReference {
  /**
   * Registry name with port if any; Docker Hub and its aliases are normalized to `docker.io`.
   * The host to connect to is `toRegistryHost(registry)` (`registry-1.docker.io` for Docker Hub).
   */
  readonly registry: string;
  /** Repository path, e.g. `library/alpine`. */
  readonly repository: string;
  readonly tag: string | undefined;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  readonly digest: string | undefined;
  /** The reference exactly as given (without any `[namespace]` key prefix). */
  readonly original: string;
  /** Fully qualified, e.g. `docker.io/library/alpine:3.11` or `…@sha256:…`. */
  readonly normalized: string;
}

/** A Gatekeeper key: an image reference, optionally prefixed with `[namespace]`. */
export interface ImageKey {
  readonly key: string;
  readonly namespace: string | undefined;
  readonly reference: ImageReference;
}
