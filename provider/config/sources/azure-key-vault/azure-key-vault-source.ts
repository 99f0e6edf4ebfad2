import type { Agent } from 'node:http';
import { createAzureCredential, type AzureIdentityEnvironment } from '../../../registry/index.js';
import type { ConfigResource } from '../../config.types.js';
import { createKeyVaultFetcher } from './fetch-key-vault.js';
import {
  createKeyVaultMaterialSource,
  type KeyVaultMaterialSource,
  type KeyVaultMaterialSourceOptions,
} from './key-vault-material.js';

export interface AzureKeyVaultSourceOptions {
  readonly log?: KeyVaultMaterialSourceOptions['log'];
  /** Default: process.env (Azure Workload Identity's AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, ...). */
  readonly environment?: AzureIdentityEnvironment;
  /** A Node agent for Entra ID and vault requests; default Node's, which honours NODE_EXTRA_CA_CERTS. */
  readonly agent?: Agent;
}

/**
 * Key Vault material as Ratify fetches it: workload identity from the pod's environment, a provider's `clientID`
 * (and `tenantID`, `cloudName`) overriding it.
 */
export function createAzureKeyVaultSource(options: AzureKeyVaultSourceOptions = {}): KeyVaultMaterialSource {
  const identity = {
    ...(options.environment === undefined ? {} : { environment: options.environment }),
    ...(options.agent === undefined ? {} : { agent: options.agent }),
  };
  return createKeyVaultMaterialSource({
    fetcher: createKeyVaultFetcher({
      ...(options.agent === undefined ? {} : { agent: options.agent }),
      credentialFor: (vault, owner) =>
        createAzureCredential(
          {
            identity: 'workload',
            clientId: vault.clientID,
            tenantId: vault.tenantID,
            cloudName: vault.cloudName,
            owner,
          },
          identity,
        ),
    }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}

/** The resources with their Key Vault providers' material fetched and in place (what a snapshot is built from). */
export async function withKeyVaultMaterial(
  resources: readonly ConfigResource[],
  keyVault: KeyVaultMaterialSource,
): Promise<ConfigResource[]> {
  await keyVault.prepare(
    resources.flatMap((resource) => (resource.$case === 'keyProvider' ? [resource] : [])),
  );
  return resources.map((resource) =>
    resource.$case === 'keyProvider' ? keyVault.apply(resource) : resource,
  );
}
