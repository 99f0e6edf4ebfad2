import type { ImageResult } from '../verdict/index.js';

export interface VerifyContext {
  readonly signal: AbortSignal;
  /** Epoch ms at which `signal` aborts, when known: registry retries that could not finish by then are skipped. */
  readonly deadline?: number;
  readonly traceId: string;
}

/** What the server needs from the pipeline; the pipeline implements it, tests may stub it. */
export interface ImagePipeline {
  /** Verify one key (`image` or `[namespace]image`). Never throws: failures are in the result. */
  verify(key: string, context: VerifyContext): Promise<ImageResult>;
  /** Resolve a key to its digest-pinned reference (`registry/repo@sha256:…`). Throws SignetError. */
  resolveDigest(key: string, context: VerifyContext): Promise<string>;
}
