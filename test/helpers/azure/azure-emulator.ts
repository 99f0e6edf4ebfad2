// A loopback stand-in for the Azure endpoints signet talks to, implementing their documented wire protocols so the
// official Azure SDKs (@azure/identity with MSAL, @azure/keyvault-*) run against it unchanged. Azure itself is not
// reachable from the tests. Served over TLS with a test CA:
//  - Entra ID (v2 endpoints): GET /{tenant}/v2.0/.well-known/openid-configuration (MSAL's tenant discovery; instance
//    discovery at login.microsoftonline.com is disabled by signet for non-Azure authority hosts and is not served),
//    POST /{tenant}/oauth2/v2.0/token with grant_type=client_credentials and a client assertion
//    (client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer) that must equal the federated
//    token the test wrote; answers an access token for the requested `<resource>/.default` scope.
//  - Managed identity (IMDS): GET /metadata/identity/oauth2/token[/]?api-version=…&resource=… with `Metadata: true`.
//  - Key Vault REST: GET /certificates/{name}[/{version}], /secrets/{name}/{version}, /keys/{name}[/{version}] with
//    challenge auth (an unauthenticated request gets 401 `WWW-Authenticate: Bearer authorization="<authority>/<tenant>",
//    resource="https://vault.azure.net"`), versions, disabled objects (403 Forbidden, inner code SecretDisabled /
//    KeyDisabled for values; a disabled certificate's metadata is still readable) and missing ones (404 …NotFound).
// Every request is recorded (method, path, query, selected headers, form fields) so tests assert what the SDKs sent.
import { createHmac, randomBytes, randomUUID, type JsonWebKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export const VAULT_RESOURCE = 'https://vault.azure.net';
export const ACR_RESOURCE = 'https://containerregistry.azure.net';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly form: Readonly<Record<string, string>>;
}

export interface VaultCertificateVersion {
  readonly version: string;
  /** The secret value: PEM text, or base64 of a PKCS#12. */
  readonly secretValue: string;
  readonly contentType: 'application/x-pem-file' | 'application/x-pkcs12';
  /** DER of the leaf (the certificate object's `cer`). */
  readonly leafDer: Buffer;
  enabled: boolean;
  expiresOn: Date | undefined;
}

export interface VaultKeyVersion {
  readonly version: string;
  readonly jwk: JsonWebKey;
  enabled: boolean;
}

export interface AzureEmulatorOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  readonly tenantId: string;
  readonly clientId: string;
  /** The token Entra ID accepts as client assertion (`setFederatedToken` models a rotated projection). */
  readonly federatedToken: string;
  /** `expires_in` of Entra ID access tokens (MSAL renews tokens within 5 minutes of expiry). Default 3600. */
  readonly accessTokenLifetimeSeconds?: number;
  /** The emulator's clock for token expiry, in ms. Default Date.now. */
  readonly now?: () => number;
}

export interface AzureEmulator {
  /** `https://127.0.0.1:PORT` — authority host, vault URI and IMDS endpoint alike. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** From now on only this client assertion is accepted (the service-account token was rotated). */
  setFederatedToken(token: string): void;
  /** Adds a new (latest) version of a certificate; returns it. */
  addCertificate(
    name: string,
    version: Omit<VaultCertificateVersion, 'version' | 'enabled' | 'expiresOn'> & { expiresOn?: Date },
  ): VaultCertificateVersion;
  /** Adds a new (latest) version of a key (public JWK). */
  addKey(name: string, jwk: JsonWebKey): VaultKeyVersion;
  certificate(name: string): VaultCertificateVersion[];
  key(name: string): VaultKeyVersion[];
  /** Checks an access token this emulator issued: its audience, and that it has not expired. */
  verifyAccessToken(authorization: string | undefined, resource: string): boolean;
  /** Issues a signed token (JWT shape, HMAC) with these claims, as Entra ID or ACR would. */
  issueToken(claims: Record<string, unknown>): string;
  /** Claims of a token this emulator issued, if it did and the signature holds. */
  readToken(token: string): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

function versionId(): string {
  return randomUUID().replace(/-/g, '');
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

function vaultError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  inner?: string,
): void {
  sendJson(response, status, {
    error: { code, message, ...(inner === undefined ? {} : { innererror: { code: inner } }) },
  });
}

function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export async function startAzureEmulator(options: AzureEmulatorOptions): Promise<AzureEmulator> {
  const [cert, key] = await Promise.all([readFile(options.tls.cert), readFile(options.tls.key)]);
  const secret = randomBytes(32);
  const now = options.now ?? Date.now;
  const certificates = new Map<string, VaultCertificateVersion[]>();
  const keys = new Map<string, VaultKeyVersion[]>();
  const requests: RecordedRequest[] = [];
  let url = '';
  let federatedToken = options.federatedToken;

  function issueToken(claims: Record<string, unknown>): string {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
    return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
  }

  function readToken(token: string): Record<string, unknown> | undefined {
    const [header, payload, signature] = token.split('.');
    if (header === undefined || payload === undefined || signature === undefined) return undefined;
    const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
    if (expected !== signature) return undefined;
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  function verifyAccessToken(authorization: string | undefined, resource: string): boolean {
    const token = authorization?.replace(/^Bearer /, '');
    const claims = token === undefined ? undefined : readToken(token);
    return (
      claims !== undefined &&
      claims.aud === resource &&
      typeof claims.exp === 'number' &&
      claims.exp * 1000 > now()
    );
  }

  function accessToken(resource: string, subject: string): Record<string, unknown> {
    const lifetime = options.accessTokenLifetimeSeconds ?? 3600;
    return {
      token_type: 'Bearer',
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: issueToken({
        aud: resource,
        tid: options.tenantId,
        appid: subject,
        iat: Math.floor(now() / 1000),
        exp: Math.floor(now() / 1000) + lifetime,
      }),
    };
  }

  function handleEntra(
    request: IncomingMessage,
    response: ServerResponse,
    path: string[],
    form: Record<string, string>,
  ): boolean {
    const [tenant, ...rest] = path;
    const tail = rest.join('/');
    if (tail === 'v2.0/.well-known/openid-configuration') {
      const base = `${url}/${tenant ?? ''}`;
      sendJson(response, 200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        issuer: `${base}/v2.0`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'token'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'],
        tenant_region_scope: null,
        cloud_instance_name: 'emulator',
      });
      return true;
    }
    if (tail === 'oauth2/v2.0/token' && request.method === 'POST') {
      if (tenant !== options.tenantId)
        return vaultErrorTrue(response, 400, 'invalid_request', `unknown tenant ${tenant ?? ''}`);
      if (form.grant_type !== 'client_credentials' || form.client_assertion_type !== CLIENT_ASSERTION_TYPE)
        return vaultErrorTrue(response, 400, 'unsupported_grant_type', 'expected a client assertion grant');
      if (form.client_id !== options.clientId)
        return vaultErrorTrue(response, 400, 'unauthorized_client', 'unknown client_id');
      if (form.client_assertion !== federatedToken)
        return vaultErrorTrue(
          response,
          401,
          'invalid_client',
          'AADSTS700024: client assertion is not the federated token',
        );
      const resource = (form.scope ?? '')
        .split(' ')
        .find((scope) => scope.endsWith('/.default'))
        ?.replace(/\/\.default$/, '');
      if (resource === undefined)
        return vaultErrorTrue(response, 400, 'invalid_scope', 'expected <resource>/.default');
      sendJson(response, 200, accessToken(resource, form.client_id));
      return true;
    }
    return false;
  }

  function vaultErrorTrue(
    response: ServerResponse,
    status: number,
    error: string,
    description: string,
  ): true {
    sendJson(response, status, { error, error_description: description });
    return true;
  }

  function certificateBundle(name: string, entry: VaultCertificateVersion, withPolicy: boolean): unknown {
    const attributes = {
      enabled: entry.enabled,
      created: 1_700_000_000,
      updated: 1_700_000_000,
      ...(entry.expiresOn === undefined ? {} : { exp: unixSeconds(entry.expiresOn) }),
      recoveryLevel: 'Recoverable+Purgeable',
    };
    return {
      id: `${url}/certificates/${name}/${entry.version}`,
      kid: `${url}/keys/${name}/${entry.version}`,
      sid: `${url}/secrets/${name}/${entry.version}`,
      x5t: 'AAAA',
      cer: entry.leafDer.toString('base64'),
      attributes,
      ...(withPolicy
        ? {
            policy: {
              id: `${url}/certificates/${name}/policy`,
              key_props: { exportable: true, kty: 'RSA', key_size: 2048, reuse_key: false },
              secret_props: { contentType: entry.contentType },
              x509_props: { subject: 'CN=emulated', validity_months: 12 },
              issuer: { name: 'Self' },
              attributes: { enabled: true, created: 1_700_000_000, updated: 1_700_000_000 },
            },
          }
        : {}),
    };
  }

  function pick<T extends { version: string }>(
    versions: T[] | undefined,
    version: string | undefined,
  ): T | undefined {
    if (versions === undefined || versions.length === 0) return undefined;
    return version === undefined || version === ''
      ? versions[versions.length - 1]
      : versions.find((v) => v.version === version);
  }

  function handleVault(request: IncomingMessage, response: ServerResponse, path: string[]): boolean {
    const [collection, name, version] = path;
    if (collection !== 'certificates' && collection !== 'secrets' && collection !== 'keys') return false;
    if (request.method !== 'GET' || name === undefined) return false;
    if (!verifyAccessToken(request.headers.authorization, VAULT_RESOURCE)) {
      sendJson(
        response,
        401,
        { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
        {
          'WWW-Authenticate': `Bearer authorization="${url}/${options.tenantId}", resource="${VAULT_RESOURCE}"`,
        },
      );
      return true;
    }
    if (collection === 'certificates') {
      const entry = pick(certificates.get(name), version);
      if (entry === undefined)
        vaultError(
          response,
          404,
          'CertificateNotFound',
          `A certificate with (name/id) ${name}${version === undefined ? '' : `/${version}`} was not found in this key vault.`,
        );
      else sendJson(response, 200, certificateBundle(name, entry, version === undefined || version === ''));
      return true;
    }
    if (collection === 'secrets') {
      const entry = pick(certificates.get(name), version);
      if (entry === undefined)
        vaultError(
          response,
          404,
          'SecretNotFound',
          `A secret with (name/id) ${name}${version === undefined ? '' : `/${version}`} was not found in this key vault.`,
        );
      else if (!entry.enabled)
        vaultError(
          response,
          403,
          'Forbidden',
          'Operation get is not allowed on a disabled secret.',
          'SecretDisabled',
        );
      else
        sendJson(response, 200, {
          value: entry.secretValue,
          contentType: entry.contentType,
          id: `${url}/secrets/${name}/${entry.version}`,
          kid: `${url}/keys/${name}/${entry.version}`,
          managed: true,
          attributes: {
            enabled: true,
            created: 1_700_000_000,
            updated: 1_700_000_000,
            recoveryLevel: 'Recoverable+Purgeable',
          },
        });
      return true;
    }
    const entry = pick(keys.get(name), version);
    if (entry === undefined)
      vaultError(
        response,
        404,
        'KeyNotFound',
        `A key with (name/id) ${name}${version === undefined ? '' : `/${version}`} was not found in this key vault.`,
      );
    else if (!entry.enabled)
      vaultError(
        response,
        403,
        'Forbidden',
        'Operation get is not allowed on a disabled key.',
        'KeyDisabled',
      );
    else
      sendJson(response, 200, {
        key: { ...entry.jwk, kid: `${url}/keys/${name}/${entry.version}`, key_ops: ['verify'] },
        attributes: {
          enabled: true,
          created: 1_700_000_000,
          updated: 1_700_000_000,
          recoveryLevel: 'Recoverable+Purgeable',
        },
      });
    return true;
  }

  function handleImds(request: IncomingMessage, response: ServerResponse, query: URLSearchParams): boolean {
    if (request.headers.metadata !== 'true')
      return vaultErrorTrue(response, 400, 'invalid_request', 'Required metadata header not specified');
    const resource = query.get('resource');
    if (resource === null) return vaultErrorTrue(response, 400, 'invalid_request', 'resource is required');
    const token = accessToken(
      resource.replace(/\/\.default$/, '').replace(/\/$/, ''),
      query.get('client_id') ?? 'system-assigned',
    );
    // IMDS answers expires_in / expires_on as strings.
    sendJson(response, 200, {
      ...token,
      expires_in: String(token.expires_in),
      expires_on: String(Math.floor(now() / 1000) + Number(token.expires_in)),
      resource,
    });
    return true;
  }

  const server: Server = createServer({ cert, key }, (request, response) => {
    void (async () => {
      const target = new URL(request.url ?? '/', 'https://emulator');
      const body = await readBody(request);
      const form = request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')
        ? Object.fromEntries(new URLSearchParams(body))
        : {};
      requests.push({
        method: request.method ?? '',
        path: target.pathname,
        query: Object.fromEntries(target.searchParams),
        authorization: request.headers.authorization,
        headers: {
          'content-type': request.headers['content-type'],
          'x-client-sku': request.headers['x-client-sku'] as string | undefined,
          'user-agent': request.headers['user-agent'],
          metadata: request.headers.metadata as string | undefined,
        },
        form,
      });
      const path = target.pathname.split('/').filter((segment) => segment !== '');
      const handled =
        (target.pathname.replace(/\/$/, '') === '/metadata/identity/oauth2/token' &&
          handleImds(request, response, target.searchParams)) ||
        handleVault(request, response, path) ||
        handleEntra(request, response, path, form);
      if (!handled) sendJson(response, 404, { error: 'not_found', error_description: target.pathname });
    })().catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    setFederatedToken: (token) => (federatedToken = token),
    addCertificate(name, version) {
      const entry: VaultCertificateVersion = {
        ...version,
        version: versionId(),
        enabled: true,
        expiresOn: version.expiresOn,
      };
      certificates.set(name, [...(certificates.get(name) ?? []), entry]);
      return entry;
    },
    addKey(name, jwk) {
      const entry: VaultKeyVersion = { version: versionId(), jwk, enabled: true };
      keys.set(name, [...(keys.get(name) ?? []), entry]);
      return entry;
    },
    certificate: (name) => certificates.get(name) ?? [],
    key: (name) => keys.get(name) ?? [],
    verifyAccessToken,
    issueToken,
    readToken,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A `KeyManagementProvider` document (followed by `---`) of `type: azurekeyvault` with Ratify's parameters, for a
 * configuration file or `kubectl apply`.
 */
export function azureKeyVaultProvider(
  name: string,
  parameters: {
    readonly vaultURI: string;
    readonly tenantID: string;
    readonly clientID: string;
    readonly certificates?: readonly { readonly name: string; readonly version?: string }[];
    readonly keys?: readonly { readonly name: string; readonly version?: string }[];
  },
  refreshInterval: string,
): string {
  return `apiVersion: config.ratify.deislabs.io/v1beta1
kind: KeyManagementProvider
metadata:
  name: ${name}
spec:
  type: azurekeyvault
  refreshInterval: ${refreshInterval}
  parameters: ${JSON.stringify(parameters)}
---
`;
}
