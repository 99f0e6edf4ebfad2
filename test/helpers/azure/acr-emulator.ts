// A loopback stand-in for Azure Container Registry's token service in front of a real olareg registry that runs
// with token auth (test/helpers/registry.ts `auth: 'token'`). ACR is not reachable from the tests; this implements
// its documented endpoints over TLS with a test CA:
//  - POST /oauth2/exchange (grant_type=access_token, service, tenant, access_token): an Entra ID access token for
//    https://containerregistry.azure.net (issued by the Azure emulator) → `{"refresh_token"}`, a JWT whose `exp` is
//    `refreshTokenLifetimeSeconds` ahead of the emulator's clock.
//  - POST /oauth2/token (grant_type=refresh_token, service, scope, refresh_token): a live refresh token → an access
//    token for the scope; here olareg's own token for the registry user, so olareg itself authorizes every pull.
//  - /v2/…: proxied to olareg; its 401 challenge is rewritten to ACR's (`Bearer realm="<this>/oauth2/token",
//    service="<this host>"`), as a client of ACR sees it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestRegistry } from '../registry.js';
import { ACR_RESOURCE, type AzureEmulator, type RecordedRequest } from './azure-emulator.js';

export interface AcrEmulatorOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  readonly azure: AzureEmulator;
  readonly registry: TestRegistry;
  readonly tenantId: string;
  /** ACR's refresh tokens live 3 hours. */
  readonly refreshTokenLifetimeSeconds?: number;
  /** The emulator's clock in ms (refresh token `exp`, and whether one has expired). Default Date.now. */
  readonly now?: () => number;
}

export interface AcrEmulator {
  /** `127.0.0.1:PORT`, the registry name clients use. */
  readonly host: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

export async function startAcrEmulator(options: AcrEmulatorOptions): Promise<AcrEmulator> {
  const [cert, key] = await Promise.all([readFile(options.tls.cert), readFile(options.tls.key)]);
  const now = options.now ?? Date.now;
  const requests: RecordedRequest[] = [];
  let host = '';
  const basic = `Basic ${Buffer.from(`${options.registry.username ?? ''}:${options.registry.password ?? ''}`).toString('base64')}`;

  function live(claims: Record<string, unknown> | undefined): boolean {
    return claims !== undefined && typeof claims.exp === 'number' && claims.exp * 1000 > now();
  }

  function exchange(response: ServerResponse, form: Record<string, string>): void {
    const entra = options.azure.readToken(form.access_token ?? '');
    if (form.grant_type !== 'access_token' || form.service !== host)
      return sendJson(response, 400, {
        errors: [{ code: 'UNSUPPORTED', message: 'grant_type access_token and this service' }],
      });
    if (!live(entra) || entra?.aud !== ACR_RESOURCE || form.tenant !== options.tenantId)
      return sendJson(response, 401, {
        errors: [{ code: 'UNAUTHORIZED', message: 'the Entra ID token is not valid here' }],
      });
    const issuedAt = Math.floor(now() / 1000);
    const refreshToken = options.azure.issueToken({
      aud: host,
      grant_type: 'refresh_token',
      tenant: form.tenant,
      iat: issuedAt,
      exp: issuedAt + (options.refreshTokenLifetimeSeconds ?? 3 * 3600),
    });
    sendJson(response, 200, { refresh_token: refreshToken });
  }

  async function token(response: ServerResponse, form: Record<string, string>): Promise<void> {
    const refresh = options.azure.readToken(form.refresh_token ?? '');
    if (form.grant_type !== 'refresh_token' || form.service !== host || form.scope === undefined)
      return sendJson(response, 400, {
        errors: [{ code: 'UNSUPPORTED', message: 'grant_type refresh_token, service and scope' }],
      });
    if (!live(refresh) || refresh?.aud !== host)
      return sendJson(response, 401, {
        errors: [{ code: 'UNAUTHORIZED', message: 'the refresh token is expired or not for this registry' }],
      });
    const olareg = await fetch(
      `${options.registry.url}/token?service=${encodeURIComponent('olareg registry')}&scope=${encodeURIComponent(form.scope)}`,
      {
        headers: { Authorization: basic },
      },
    );
    if (!olareg.ok)
      return sendJson(response, 502, {
        errors: [{ code: 'UPSTREAM', message: `olareg /token answered ${olareg.status}` }],
      });
    const { token: accessToken } = (await olareg.json()) as { token: string };
    sendJson(response, 200, { access_token: accessToken });
  }

  async function proxy(request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> {
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'accept', 'content-type']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const upstream = await fetch(`${options.registry.url}${request.url ?? '/'}`, {
      method: request.method ?? 'GET',
      headers,
      ...(body.length === 0 ? {} : { body }),
      redirect: 'manual',
    });
    const outgoing: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (name === 'www-authenticate') {
        const scope = /scope="([^"]*)"/.exec(value)?.[1];
        outgoing[name] =
          `Bearer realm="https://${host}/oauth2/token",service="${host}"${scope === undefined ? '' : `,scope="${scope}"`}`;
      } else if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(name))
        outgoing[name] = value;
    });
    const payload = Buffer.from(await upstream.arrayBuffer());
    response.writeHead(upstream.status, { ...outgoing, 'content-length': String(payload.length) });
    response.end(request.method === 'HEAD' ? undefined : payload);
  }

  const server: Server = createServer({ cert, key }, (request, response) => {
    void (async () => {
      const target = new URL(request.url ?? '/', 'https://acr');
      const body = await readBody(request);
      const form = request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')
        ? Object.fromEntries(new URLSearchParams(body.toString('utf8')))
        : {};
      requests.push({
        method: request.method ?? '',
        path: target.pathname,
        query: Object.fromEntries(target.searchParams),
        authorization: request.headers.authorization,
        headers: {
          'content-type': request.headers['content-type'],
          'user-agent': request.headers['user-agent'],
        },
        form,
      });
      if (request.method === 'POST' && target.pathname === '/oauth2/exchange')
        return exchange(response, form);
      if (request.method === 'POST' && target.pathname === '/oauth2/token') return token(response, form);
      // No anonymous pull: an anonymous token request is refused, as by a registry without anonymous access.
      if (request.method === 'GET' && target.pathname === '/oauth2/token')
        return sendJson(response, 401, {
          errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }],
        });
      if (target.pathname.startsWith('/v2/')) return proxy(request, response, body);
      sendJson(response, 404, { errors: [{ code: 'NOT_FOUND', message: target.pathname }] });
    })().catch((error: unknown) =>
      response.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
