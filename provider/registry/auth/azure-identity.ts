import type { Agent } from 'node:http';
import type { TokenCredential } from '@azure/identity';
import { SignetError } from '../../errors.js';

/** Entra ID authority hosts of Ratify's `cloudName` values (Go azcore's cloud configurations). */
const AUTHORITY_HOSTS: Readonly<Record<string, string>> = {
  azurepubliccloud: 'https://login.microsoftonline.com',
  azurecloud: 'https://login.microsoftonline.com',
  azurechinacloud: 'https://login.chinacloudapi.cn',
  azureusgovernmentcloud: 'https://login.microsoftonline.us',
  azureusgovernment: 'https://login.microsoftonline.us',
};
const KNOWN_AUTHORITY_HOSTS = new Set(Object.values(AUTHORITY_HOSTS).map((url) => new URL(url).host));

/** The environment Azure Workload Identity's webhook gives a pod (and managed identity's client id). */
export interface AzureIdentityEnvironment {
  readonly AZURE_FEDERATED_TOKEN_FILE?: string | undefined;
  readonly AZURE_CLIENT_ID?: string | undefined;
  readonly AZURE_TENANT_ID?: string | undefined;
  readonly AZURE_AUTHORITY_HOST?: string | undefined;
}

export interface AzureCredentialRequest {
  /** `azureWorkloadIdentity`: a federated service-account token; `azureManagedIdentity`: the IMDS endpoint. */
  readonly identity: 'workload' | 'managed';
  /** Overrides `AZURE_CLIENT_ID` (a resource's `clientID`). */
  readonly clientId?: string | undefined;
  /** Overrides `AZURE_TENANT_ID` (a resource's `tenantID`). */
  readonly tenantId?: string | undefined;
  /** Ratify's `cloudName` (`AzurePublicCloud`, `AzureChinaCloud`, `AzureUSGovernmentCloud`); `AZURE_AUTHORITY_HOST` wins. */
  readonly cloudName?: string | undefined;
  /** What needs the credential, for error messages (`KeyManagementProvider/kmp-akv`). */
  readonly owner: string;
}

export interface AzureCredentialOptions {
  readonly environment?: AzureIdentityEnvironment;
  /** A Node agent for Entra ID requests (a private CA); default: Node's, which honours NODE_EXTRA_CA_CERTS. */
  readonly agent?: Agent;
}

function missing(request: AzureCredentialRequest, what: string): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason: `${request.owner} uses Azure workload identity, but ${what} is not set`,
    remediation:
      'Run signet with Azure Workload Identity (the pod label azure.workload.identity/use: "true" and a service account annotated with the client id), which sets AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_AUTHORITY_HOST.',
  });
}

function authorityHost(request: AzureCredentialRequest, environment: AzureIdentityEnvironment): string {
  const fromEnvironment = environment.AZURE_AUTHORITY_HOST;
  if (fromEnvironment !== undefined && fromEnvironment !== '') return fromEnvironment;
  const cloud = request.cloudName?.toLowerCase();
  if (cloud === undefined || cloud === '') return AUTHORITY_HOSTS.azurepubliccloud ?? '';
  const host = AUTHORITY_HOSTS[cloud];
  if (host === undefined) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: `${request.owner}: cloudName ${JSON.stringify(request.cloudName)} is not AzurePublicCloud, AzureChinaCloud or AzureUSGovernmentCloud`,
    });
  }
  return host;
}

/**
 * An Entra ID credential as Ratify builds one: workload identity from the federated token file (re-read by
 * the SDK for every token, so a rotated projection is used), or the managed identity endpoint. MSAL's
 * instance discovery (a call to login.microsoftonline.com) is skipped for authority hosts other than Azure's
 * own clouds: an operator naming its own authority (a sovereign or private endpoint) is trusted as written.
 */
export function createAzureCredential(
  request: AzureCredentialRequest,
  options: AzureCredentialOptions = {},
): TokenCredential {
  const environment = options.environment ?? process.env;
  const clientId = request.clientId ?? environment.AZURE_CLIENT_ID;
  const common = options.agent === undefined ? {} : { agent: options.agent };
  if (request.identity === 'managed') {
    return lazily(
      ({ ManagedIdentityCredential }) =>
        new ManagedIdentityCredential({ ...(clientId === undefined ? {} : { clientId }), ...common }),
    );
  }
  const tokenFilePath = environment.AZURE_FEDERATED_TOKEN_FILE;
  const tenantId = request.tenantId ?? environment.AZURE_TENANT_ID;
  if (tokenFilePath === undefined || tokenFilePath === '')
    throw missing(request, 'AZURE_FEDERATED_TOKEN_FILE');
  if (clientId === undefined || clientId === '') throw missing(request, 'AZURE_CLIENT_ID (or clientID)');
  if (tenantId === undefined || tenantId === '') throw missing(request, 'AZURE_TENANT_ID (or tenantID)');
  const authority = authorityHost(request, environment);
  return lazily(
    ({ WorkloadIdentityCredential }) =>
      new WorkloadIdentityCredential({
        tenantId,
        clientId,
        tokenFilePath,
        authorityHost: authority,
        disableInstanceDiscovery: !KNOWN_AUTHORITY_HOSTS.has(new URL(authority).host),
        ...common,
      }),
  );
}

type AzureIdentityModule = typeof import('@azure/identity');

/**
 * A credential whose SDK is loaded on its first token: @azure/identity with MSAL costs ~45 MiB resident and
 * seconds of start-up, which a signet without Azure providers must not pay.
 */
function lazily(build: (sdk: AzureIdentityModule) => TokenCredential): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes, options) {
      credential ??= import('@azure/identity').then(build);
      return (await credential).getToken(scopes, options);
    },
  };
}
