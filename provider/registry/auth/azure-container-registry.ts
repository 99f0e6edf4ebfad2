import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TokenCredential } from '@azure/identity';
import { SignetError } from '../../errors.js';
import { nodeHttp } from '../../node-http.js';
import { isLoopbackRegistryHost } from '../egress-policy.js';
import { createAzureCredential, type AzureCredentialOptions } from './azure-identity.js';
import { toCredentialKey, type Credential, type CredentialProvider } from './credentials.js';

/** The Entra ID scope ACR accepts for `/oauth2/exchange`. */
export const ACR_SCOPE = 'https://containerregistry.azure.net/.default';
/** Ratify's default `endpoints`: the ACR domains of Azure's clouds (one label before the zone). */
export const DEFAULT_ACR_ENDPOINTS: readonly string[] = [
  '*.azurecr.io',
  '*.azurecr.cn',
  '*.azurecr.de',
  '*.azurecr.us',
];
/**
 * A refresh token is renewed this long before its `exp`, so a request never carries one that dies in flight
 * (Ratify's users saw 401s three hours in, when the refresh token expired and was not renewed).
 */
export const ACR_REFRESH_MARGIN_MS = 5 * 60_000;
/** ACR refresh tokens live three hours; a token whose `exp` cannot be read is kept at most this long. */
export const ACR_DEFAULT_REFRESH_TOKEN_LIFETIME_MS = 60 * 60_000;
const EXCHANGE_TIMEOUT_MS = 10_000;
const EXCHANGE_RESPONSE_MAX_BYTES = 64 * 1024;

export interface AzureContainerRegistryOptions {
  /** The Entra ID credential (workload identity or managed identity). */
  readonly credential: TokenCredential;
  /** `tenant` sent to `/oauth2/exchange` (AZURE_TENANT_ID); omitted when unknown. */
  readonly tenantId: string | undefined;
  /** Ratify's `endpoints`: registries (`host`, `host:port`, or `*.zone`) the Entra token may be sent to. */
  readonly endpoints?: readonly string[];
  /** Whether the registry is spoken to over plain HTTP (as the registry client decides it). */
  readonly isInsecure: (registry: string) => boolean;
  /** Extra CA certificates (PEM) for the exchange, as the registry client's `caBundle`. */
  readonly caBundle?: string;
  readonly now?: () => number;
}

function unauthorized(registry: string, reason: string, status = 401): SignetError {
  return new SignetError('REGISTRY_UNAUTHORIZED', {
    stage: 'resolve',
    reason: `registry ${registry}: ${reason}`,
    remediation:
      "Check that signet's Azure identity (AZURE_CLIENT_ID) is federated with its service account and has the AcrPull role on the registry.",
    details: { host: registry, status },
  });
}

/** Ratify's endpoint rule: `*.zone` matches exactly one label before the zone; otherwise the host as written. */
export function matchesAcrEndpoint(registry: string, endpoints: readonly string[]): boolean {
  const host = toCredentialKey(registry);
  const hostname = host.replace(/:\d+$/, '');
  return endpoints.some((endpoint) => {
    const written = endpoint.toLowerCase();
    if (written.startsWith('*.')) {
      const dot = hostname.indexOf('.');
      return dot > 0 && hostname.slice(dot + 1) === written.slice(2);
    }
    return host === written || hostname === written;
  });
}

/** The `exp` of a JWT in milliseconds (not verified: the registry checks its own tokens), if it has one. */
export function jwtExpiryMs(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const exp = typeof claims === 'object' && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function readBounded(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        response.destroy(new Error(`the answer is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.once('end', () => resolve(Buffer.concat(chunks)));
    response.once('error', reject);
  });
}

/** POSTs a form and returns status and body (bounded); the form holds tokens, so nothing of it is ever logged. */
function postForm(
  url: URL,
  form: URLSearchParams,
  caBundle: string | undefined,
): Promise<{ status: number; body: Buffer }> {
  const body = form.toString();
  const send = url.protocol === 'https:' ? httpsRequest : nodeHttp.request;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': Buffer.byteLength(body),
          Accept: 'application/json',
        },
        signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
        ...(caBundle === undefined || url.protocol !== 'https:' ? {} : { ca: caBundle }),
      },
      (response) => {
        readBounded(response, EXCHANGE_RESPONSE_MAX_BYTES).then(
          (bytes) => resolve({ status: response.statusCode ?? 0, body: bytes }),
          reject,
        );
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}

function parseRefreshToken(registry: string, body: Buffer): string {
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch {
    throw unauthorized(registry, '/oauth2/exchange did not answer JSON', 200);
  }
  const token =
    typeof document === 'object' && document !== null
      ? (document as { refresh_token?: unknown }).refresh_token
      : undefined;
  if (typeof token !== 'string' || token === '')
    throw unauthorized(registry, '/oauth2/exchange answered without a refresh_token', 200);
  return token;
}

/**
 * Ratify's `azureWorkloadIdentity` / `azureManagedIdentity` store auth: an Entra ID token for ACR's scope is
 * exchanged at the registry's `/oauth2/exchange` for an ACR refresh token, which the authorizer then trades
 * at `/oauth2/token` for an access token per repository scope (`identityToken`, the refresh-token grant).
 * Refresh tokens are cached per registry and renewed `ACR_REFRESH_MARGIN_MS` before their JWT `exp`; the
 * Entra credential re-reads the federated token file whenever it needs a new token. Registries outside
 * `endpoints` get no credential (the Entra token is never sent to them).
 */
export function createAzureContainerRegistryCredentialProvider(
  options: AzureContainerRegistryOptions,
): CredentialProvider {
  const now = options.now ?? Date.now;
  const endpoints = options.endpoints ?? DEFAULT_ACR_ENDPOINTS;
  const cache = new Map<string, { token: string; renewAt: number }>();
  const pending = new Map<string, Promise<string>>();

  async function exchange(registry: string): Promise<string> {
    let entraToken: string;
    try {
      const token = await options.credential.getToken(ACR_SCOPE, {
        abortSignal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
      });
      if (token === null) throw new Error('the credential returned no token');
      entraToken = token.token;
    } catch (error) {
      // The SDK's message names the credential and the endpoint, not the token.
      const reason = error instanceof Error ? error.message.split('\n')[0]?.slice(0, 300) : String(error);
      throw unauthorized(registry, `no Entra ID token for ${ACR_SCOPE} (${reason ?? 'unknown error'})`);
    }
    const scheme = options.isInsecure(registry) ? 'http' : 'https';
    const form = new URLSearchParams({ grant_type: 'access_token', service: toCredentialKey(registry) });
    if (options.tenantId !== undefined && options.tenantId !== '') form.set('tenant', options.tenantId);
    form.set('access_token', entraToken);
    let answer: { status: number; body: Buffer };
    try {
      answer = await postForm(new URL(`${scheme}://${registry}/oauth2/exchange`), form, options.caBundle);
    } catch (error) {
      throw unauthorized(
        registry,
        `/oauth2/exchange failed (${error instanceof Error ? error.message : String(error)})`,
        0,
      );
    }
    if (answer.status !== 200)
      throw unauthorized(registry, `/oauth2/exchange answered HTTP ${answer.status}`, answer.status);
    const refreshToken = parseRefreshToken(registry, answer.body);
    const expiresAt = jwtExpiryMs(refreshToken) ?? now() + ACR_DEFAULT_REFRESH_TOKEN_LIFETIME_MS;
    cache.set(registry, { token: refreshToken, renewAt: expiresAt - ACR_REFRESH_MARGIN_MS });
    return refreshToken;
  }

  return async (registry) => {
    if (!matchesAcrEndpoint(registry, endpoints)) return undefined;
    const cached = cache.get(registry);
    let token: string;
    if (cached !== undefined && cached.renewAt > now()) token = cached.token;
    else {
      // Concurrent lookups for one registry share one exchange.
      let inFlight = pending.get(registry);
      if (inFlight === undefined) {
        inFlight = exchange(registry).finally(() => pending.delete(registry));
        pending.set(registry, inFlight);
      }
      token = await inFlight;
    }
    const credential: Credential = { $case: 'identityToken', identityToken: token };
    return credential;
  };
}

/** The names of Ratify's Azure store auth providers. */
export const AZURE_AUTH_PROVIDERS = ['azureWorkloadIdentity', 'azureManagedIdentity'] as const;
export type AzureAuthProviderName = (typeof AZURE_AUTH_PROVIDERS)[number];

export function isAzureAuthProvider(name: string): name is AzureAuthProviderName {
  return (AZURE_AUTH_PROVIDERS as readonly string[]).includes(name);
}

function configInvalid(reason: string): SignetError {
  return new SignetError('CONFIG_INVALID', { stage: 'config', reason });
}

/** Ratify's `endpoints` check: a host, or `*.zone` with exactly one wildcard label. */
function readEndpoints(name: string, value: unknown): readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string'))
    throw configInvalid(`authProvider ${name}: endpoints must be a list of registry hosts`);
  const endpoints = value as string[];
  for (const endpoint of endpoints) {
    const wildcards = endpoint.split('*').length - 1;
    if (wildcards > 1 || (wildcards === 1 && (!endpoint.startsWith('*.') || endpoint.length < 3)))
      throw configInvalid(
        `authProvider ${name}: endpoint ${JSON.stringify(endpoint)} must be a host or "*.<domain>"`,
      );
  }
  return endpoints.length === 0 ? undefined : endpoints;
}

export interface AzureStoreAuthOptions extends AzureCredentialOptions {
  /** As the registry client decides it; default: loopback registries are plain HTTP. */
  readonly isInsecure?: (registry: string) => boolean;
  readonly caBundle?: string;
  readonly now?: () => number;
}

/**
 * A Store's `authProvider: azureWorkloadIdentity` / `azureManagedIdentity` with Ratify's parameters
 * (`clientID` overriding AZURE_CLIENT_ID, `endpoints`). Workload identity needs the webhook's environment;
 * a missing variable is an error at the first lookup (the registry answers 401 without credentials anyway).
 */
export function createAzureStoreCredentialProvider(
  name: AzureAuthProviderName,
  params: Readonly<Record<string, unknown>>,
  options: AzureStoreAuthOptions = {},
): CredentialProvider {
  const clientId =
    typeof params.clientID === 'string' && params.clientID !== '' ? params.clientID : undefined;
  const endpoints = readEndpoints(name, params.endpoints);
  const environment = options.environment ?? process.env;
  let provider: CredentialProvider | undefined;
  return (registry) => {
    if (!matchesAcrEndpoint(registry, endpoints ?? DEFAULT_ACR_ENDPOINTS)) return Promise.resolve(undefined);
    try {
      provider ??= createProvider();
    } catch (error) {
      // A missing workload identity variable: the request fails closed, naming what to set.
      const reason = error instanceof SignetError ? error.reason : String(error);
      return Promise.reject(unauthorized(registry, reason));
    }
    return provider(registry);
  };

  function createProvider(): CredentialProvider {
    return createAzureContainerRegistryCredentialProvider({
      credential: createAzureCredential(
        {
          identity: name === 'azureWorkloadIdentity' ? 'workload' : 'managed',
          clientId,
          owner: `authProvider ${name}`,
        },
        options,
      ),
      tenantId: environment.AZURE_TENANT_ID,
      ...(endpoints === undefined ? {} : { endpoints }),
      isInsecure: options.isInsecure ?? isLoopbackRegistryHost,
      ...(options.caBundle === undefined ? {} : { caBundle: options.caBundle }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  }
}
