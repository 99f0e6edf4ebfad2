import { SignetError } from '../../errors.js';
import { toProtocolError, toStatusError } from '../registry-error.js';
import type { RequestSite } from '../registry-error.js';
import type { CallScope, Transport } from '../transport.js';
import { parseWwwAuthenticate } from './challenge.js';
import type { Challenge } from './challenge.js';
import type { Credential, CredentialProvider } from './credentials.js';
import { createTokenCache } from './token-cache.js';
import { raceAbort } from '../race-abort.js';

/** Whom a request is for: the registry as named in references (for credentials) and its host. */
export interface AuthTarget {
  readonly registry: string;
  readonly host: string;
  /** The registry request that is answered (its scheme says whether the registry is on plain HTTP). */
  readonly url: URL;
  /** `repository:<name>:pull`. */
  readonly scope: string;
  readonly site: RequestSite;
}

export interface Authorizer {
  /** The Authorization header to send up front, from what this host's earlier challenges taught. */
  authorizationFor(target: AuthTarget, scope: CallScope): Promise<string | undefined>;
  /**
   * Answers a 401: the header to retry with. Throws REGISTRY_UNAUTHORIZED when there is nothing
   * better to send than `refused`, the header that was just turned down.
   */
  answerChallenge(
    target: AuthTarget,
    wwwAuthenticate: string | undefined,
    refused: string | undefined,
    scope: CallScope,
  ): Promise<string>;
}

type HostScheme =
  | { readonly $case: 'basic' }
  | {
      readonly $case: 'bearer';
      readonly realm: URL;
      readonly service: string | undefined;
      /** Over TLS, or plain HTTP to the plain registry's own host and port: only then may credentials go there. */
      readonly credentialsAllowed: boolean;
    };

const TOKEN_RESPONSE_MAX_BYTES = 1024 * 1024;
/** Docker's token spec: a token without `expires_in` lives 60 seconds. */
const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;

function unauthorized(target: AuthTarget, reason: string, status: number): SignetError {
  return new SignetError('REGISTRY_UNAUTHORIZED', {
    stage: target.site.stage,
    reason: `registry ${target.host} ${reason}`,
    details: { host: target.host, status },
  });
}

function plainRealmRefused(target: AuthTarget, realm: URL): SignetError {
  return new SignetError('REGISTRY_UNAUTHORIZED', {
    stage: target.site.stage,
    reason:
      `registry ${target.host} named a plain-HTTP token realm on another host (${realm.host}); ` +
      `the credentials for ${target.registry} are not sent there`,
    remediation:
      "Serve the token realm over HTTPS, or from the plain-HTTP registry's own host and port: signet sends " +
      'credentials in clear text to no other host.',
    details: { host: target.host, status: 401 },
  });
}

function basicHeader(credential: Extract<Credential, { $case: 'basic' }>): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64')}`;
}

function parseTokenResponse(body: Buffer, site: RequestSite): { token: string; expiresInSeconds: number } {
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch {
    throw toProtocolError(site, 'the token response is not JSON', 200);
  }
  if (typeof document !== 'object' || document === null)
    throw toProtocolError(site, 'the token response is not an object', 200);
  const fields = document as Record<string, unknown>;
  const token = [fields['token'], fields['access_token']].find(
    (value) => typeof value === 'string' && value !== '',
  );
  if (typeof token !== 'string')
    throw toProtocolError(site, 'the token response has no token or access_token', 200);
  const expiresIn = fields['expires_in'];
  const expiresInSeconds =
    typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0
      ? expiresIn
      : DEFAULT_TOKEN_LIFETIME_SECONDS;
  return { token, expiresInSeconds };
}

export interface AuthorizerOptions {
  readonly transport: Transport;
  readonly credentials: CredentialProvider;
  /** Whether a token realm host may be asked for an anonymous token over plain HTTP. */
  readonly isInsecureHost: (host: string) => boolean;
  /** Bound on one shared token fetch, independent of any single caller's deadline. */
  readonly tokenFetchTimeoutMs: number;
  readonly now?: () => number;
}

/**
 * The WWW-Authenticate flow: anonymous first; on a Basic challenge the registry's credentials;
 * on a Bearer challenge a token from the realm (with Basic credentials, an identity token, or
 * anonymously), cached per host and scope until shortly before it expires.
 */
export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const schemes = new Map<string, HostScheme>();
  const tokens = createTokenCache(options.now);

  function tokenKey(host: string, scope: string): string {
    return `${host}\n${scope}`;
  }

  async function fetchToken(
    target: AuthTarget,
    scheme: Extract<HostScheme, { $case: 'bearer' }>,
    scopes: readonly string[],
  ): Promise<{ token: string; expiresInSeconds: number }> {
    const credential = await options.credentials(target.registry);
    if (credential !== undefined && !scheme.credentialsAllowed) throw plainRealmRefused(target, scheme.realm);
    const url = new URL(scheme.realm);
    const signal = AbortSignal.timeout(options.tokenFetchTimeoutMs);
    const headers: Record<string, string> = { Accept: 'application/json' };
    let body: string | undefined;
    if (credential?.$case === 'identityToken') {
      // OAuth2 refresh-token grant, as docker does for identity tokens.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credential.identityToken,
        client_id: 'signet',
      });
      if (scheme.service !== undefined) form.set('service', scheme.service);
      form.set('scope', scopes.join(' '));
      body = form.toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      if (scheme.service !== undefined) url.searchParams.set('service', scheme.service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      if (credential?.$case === 'basic') headers['Authorization'] = basicHeader(credential);
    }
    const site: RequestSite = {
      host: url.host,
      method: body === undefined ? 'GET' : 'POST',
      path: url.pathname,
      stage: target.site.stage,
    };
    const response = await options.transport.send(
      {
        method: body === undefined ? 'GET' : 'POST',
        url,
        headers,
        ...(body === undefined ? {} : { body }),
        site,
        namedBy: { url: target.url, site: target.site },
        maxBytes: TOKEN_RESPONSE_MAX_BYTES,
        tooLarge: () =>
          toProtocolError(site, `the token response is larger than ${TOKEN_RESPONSE_MAX_BYTES} bytes`, 200),
      },
      { signal },
    );
    if (response.status < 200 || response.status >= 300)
      throw toStatusError(site, response.status, response.body);
    return parseTokenResponse(response.body, site);
  }

  function bearerToken(
    target: AuthTarget,
    scheme: Extract<HostScheme, { $case: 'bearer' }>,
    scopes: readonly string[],
    scope: CallScope,
  ): Promise<string> {
    const shared = tokens.getOrFetch(tokenKey(target.host, target.scope), () =>
      fetchToken(target, scheme, scopes),
    );
    return raceAbort(shared, scope.signal).then((token) => `Bearer ${token}`);
  }

  function toBearerScheme(
    target: AuthTarget,
    challenge: Challenge,
  ): Extract<HostScheme, { $case: 'bearer' }> {
    const realmText = challenge.params.get('realm');
    if (realmText === undefined || realmText === '') {
      throw unauthorized(target, 'sent a Bearer challenge without a realm', 401);
    }
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw unauthorized(
        target,
        `sent a Bearer challenge with an invalid realm "${realmText.slice(0, 200)}"`,
        401,
      );
    }
    const registryOwnPlainHost =
      realm.protocol === 'http:' && target.url.protocol === 'http:' && realm.host === target.url.host;
    const plainAllowed =
      realm.protocol === 'http:' && (registryOwnPlainHost || options.isInsecureHost(realm.host));
    if (realm.protocol !== 'https:' && !plainAllowed) {
      throw unauthorized(
        target,
        `named a token realm ${realm.host} that is not HTTPS (and not configured as insecure)`,
        401,
      );
    }
    // An anonymous token may come from any permitted realm; credentials only over TLS or to the registry itself.
    return {
      $case: 'bearer',
      realm,
      service: challenge.params.get('service'),
      credentialsAllowed: realm.protocol === 'https:' || registryOwnPlainHost,
    };
  }

  return {
    async authorizationFor(target, scope) {
      const scheme = schemes.get(target.host);
      if (scheme === undefined) return undefined;
      if (scheme.$case === 'bearer') return bearerToken(target, scheme, [target.scope], scope);
      const credential = await options.credentials(target.registry);
      return credential?.$case === 'basic' ? basicHeader(credential) : undefined;
    },

    async answerChallenge(target, wwwAuthenticate, refused, scope) {
      const challenges = parseWwwAuthenticate(wwwAuthenticate ?? '');
      const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
      const basic = challenges.find((challenge) => challenge.scheme === 'basic');
      if (bearer !== undefined) {
        const scheme = toBearerScheme(target, bearer);
        schemes.set(target.host, scheme);
        // Whatever token was sent is stale or too narrow: mint a new one (the client retries once).
        tokens.delete(tokenKey(target.host, target.scope));
        const challengeScopes = (bearer.params.get('scope') ?? '').split(' ').filter((entry) => entry !== '');
        const scopes = [...new Set([target.scope, ...challengeScopes])];
        return bearerToken(target, scheme, scopes, scope);
      }
      if (basic !== undefined) {
        schemes.set(target.host, { $case: 'basic' });
        const credential = await options.credentials(target.registry);
        if (credential?.$case !== 'basic') {
          throw unauthorized(
            target,
            `requires Basic authentication and no username/password is configured for ${target.registry} (HTTP 401)`,
            401,
          );
        }
        const header = basicHeader(credential);
        if (header === refused)
          throw unauthorized(
            target,
            `refused the configured credentials for ${target.registry} (HTTP 401)`,
            401,
          );
        return header;
      }
      throw unauthorized(target, `answered HTTP 401 without a Basic or Bearer challenge`, 401);
    },
  };
}
