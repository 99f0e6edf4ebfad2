import { readFile } from 'node:fs/promises';
import { SignetError } from '../../errors.js';
import { DOCKER_HUB_REGISTRY, isDockerHub } from '../../reference/index.js';
import { CREDENTIAL_HELPER_NAME, type CredentialHelpers } from './credential-helpers.js';

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
  // An empty entry is docker's marker for a credential held by a helper (credsStore).
  return undefined;
}

/** What a docker `config.json` says about registry credentials, keyed by `toCredentialKey`. */
export interface DockerConfigAuth {
  /** `auths` entries that hold a credential (an empty entry, a helper's marker, is left out). */
  readonly auths: ReadonlyMap<string, Credential>;
  /** `credHelpers`: the helper (`docker-credential-<name>`) per registry. */
  readonly credHelpers: ReadonlyMap<string, string>;
  /** `credsStore`: the helper for every registry without an entry above. */
  readonly credsStore: string | undefined;
}

function helperName(value: unknown, source: string, field: string): string {
  if (typeof value !== 'string' || !CREDENTIAL_HELPER_NAME.test(value)) {
    throw configError(
      source,
      `${field} must be a credential helper name (letters, digits, "_", "." or "-"; docker-credential-<name> runs)`,
    );
  }
  return value;
}

function objectField(
  document: Record<string, unknown>,
  field: string,
  source: string,
): Record<string, unknown> {
  const value = document[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw configError(source, `"${field}" must be an object`);
  return value as Record<string, unknown>;
}

/**
 * The credentials of a docker `config.json` text: `auths` entries with `auth`, `username`/`password` or
 * `identitytoken`, `credHelpers` and `credsStore` (helper names checked, not run). `source` names the file.
 */
export function parseDockerConfig(text: string, source: string): DockerConfigAuth {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw configError(source, `is not JSON (${error instanceof Error ? error.message : 'parse error'})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw configError(source, 'must be a JSON object');
  }
  const document = parsed as Record<string, unknown>;
  const auths = new Map<string, Credential>();
  for (const [key, entry] of Object.entries(objectField(document, 'auths', source))) {
    const credential = toCredential(key, entry, source);
    if (credential !== undefined) auths.set(toCredentialKey(key), credential);
  }
  const credHelpers = new Map<string, string>();
  for (const [key, helper] of Object.entries(objectField(document, 'credHelpers', source))) {
    credHelpers.set(toCredentialKey(key), helperName(helper, source, `credHelpers["${key}"]`));
  }
  const store = document['credsStore'];
  const credsStore =
    store === undefined || store === null || store === ''
      ? undefined
      : helperName(store, source, 'credsStore');
  return { auths, credHelpers, credsStore };
}

/**
 * A docker config's credentials with its helpers run by `helpers`: `credHelpers[registry]`, else the
 * `auths` credential, else `credsStore`. (docker's CLI asks a `credsStore` before an inline `auths`
 * credential; an empty `auths` entry, which is what `docker login` writes beside a store, goes to the store
 * in both.)
 */
export function createDockerConfigAuthProvider(
  config: DockerConfigAuth,
  helpers: CredentialHelpers,
): CredentialProvider {
  return (registry) => {
    const key = toCredentialKey(registry);
    const helper = config.credHelpers.get(key);
    if (helper !== undefined) return helpers.get(helper, key);
    const credential = config.auths.get(key);
    if (credential !== undefined) return Promise.resolve(credential);
    return config.credsStore === undefined ? Promise.resolve(undefined) : helpers.get(config.credsStore, key);
  };
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

/**
 * Reads a docker `config.json` once (a config change builds a new client) and serves its credentials,
 * running its credential helpers through `helpers`.
 */
export async function createDockerConfigCredentialProvider(
  path: string,
  helpers: CredentialHelpers,
): Promise<CredentialProvider> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code =
      error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'unreadable';
    throw configError(path, `cannot be read (${code})`);
  }
  return createDockerConfigAuthProvider(parseDockerConfig(text, path), helpers);
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
