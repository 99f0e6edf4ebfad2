// Ratify's `authProvider: azureWorkloadIdentity` / `azureManagedIdentity` against a real olareg registry with token
// auth, behind a loopback emulator of ACR's token service (test/helpers/azure/acr-emulator.ts) and of Entra ID
// (test/helpers/azure/azure-emulator.ts): Azure is not reachable from the tests, so the emulators implement the
// documented protocols over TLS with a test CA and the official @azure/identity SDK runs against them unchanged.
// One clock drives everything: jest fakes only `Date` (no timers), so MSAL's token cache, the SDK's 5-minute cache
// of the federated token file, signet's refresh-token renewal and the emulators' expiry all see the same time.
import { jest } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseImageReference } from '../../provider/reference/index.js';
import {
  ACR_REFRESH_MARGIN_MS,
  createAzureStoreCredentialProvider,
  createRegistryClient,
  type RegistryClient,
} from '../../provider/registry/index.js';
import { startAcrEmulator, type AcrEmulator } from '../helpers/azure/acr-emulator.js';
import { ACR_RESOURCE, startAzureEmulator, type AzureEmulator } from '../helpers/azure/azure-emulator.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import { createCa, issue } from '../helpers/pki.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '00000000-1111-2222-3333-444444444444';
const THREE_HOURS_S = 3 * 3600;

let dir: string;
let caPem: string;
let agent: Agent;
let tokenFile: string;
let azure: AzureEmulator;
let olareg: TestRegistry;
let acr: AcrEmulator;
let image: PushedManifest;

beforeAll(async () => {
  // Only Date is faked: timers, sockets and TLS run for real.
  jest.useFakeTimers({
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
    now: Date.now(),
  });
  dir = await mkdtemp(join(tmpdir(), 'signet-acr-'));
  const ca = await createCa(dir, 'azure-emulator-ca');
  caPem = await readFile(ca.cert, 'utf8');
  agent = new Agent({ ca: caPem, keepAlive: false });
  const serving = await issue(dir, ca, 'azure-emulator', 'serverAuth');
  tokenFile = join(dir, 'azure-identity-token');
  await writeFile(tokenFile, 'federated-token-1\n');
  azure = await startAzureEmulator({
    tls: serving,
    tenantId: TENANT,
    clientId: CLIENT,
    federatedToken: 'federated-token-1',
  });
  olareg = await startRegistry({ auth: 'token' });
  image = await pushImage(olareg, 'team/app', 'v1');
  acr = await startAcrEmulator({
    tls: serving,
    azure,
    registry: olareg,
    tenantId: TENANT,
    refreshTokenLifetimeSeconds: THREE_HOURS_S,
  });
}, 120_000);

afterAll(async () => {
  jest.useRealTimers();
  await Promise.all([azure?.close(), acr?.close(), olareg?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function clientWith(
  name: 'azureWorkloadIdentity' | 'azureManagedIdentity',
  params: Record<string, unknown>,
): RegistryClient {
  return createRegistryClient({
    credentials: createAzureStoreCredentialProvider(
      name,
      { endpoints: [acr.host], ...params },
      {
        agent,
        caBundle: caPem,
        isInsecure: () => false,
        environment: {
          AZURE_FEDERATED_TOKEN_FILE: tokenFile,
          AZURE_CLIENT_ID: CLIENT,
          AZURE_TENANT_ID: TENANT,
          AZURE_AUTHORITY_HOST: azure.url,
        },
      },
    ),
    isInsecure: () => false,
    caBundle: caPem,
  });
}

async function resolve(client: RegistryClient): Promise<string> {
  const descriptor = await client.resolveDigest(parseImageReference(`${acr.host}/team/app:v1`), {
    signal: AbortSignal.timeout(20_000),
  });
  return descriptor.digest;
}

describe('azureWorkloadIdentity against ACR token exchange', () => {
  let client: RegistryClient;
  beforeAll(() => {
    client = clientWith('azureWorkloadIdentity', {});
  });
  afterAll(() => client.close());

  it('exchanges the Entra ID token for a refresh token, then a pull token for the repository', async () => {
    const acrBefore = acr.requests.length;
    const entraBefore = azure.requests.length;
    await expect(resolve(client)).resolves.toBe(image.digest);

    const entraTokens = azure.requests
      .slice(entraBefore)
      .filter((r) => r.path === `/${TENANT}/oauth2/v2.0/token`);
    expect(entraTokens).toHaveLength(1);
    expect(entraTokens[0]?.form).toMatchObject({
      grant_type: 'client_credentials',
      client_id: CLIENT,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'federated-token-1',
    });
    expect(entraTokens[0]?.form.scope?.split(' ')).toContain('https://containerregistry.azure.net/.default');

    const sent = acr.requests.slice(acrBefore);
    const exchanges = sent.filter((r) => r.path === '/oauth2/exchange');
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]).toMatchObject({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(Object.keys(exchanges[0]?.form ?? {}).sort()).toEqual([
      'access_token',
      'grant_type',
      'service',
      'tenant',
    ]);
    expect(exchanges[0]?.form).toMatchObject({
      grant_type: 'access_token',
      service: acr.host,
      tenant: TENANT,
    });
    expect(azure.readToken(exchanges[0]?.form.access_token ?? '')?.aud).toBe(ACR_RESOURCE);
    const tokens = sent.filter((r) => r.path === '/oauth2/token');
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.form).toMatchObject({
      grant_type: 'refresh_token',
      service: acr.host,
      scope: 'repository:team/app:pull',
    });
    expect(azure.readToken(tokens[0]?.form.refresh_token ?? '')?.aud).toBe(acr.host);
    // The manifest request itself went out with the pull token, after the registry's 401 challenge.
    const manifests = sent.filter((r) => r.path === '/v2/team/app/manifests/v1');
    expect(manifests[0]?.authorization).toBeUndefined();
    expect(manifests.at(-1)?.authorization).toMatch(/^Bearer /);
  });

  it('reuses the refresh token while it is fresh', async () => {
    const before = acr.requests.length;
    jest.setSystemTime(Date.now() + 10 * 60_000); // pull tokens (60 s) have expired, the refresh token has not
    await expect(resolve(client)).resolves.toBe(image.digest);
    const sent = acr.requests.slice(before);
    expect(sent.filter((r) => r.path === '/oauth2/exchange')).toHaveLength(0);
    expect(sent.filter((r) => r.path === '/oauth2/token')).toHaveLength(1);
  });

  it('renews the refresh token before its exp, with a fresh Entra ID token from a re-read federated token file', async () => {
    const lastExchange = acr.requests.filter((r) => r.path === '/oauth2/exchange').at(-1);
    const refreshToken =
      acr.requests.filter((r) => r.path === '/oauth2/token').at(-1)?.form.refresh_token ?? '';
    const expiresAt = (azure.readToken(refreshToken)?.exp as number) * 1000;
    expect(lastExchange).toBeDefined();
    // The projected service-account token rotates; Entra ID now accepts only the new one.
    await writeFile(tokenFile, 'federated-token-2\n');
    azure.setFederatedToken('federated-token-2');
    jest.setSystemTime(expiresAt - ACR_REFRESH_MARGIN_MS + 1_000);
    const acrBefore = acr.requests.length;
    const entraBefore = azure.requests.length;
    await expect(resolve(client)).resolves.toBe(image.digest);
    expect(Date.now()).toBeLessThan(expiresAt); // renewed while the old refresh token was still live
    const exchanges = acr.requests.slice(acrBefore).filter((r) => r.path === '/oauth2/exchange');
    expect(exchanges).toHaveLength(1);
    const entraTokens = azure.requests
      .slice(entraBefore)
      .filter((r) => r.path === `/${TENANT}/oauth2/v2.0/token`);
    expect(entraTokens.map((r) => r.form.client_assertion)).toEqual(['federated-token-2']);
    const renewed = acr.requests
      .slice(acrBefore)
      .filter((r) => r.path === '/oauth2/token')
      .at(-1)?.form.refresh_token;
    expect(renewed).not.toBe(refreshToken);
  });
});

describe('azureManagedIdentity through the IMDS endpoint', () => {
  const previous = process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
  afterAll(() => {
    if (previous === undefined) delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
    else process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = previous;
  });

  it('asks IMDS for an ACR-scoped token with the Metadata header and exchanges it', async () => {
    // MSAL's documented override of the IMDS address (pod identity's endpoint); IMDS itself is 169.254.169.254.
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = azure.url;
    const client = clientWith('azureManagedIdentity', { clientID: 'managed-client' });
    const entraBefore = azure.requests.length;
    const acrBefore = acr.requests.length;
    try {
      await expect(resolve(client)).resolves.toBe(image.digest);
    } finally {
      client.close();
    }
    const imds = azure.requests
      .slice(entraBefore)
      .filter((r) => r.path === '/metadata/identity/oauth2/token/');
    expect(imds).toHaveLength(1);
    expect(imds.at(-1)).toMatchObject({
      method: 'GET',
      headers: { metadata: 'true' },
      query: {
        'api-version': '2018-02-01',
        resource: 'https://containerregistry.azure.net',
        client_id: 'managed-client',
      },
    });
    expect(acr.requests.slice(acrBefore).filter((r) => r.path === '/oauth2/exchange')).toHaveLength(1);
  });
});

describe('endpoints and failures', () => {
  it('sends no Entra ID token to a registry outside endpoints: the pull is refused without credentials', async () => {
    const client = clientWith('azureWorkloadIdentity', { endpoints: ['*.azurecr.io'] });
    const before = acr.requests.length;
    try {
      await expect(resolve(client)).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
    } finally {
      client.close();
    }
    expect(acr.requests.slice(before).some((r) => r.path === '/oauth2/exchange')).toBe(false);
  });

  it('names a refused exchange without putting any token in the error', async () => {
    const client = createRegistryClient({
      credentials: createAzureStoreCredentialProvider(
        'azureWorkloadIdentity',
        { endpoints: [acr.host] },
        {
          agent,
          caBundle: caPem,
          isInsecure: () => false,
          environment: {
            AZURE_FEDERATED_TOKEN_FILE: tokenFile,
            AZURE_CLIENT_ID: CLIENT,
            AZURE_TENANT_ID: 'another-tenant',
            AZURE_AUTHORITY_HOST: azure.url,
          },
        },
      ),
      isInsecure: () => false,
      caBundle: caPem,
    });
    try {
      const failure = await resolve(client).catch((error: unknown) => error as Error);
      expect(failure).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
      expect((failure as Error).message).not.toMatch(/eyJ|federated-token/);
    } finally {
      client.close();
    }
  });
});
