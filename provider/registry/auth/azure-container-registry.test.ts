import type { TokenCredential } from '@azure/identity';
import {
  ACR_REFRESH_MARGIN_MS,
  createAzureContainerRegistryCredentialProvider,
  createAzureStoreCredentialProvider,
  DEFAULT_ACR_ENDPOINTS,
  jwtExpiryMs,
  matchesAcrEndpoint,
} from './azure-container-registry.js';

function jwt(claims: object): string {
  return `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
}

describe('matchesAcrEndpoint', () => {
  it.each([
    ['myregistry.azurecr.io', DEFAULT_ACR_ENDPOINTS, true],
    ['MyRegistry.azurecr.io', DEFAULT_ACR_ENDPOINTS, true],
    ['a.b.azurecr.io', DEFAULT_ACR_ENDPOINTS, false],
    ['azurecr.io', DEFAULT_ACR_ENDPOINTS, false],
    ['evil-azurecr.io', DEFAULT_ACR_ENDPOINTS, false],
    ['docker.io', DEFAULT_ACR_ENDPOINTS, false],
    ['127.0.0.1:5000', ['127.0.0.1:5000'], true],
    ['127.0.0.1:5001', ['127.0.0.1:5000'], false],
    ['registry.example.com:443', ['registry.example.com'], true],
  ])('%s against %j → %s', (registry, endpoints, expected) => {
    expect(matchesAcrEndpoint(registry, endpoints)).toBe(expected);
  });
});

describe('jwtExpiryMs', () => {
  it('reads exp in milliseconds, and nothing from what is not a JWT', () => {
    expect(jwtExpiryMs(jwt({ exp: 1_700_000_000 }))).toBe(1_700_000_000_000);
    expect(jwtExpiryMs(jwt({ sub: 'x' }))).toBeUndefined();
    expect(jwtExpiryMs('opaque')).toBeUndefined();
    expect(jwtExpiryMs('a.%%%.c')).toBeUndefined();
  });
});

describe('createAzureContainerRegistryCredentialProvider', () => {
  const neverCalled: TokenCredential = {
    getToken: () => Promise.reject(new Error('must not be asked')),
  };

  it('gives registries outside the endpoints no credential, without asking Entra ID', async () => {
    const provider = createAzureContainerRegistryCredentialProvider({
      credential: neverCalled,
      tenantId: undefined,
      isInsecure: () => false,
    });
    await expect(provider('ghcr.io')).resolves.toBeUndefined();
    expect(ACR_REFRESH_MARGIN_MS).toBeGreaterThan(0);
  });
});

describe('createAzureStoreCredentialProvider', () => {
  it('refuses a malformed endpoints list at creation', () => {
    expect(() => createAzureStoreCredentialProvider('azureWorkloadIdentity', { endpoints: ['*'] })).toThrow(
      'authProvider azureWorkloadIdentity: endpoint "*" must be a host or "*.<domain>"',
    );
    expect(() => createAzureStoreCredentialProvider('azureWorkloadIdentity', { endpoints: 'x' })).toThrow(
      'endpoints must be a list of registry hosts',
    );
  });

  it('fails a lookup closed, naming the missing workload identity variable', async () => {
    const provider = createAzureStoreCredentialProvider('azureWorkloadIdentity', {}, { environment: {} });
    await expect(provider('myregistry.azurecr.io')).rejects.toThrow(
      'registry myregistry.azurecr.io: authProvider azureWorkloadIdentity uses Azure workload identity, but AZURE_FEDERATED_TOKEN_FILE is not set',
    );
  });
});
