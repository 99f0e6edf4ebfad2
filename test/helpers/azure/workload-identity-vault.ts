// The loopback Key Vault (test/helpers/azure/azure-emulator.ts) as signet reaches it with Azure Workload Identity:
// a test CA for the emulator's TLS (given to signet as NODE_EXTRA_CA_CERTS), the projected service-account token
// file Entra ID accepts as client assertion, and the AZURE_* environment the workload identity webhook injects.
// Shared by the `signet serve` integration test and the cluster (e2e) test of the azurekeyvault provider.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCa, issue } from '../pki.js';
import { seedPath } from '../seeds.js';
import { azureKeyVaultProvider, startAzureEmulator, type AzureEmulator } from './azure-emulator.js';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT = '00000000-1111-2222-3333-444444444444';
const FEDERATED_TOKEN = 'federated-token-1';

export interface WorkloadIdentityVault {
  readonly emulator: AzureEmulator;
  /** The test CA that issued the emulator's serving certificate. */
  readonly caPath: string;
  /** What signet runs with: NODE_EXTRA_CA_CERTS and Azure Workload Identity's variables. */
  readonly env: Readonly<Record<string, string>>;
  /** A KeyManagementProvider's `parameters` for this vault (`vaultURI`, `tenantID`, `clientID`, …). */
  vault(parameters: {
    readonly certificates?: readonly { readonly name: string; readonly version?: string }[];
    readonly keys?: readonly { readonly name: string; readonly version?: string }[];
  }): {
    vaultURI: string;
    tenantID: string;
    clientID: string;
    certificates?: readonly { readonly name: string; readonly version?: string }[];
    keys?: readonly { readonly name: string; readonly version?: string }[];
  };
  close(): Promise<void>;
}

/** Starts the emulator with its CA and token file under `dir` (which the caller removes). */
export async function startWorkloadIdentityVault(dir: string): Promise<WorkloadIdentityVault> {
  const ca = await createCa(dir, 'azure-emulator-ca');
  const serving = await issue(dir, ca, 'azure-emulator', 'serverAuth');
  const tokenFile = join(dir, 'azure-identity-token');
  await writeFile(tokenFile, `${FEDERATED_TOKEN}\n`);
  const emulator = await startAzureEmulator({
    tls: serving,
    tenantId: TENANT,
    clientId: CLIENT,
    federatedToken: FEDERATED_TOKEN,
  });
  return {
    emulator,
    caPath: ca.cert,
    env: {
      NODE_EXTRA_CA_CERTS: ca.cert,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_TENANT_ID: TENANT,
      AZURE_AUTHORITY_HOST: emulator.url,
    },
    vault: (parameters) => ({
      vaultURI: `${emulator.url}/`,
      tenantID: TENANT,
      clientID: CLIENT,
      ...parameters,
    }),
    close: () => emulator.close(),
  };
}

/**
 * test/seeds/verify-config-kmp.yaml with its inline KeyManagementProvider replaced by an `azurekeyvault` one named
 * `certstore-akv` in the same role (the seed's Store and notation Verifier, the Verifier trusting `certstore-akv`).
 */
export async function seedConfigWithVault(
  identity: Pick<WorkloadIdentityVault, 'vault'>,
  certificates: readonly { readonly name: string; readonly version?: string }[],
  refreshInterval: string,
): Promise<string> {
  const seed = await readFile(seedPath('verify-config-kmp.yaml'), 'utf8');
  const [, ...rest] = seed.split(/^---$/m);
  return (
    azureKeyVaultProvider('certstore-akv', identity.vault({ certificates }), refreshInterval) +
    rest
      .join('---')
      .replace(/certstore-inline/g, 'certstore-akv')
      .replace(/^\n/, '')
  );
}
