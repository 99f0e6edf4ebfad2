/**
 * The Quick-start demo: signet on its embedded default configuration, serving HTTPS with mTLS, asked
 * by a Gatekeeper-style client about images in a real local OCI registry — one signed with the real
 * notation CLI, one unsigned, one missing; prints each verdict.
 *
 * The embedded default trusts the certificates in /etc/signet/truststore/notation. The demo keeps
 * every other setting of it and only points that trust store at the demo's own signing certificate.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_URL } from '../../provider/config/index.js';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage } from '../helpers/images.js';
import { createNotationSigner } from '../helpers/notation.js';
import { createMtlsMaterial, mtlsServeArgs } from '../helpers/pki.js';
import { startProvider } from '../helpers/process.js';
import { startRegistry } from '../helpers/registry.js';

function show(item: ProviderItem): string {
  const value = item.value;
  if (value === undefined) return `  ${item.key}\n    error: ${item.error ?? '(none)'}`;
  const verdict = value.isSuccess === true ? 'ALLOWED' : 'DENIED';
  const reasons = (value.verifierReports ?? []).map(
    (r) => `    ${String(r.isSuccess) === 'true' ? 'pass' : 'fail'}: ${String(r.message)}`,
  );
  return [`  ${item.key}`, `    verdict: ${verdict}`, ...reasons].join('\n');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'signet-demo-'));
  console.log('• starting a local OCI registry (olareg) on 127.0.0.1');
  const registry = await startRegistry({ auth: 'none' });
  let provider: Awaited<ReturnType<typeof startProvider>> | undefined;
  try {
    const signed = await pushImage(registry, 'demo/signed', 'v1');
    const signer = await createNotationSigner(join(dir, 'notation'), 'signet-demo');
    await signer.sign(`${registry.host}/demo/signed@${signed.digest}`);
    console.log(
      `• pushed ${signed.reference} and signed it with notation (key signet-demo, JWS, OCI referrers API)`,
    );
    const unsigned = await pushImage(registry, 'demo/unsigned', 'v1');
    console.log(`• pushed an unsigned image: ${unsigned.reference}`);
    const trustDir = join(dir, 'truststore');
    await mkdir(trustDir);
    await copyFile(signer.certificatePath, join(trustDir, 'signet-demo.crt'));
    const configPath = join(dir, 'config.yaml');
    const defaults = await readFile(DEFAULT_CONFIG_URL, 'utf8');
    await writeFile(configPath, defaults.replaceAll('/etc/signet/truststore/notation', trustDir));
    const pki = await createMtlsMaterial(dir);
    console.log(
      `• starting signet serve (embedded default configuration, trust store ${trustDir}, HTTPS + mTLS)`,
    );
    provider = await startProvider(['--config', configPath, ...mtlsServeArgs(pki), '--log-level', 'warn']);
    const keys = [signed.reference, unsigned.reference, `${registry.host}/demo/missing:v1`];
    console.log(
      `• POST ${provider.url}/ratify/gatekeeper/v1/verify as Gatekeeper would, keys:\n    ${keys.join('\n    ')}`,
    );
    const answer = await callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, keys, {
      ca: pki.ca.cert,
      client: pki.client,
    });
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
