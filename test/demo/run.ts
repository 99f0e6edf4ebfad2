/**
 * The Quick-start demo: signet on its embedded default configuration, serving HTTPS with mTLS, asked
 * by a Gatekeeper-style client about images in a real local OCI registry; prints each verdict.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage } from '../helpers/images.js';
import { createMtlsMaterial } from '../helpers/pki.js';
import { startProvider } from '../helpers/process.js';
import { startRegistry } from '../helpers/registry.js';

function show(item: ProviderItem): string {
  const value = item.value;
  if (value === undefined) return `  ${item.key}\n    error: ${item.error ?? '(none)'}`;
  const verdict = value.isSuccess === true ? 'ALLOWED' : 'DENIED';
  const reasons = (value.verifierReports ?? []).map((r) => `    ${String(r.isSuccess) === 'true' ? 'pass' : 'fail'}: ${String(r.message)}`);
  return [`  ${item.key}`, `    verdict: ${verdict}`, ...reasons].join('\n');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'signet-demo-'));
  console.log('• starting a local OCI registry (olareg) on 127.0.0.1');
  const registry = await startRegistry({ auth: 'none' });
  let provider: Awaited<ReturnType<typeof startProvider>> | undefined;
  try {
    const unsigned = await pushImage(registry, 'demo/unsigned', 'v1');
    console.log(`• pushed an unsigned image: ${unsigned.reference} (${unsigned.digest})`);
    const pki = await createMtlsMaterial(dir);
    console.log('• starting signet serve (embedded default configuration, HTTPS + mTLS)');
    provider = await startProvider(['--tls-cert', pki.server.cert, '--tls-key', pki.server.key, '--client-ca', pki.ca.cert, '--log-level', 'warn']);
    const keys = [unsigned.reference, `${registry.host}/demo/missing:v1`];
    console.log(`• POST ${provider.url}/ratify/gatekeeper/v1/verify as Gatekeeper would, keys:\n    ${keys.join('\n    ')}`);
    const answer = await callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, keys, { ca: pki.ca.cert, client: pki.client });
    console.log(`• HTTP ${answer.status}; verdicts:`);
    for (const item of answer.body.response?.items ?? []) console.log(show(item));
    if (answer.body.response?.systemError) {
      console.log(`  systemError (not cached by Gatekeeper, retried): ${answer.body.response.systemError}`);
    }
    console.log('\nraw ProviderResponse:');
    console.log(JSON.stringify(answer.body, null, 2));
  } finally {
    await provider?.stop();
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
