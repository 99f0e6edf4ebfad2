// Asserts what a provider configured by notationAndCosignConfig (ratify-config.ts) answers: every signed key passes
// with both verifiers' reports successful, the unsigned key is denied as `signature not found`. A failure carries
// the provider's output.
import { expect } from '@jest/globals';
import { callProviderForKey } from './gatekeeper-client.js';
import type { StartedProvider } from './process.js';

export async function expectBothVerifiersAnswer(
  provider: Pick<StartedProvider, 'url' | 'output'>,
  signedKeys: readonly string[],
  unsignedKey: string,
): Promise<void> {
  try {
    await expectAnswers(`${provider.url}/ratify/gatekeeper/v1/verify`, signedKeys, unsignedKey);
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\nsignet:\n${provider.output()}`,
    );
  }
}

async function expectAnswers(
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
