/** One responder's (OCSP URL's or CRL distribution point's) answer about one certificate. */
export interface ServerResult {
  readonly status: 'ok' | 'revoked' | 'unknown';
  /** Why, for messages: the responder's error or the revocation time. */
  readonly detail?: string;
  /** Until when the answer may be reused (the response's or CRL's nextUpdate). */
  readonly validUntil?: Date;
}

export interface FetchLimits {
  /** Milliseconds per HTTP exchange; the caller's AbortSignal still bounds the whole check. */
  readonly timeoutMs: number;
  readonly maxOcspResponseBytes: number;
  readonly maxCrlBytes: number;
}
