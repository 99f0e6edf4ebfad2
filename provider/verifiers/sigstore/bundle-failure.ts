import { SignetError, type ErrorCode } from '../../errors.js';

/** The check that failed; it starts every reason so reports say which one. */
export type Check =
  | 'bundle'
  | 'artifact'
  | 'certificate chain'
  | 'certificate validity'
  | 'SCT'
  | 'SET'
  | 'inclusion proof'
  | 'tlog entry'
  | 'integrated time'
  | 'timestamp'
  | 'public key'
  | 'signature';

/** A failed check of a Sigstore bundle, its reason prefixed with the check's name. */
export function bundleFailure(
  code: ErrorCode,
  check: Check,
  detail: string,
  image: string | undefined,
  cause?: unknown,
  details: Record<string, string | number | boolean> = {},
): SignetError {
  return new SignetError(code, {
    stage: 'verify',
    image,
    reason: `${check}: ${detail}`,
    details: { check, ...details },
    cause,
  });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
