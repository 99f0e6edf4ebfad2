/**
 * The one property every fuzz target checks: for any input, the parser returns a value or throws the error
 * type it documents (a SignetError, or for the low-level readers the error their callers turn into one).
 * Anything else escapes to the fuzzer as a finding.
 */
import { SignetError } from '../../../provider/errors.js';

/** Inputs beyond this are cut: every parser is fed bounded input (callers check sizes first). */
export const MAX_INPUT_BYTES = 64 * 1024;

type ErrorClass = abstract new (...args: never[]) => Error;

export function bounded(data: Uint8Array): Uint8Array {
  return data.length > MAX_INPUT_BYTES ? data.subarray(0, MAX_INPUT_BYTES) : data;
}

export function text(data: Uint8Array): string {
  return Buffer.from(bounded(data)).toString('utf8');
}

export class PropertyViolation extends Error {
  constructor(target: string, cause: unknown) {
    const description =
      cause instanceof Error ? `${cause.name}: ${cause.message}\n${cause.stack ?? ''}` : String(cause);
    super(`${target}: threw something other than its documented error: ${description}`, { cause });
    this.name = 'PropertyViolation';
  }
}

/** Runs `parse`; rethrows (as PropertyViolation) anything that is not one of `allowed` (default SignetError). */
export function expectOnly(
  target: string,
  parse: () => unknown,
  allowed: readonly ErrorClass[] = [SignetError],
): void {
  try {
    parse();
  } catch (error) {
    if (allowed.some((type) => error instanceof type)) return;
    throw new PropertyViolation(target, error);
  }
}
