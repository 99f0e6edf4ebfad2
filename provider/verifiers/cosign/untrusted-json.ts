import { SignetError } from '../../errors.js';

/** A JSON object (not an array or null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Signature bytes from a registry → JSON value, or SIGNATURE_INVALID naming `what` they were meant to be. */
export function parseUntrustedJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new SignetError('SIGNATURE_INVALID', {
      stage: 'verify',
      reason: `${what} is not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}
