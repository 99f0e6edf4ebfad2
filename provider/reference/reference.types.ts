/** A parsed, normalized image reference (distribution/reference grammar, Docker Hub normalization). */
export interface ImageReference {
  /** Registry host as used on the wire, with port if any; `docker.io` is normalized to this name. */
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
