// Asserts what a provider configured by notationAndCosignConfig (ratify-config.ts) answers: every signed key passes
// with both verifiers' reports successful, the unsigned key is denied as `signature not found`.
import { expect } from '@jest/globals';
import { callProviderForKey } from './gatekeeper-client.js';

export async function expectBothVerifiersAnswer(
  verifyUrl: string,
  signedKeys: readonly string[],
  unsignedKey: string,
): Promise<void> {
  for (const key of signedKeys) {
    const item = await callProviderForKey(verifyUrl, key);
    const reports = (item.value?.verifierReports ?? []) as { name?: string; isSuccess?: boolean }[];
    expect({
      key,
      isSuccess: item.value?.isSuccess,
      error: item.error,
      reports: reports.map((r) => [r.name, r.isSuccess]).sort(),
    }).toEqual({
      key,
      isSuccess: true,
      error: undefined,
      reports: [
        ['cosign', true],
        ['notation', true],
      ],
    });
  }
  const denied = await callProviderForKey(verifyUrl, unsignedKey);
  expect(denied.value?.isSuccess).toBe(false);
  const messages = ((denied.value?.verifierReports ?? []) as { message?: string }[]).map((r) => r.message);
  expect(messages).toContain(`image verification failed for ${unsignedKey}: signature not found`);
}
