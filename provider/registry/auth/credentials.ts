import { readFile } from 'node:fs/promises';
import { SignetError } from '../../errors.js';
import { DOCKER_HUB_REGISTRY, isDockerHub } from '../../reference/index.js';

/** A registry credential. Never logged, never put in an error. */
export type Credential =
  | { readonly $case: 'basic'; readonly username: string; readonly password: string }
  /** An OAuth2 refresh token (docker config `identitytoken`), exchanged at the token endpoint. */
  | { readonly $case: 'identityToken'; readonly identityToken: string };

/** Credentials for a registry name as written in references (`docker.io`, `host:port`). */
export type CredentialProvider = (registry: string) => Promise<Credential | undefined>;

/**
 * The lookup key for a registry as docker config.json writes it: scheme and path dropped
 * (`https://index.docker.io/v1/` → `docker.io`), lowercased, Docker Hub aliases unified.
 */
export function toCredentialKey(registry: string): string {
  const withoutScheme = registry.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = withoutScheme.split('/')[0] ?? '';
  const lowered = host.toLowerCase();
  return isDockerHub(lowered) ? DOCKER_HUB_REGISTRY : lowered;
}

function configError(source: string, reason: string): SignetError {
  return new SignetError('CONFIG_INVALID', { stage: 'config', reason: `docker config ${source}: ${reason}` });
}

function optionalString(
  entry: Record<string, unknown>,
  field: string,
  source: string,
  key: string,
): string | undefined {
  const value = entry[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw configError(source, `auths["${key}"].${field} must be a string`);
  return value;
}

function toCredential(key: string, entry: unknown, source: string): Credential | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw configError(source, `auths["${key}"] must be an object`);
  }
  const fields = entry as Record<string, unknown>;
  const identityToken = optionalString(fields, 'identitytoken', source, key);
  if (identityToken !== undefined) return { $case: 'identityToken', identityToken };
  const auth = optionalString(fields, 'auth', source, key);
  if (auth !== undefined) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw configError(source, `auths["${key}"].auth is not base64 of "username:password"`);
    return { $case: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const username = optionalString(fields, 'username', source, key);
  const password = optionalString(fields, 'password', source, key);
  if (username !== undefined && password !== undefined) return { $case: 'basic', username, password };
  if (username !== undefined || password !== undefined) {
    throw configError(source, `auths["${key}"] has a username or a password but not both`);
  }
  // An empty entry means a credential helper holds the secret; signet does not run helpers.
  return undefined;
}

/**
 * Credentials from the text of a docker `config.json` (`auths` entries with `auth`,
 * `username`/`password` or `identitytoken`). `source` names the file in errors.
 */
export function parseDockerConfig(text: string, source: string): ReadonlyMap<string, Credential> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw configError(source, `is not JSON (${error instanceof Error ? error.message : 'parse error'})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw configError(source, 'must be a JSON object');
  }
  const auths = (parsed as Record<string, unknown>)['auths'];
  const credentials = new Map<string, Credential>();
  if (auths === undefined) return credentials;
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) {
    throw configError(source, '"auths" must be an object');
  }
  for (const [key, entry] of Object.entries(auths)) {
    const credential = toCredential(key, entry, source);
    if (credential !== undefined) credentials.set(toCredentialKey(key), credential);
  }
  return credentials;
}

/** A provider over a fixed map keyed by registry (any form `toCredentialKey` understands). */
export function createStaticCredentialProvider(
  credentials: ReadonlyMap<string, Credential>,
): CredentialProvider {
  const byKey = new Map(
    [...credentials].map(([registry, credential]) => [toCredentialKey(registry), credential]),
  );
  return (registry) => Promise.resolve(byKey.get(toCredentialKey(registry)));
}

/** Reads a docker `config.json` once (a config change builds a new client) and serves its `auths`. */
export async function createDockerConfigCredentialProvider(path: string): Promise<CredentialProvider> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code =
      error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'unreadable';
    throw configError(path, `cannot be read (${code})`);
  }
  return createStaticCredentialProvider(parseDockerConfig(text, path));
}

/** The first provider that has a credential for the registry wins. */
export function chainCredentialProviders(providers: readonly CredentialProvider[]): CredentialProvider {
  return async (registry) => {
    for (const provider of providers) {
      const credential = await provider(registry);
      if (credential !== undefined) return credential;
    }
    return undefined;
  };
}
