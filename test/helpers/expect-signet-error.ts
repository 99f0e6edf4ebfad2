// Asserts that a promise rejects with a SignetError of the given code, showing anything else in full.
import { expect } from '@jest/globals';
import { SignetError, type ErrorCode } from '../../provider/errors.js';

export async function expectSignetError(promise: Promise<unknown>, code: ErrorCode): Promise<SignetError> {
  let outcome: unknown;
  try {
    await promise;
    outcome = 'resolved';
  } catch (error) {
    outcome = error;
  }
  if (!(outcome instanceof SignetError)) {
    throw new Error(
      `expected SignetError ${code}, got ${outcome instanceof Error ? (outcome.stack ?? outcome.message) : String(outcome)}`,
    );
  }
  expect(`${outcome.code}: ${outcome.message}`).toMatch(new RegExp(`^${code}: `));
  return outcome;
}
