import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import type { TokenCredential } from '@azure/identity';
import type { CertificateClient } from '@azure/keyvault-certificates';
import type { KeyClient } from '@azure/keyvault-keys';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { PublicKey, X509Certificate } from '@peculiar/x509';
import { isLoopbackRegistryHost } from '../../../registry/index.js';
import type { AzureKeyVaultObject, AzureKeyVaultSettings } from '../../config.types.js';
import { toPublicKey } from './jwk-public-key.js';

/** One vault object as fetched, for the resource's status. */
export interface KeyVaultObjectStatus {
  readonly type: 'certificate' | 'key';
  readonly name: string;
  /** The version fetched (the latest when none is pinned); undefined when the object could not be read. */
  readonly version: string | undefined;
  readonly enabled: boolean | undefined;
  /** Why the object is not usable; undefined when it is. */
  readonly error: string | undefined;
}

/** What one provider's vault objects gave: all of them, or a problem (then no material at all: fail closed). */
export interface KeyVaultMaterial {
  readonly certificates: readonly X509Certificate[];
  readonly publicKeys: readonly PublicKey[];
  readonly objects: readonly KeyVaultObjectStatus[];
  /** Every unusable object, `; `-joined; the provider serves nothing while this is set. */
  readonly problem: string | undefined;
  /** Equal for equal material (certificate and key bytes, versions, problem): a change is a new configuration. */
  readonly fingerprint: string;
}

export interface KeyVaultFetcherOptions {
  /** The Entra ID credential for a provider's settings (workload identity, `clientID` overriding the environment). */
  readonly credentialFor: (settings: AzureKeyVaultSettings, owner: string) => TokenCredential;
  /** A Node agent for vault requests (a private CA); default: Node's, which honours NODE_EXTRA_CA_CERTS. */
  readonly agent?: Agent;
  readonly now?: () => Date;
}

/** One provider's fetch may not outlast this, whatever the vault does. */
export const KEY_VAULT_FETCH_TIMEOUT_MS = 30_000;
/** Objects one provider may name (Ratify has no bound; a vault page holds 25). */
export const MAX_KEY_VAULT_OBJECTS = 64;
const MAX_RETRIES = 2;

interface RestErrorLike {
  readonly statusCode?: number;
  readonly code?: string;
  readonly message: string;
}

function isRestError(error: unknown): error is RestErrorLike {
  return error instanceof Error && error.name === 'RestError';
}

function describeFailure(error: unknown): string {
  if (isRestError(error)) {
    const status = error.statusCode === undefined ? '' : `HTTP ${error.statusCode}`;
    const code = error.code === undefined ? '' : ` ${error.code}`;
    // Key Vault's messages name the object and the operation, never a secret value.
    return `${status}${code}: ${error.message.slice(0, 300)}`.trim();
  }
  if (error instanceof Error && error.name === 'AbortError')
    return `no answer within ${KEY_VAULT_FETCH_TIMEOUT_MS} ms`;
  return error instanceof Error ? error.message.slice(0, 300) : String(error);
}

function describeObject(type: 'certificate' | 'key', object: AzureKeyVaultObject): string {
  return `${type} ${object.name}${object.version === undefined ? ' (latest version)' : ` version ${object.version}`}`;
}

/** Whether the vault object may be used now: enabled, and inside its notBefore/expires window. */
function unusableReason(
  attributes: { enabled?: boolean; expiresOn?: Date; notBefore?: Date },
  now: Date,
): string | undefined {
  if (attributes.enabled === false) return 'is disabled';
  if (attributes.expiresOn !== undefined && attributes.expiresOn <= now)
    return `expired at ${attributes.expiresOn.toISOString()}`;
  if (attributes.notBefore !== undefined && attributes.notBefore > now)
    return `is not valid before ${attributes.notBefore.toISOString()}`;
  return undefined;
}

interface VaultClients {
  readonly certificates: CertificateClient;
  readonly secrets: SecretClient;
  readonly keys: KeyClient;
}

/**
 * Reads a provider's certificates and keys as Ratify does: a certificate through its secret (the secret holds
 * the chain, as `application/x-pem-file` or `application/x-pkcs12`), after the certificate object says which
 * version is current and whether it is enabled; a key through the keys API (its JWK's public half).
 */
export function createKeyVaultFetcher(options: KeyVaultFetcherOptions) {
  const now = options.now ?? (() => new Date());
  // Kept across refreshes, so the SDKs' token caches and challenge state outlive one fetch.
  const clientsByVault = new Map<string, VaultClients>();

  async function clientsFor(settings: AzureKeyVaultSettings, owner: string): Promise<VaultClients> {
    const key = JSON.stringify([settings.vaultURI, settings.tenantID, settings.clientID, settings.cloudName]);
    const known = clientsByVault.get(key);
    if (known !== undefined) return known;
    const credential = options.credentialFor(settings, owner);
    // Loaded on first use: the SDKs cost tens of MiB that a signet without vault providers does not need.
    const [{ CertificateClient }, { SecretClient }, { KeyClient }] = await Promise.all([
      import('@azure/keyvault-certificates'),
      import('@azure/keyvault-secrets'),
      import('@azure/keyvault-keys'),
    ]);
    const clientOptions = {
      // Challenge auth checks that the token's resource is the vault's domain. A loopback vault (an emulator, a
      // local proxy) cannot be a subdomain of it; the token then never leaves the host, so the check is skipped.
      disableChallengeResourceVerification: isLoopbackRegistryHost(new URL(settings.vaultURI).host),
      retryOptions: { maxRetries: MAX_RETRIES },
      ...(options.agent === undefined ? {} : { agent: options.agent }),
    };
    const clients = {
      certificates: new CertificateClient(settings.vaultURI, credential, clientOptions),
      secrets: new SecretClient(settings.vaultURI, credential, clientOptions),
      keys: new KeyClient(settings.vaultURI, credential, clientOptions),
    };
    clientsByVault.set(key, clients);
    return clients;
  }

  async function fetchCertificate(
    clients: VaultClients,
    object: AzureKeyVaultObject,
    signal: AbortSignal,
  ): Promise<{ status: KeyVaultObjectStatus; certificates: X509Certificate[] }> {
    const described = describeObject('certificate', object);
    const failed = (version: string | undefined, enabled: boolean | undefined, error: string) => ({
      status: {
        type: 'certificate' as const,
        name: object.name,
        version,
        enabled,
        error: `${described} ${error}`,
      },
      certificates: [],
    });
    let version: string | undefined;
    let enabled: boolean | undefined;
    try {
      const certificate =
        object.version === undefined
          ? await clients.certificates.getCertificate(object.name, { abortSignal: signal })
          : await clients.certificates.getCertificateVersion(object.name, object.version, {
              abortSignal: signal,
            });
      version = certificate.properties.version;
      enabled = certificate.properties.enabled;
      const unusable = unusableReason(certificate.properties, now());
      if (unusable !== undefined) return failed(version, enabled, unusable);
      const secret = await clients.secrets.getSecret(object.name, {
        ...(version === undefined ? {} : { version }),
        abortSignal: signal,
      });
      // Loaded on first use: its PKCS#12 parser (pkijs) is ~600 KiB of code a signet without vaults never runs.
      const { parseCertificateSecret, toTrustAnchors } = await import('./certificate-secret.js');
      const chain = await parseCertificateSecret(secret.value ?? '', secret.properties.contentType);
      if (!chain.ok) return failed(version, enabled, `: its secret ${chain.message}`);
      const anchors = toTrustAnchors(chain.value);
      if (anchors.length === 0)
        return failed(version, enabled, 'holds neither a CA certificate nor a self-signed one to trust');
      return {
        status: { type: 'certificate', name: object.name, version, enabled, error: undefined },
        certificates: anchors,
      };
    } catch (error) {
      return failed(version, enabled, `could not be read (${describeFailure(error)})`);
    }
  }

  async function fetchKey(
    clients: VaultClients,
    object: AzureKeyVaultObject,
    signal: AbortSignal,
  ): Promise<{ status: KeyVaultObjectStatus; publicKeys: PublicKey[] }> {
    const described = describeObject('key', object);
    try {
      const key = await clients.keys.getKey(object.name, {
        ...(object.version === undefined ? {} : { version: object.version }),
        abortSignal: signal,
      });
      const { version, enabled } = key.properties;
      const unusable = unusableReason(key.properties, now());
      const publicKey = key.key === undefined ? undefined : toPublicKey(key.key);
      const error =
        unusable ??
        (publicKey === undefined ? 'has no key material' : publicKey.ok ? undefined : publicKey.message);
      return {
        status: {
          type: 'key',
          name: object.name,
          version,
          enabled,
          error: error === undefined ? undefined : `${described} ${error}`,
        },
        publicKeys: error === undefined && publicKey?.ok === true ? [publicKey.value] : [],
      };
    } catch (error) {
      return {
        status: {
          type: 'key',
          name: object.name,
          version: undefined,
          enabled: undefined,
          error: `${described} could not be read (${describeFailure(error)})`,
        },
        publicKeys: [],
      };
    }
  }

  /** Every object of one provider; never throws: what went wrong is the material's `problem`. */
  async function fetchMaterial(settings: AzureKeyVaultSettings, owner: string): Promise<KeyVaultMaterial> {
    const signal = AbortSignal.timeout(KEY_VAULT_FETCH_TIMEOUT_MS);
    let clients: VaultClients;
    try {
      if (settings.certificates.length + settings.keys.length > MAX_KEY_VAULT_OBJECTS)
        throw new Error(`names more than ${MAX_KEY_VAULT_OBJECTS} certificates and keys`);
      clients = await clientsFor(settings, owner);
    } catch (error) {
      return toMaterial([], [], [], [error instanceof Error ? error.message : String(error)]);
    }
    const [certificates, keys] = await Promise.all([
      Promise.all(settings.certificates.map((object) => fetchCertificate(clients, object, signal))),
      Promise.all(settings.keys.map((object) => fetchKey(clients, object, signal))),
    ]);
    const objects = [...certificates.map((c) => c.status), ...keys.map((k) => k.status)];
    return toMaterial(
      certificates.flatMap((c) => c.certificates),
      keys.flatMap((k) => k.publicKeys),
      objects,
      objects.flatMap((object) => (object.error === undefined ? [] : [object.error])),
    );
  }

  return { fetchMaterial };
}

export type KeyVaultFetcher = ReturnType<typeof createKeyVaultFetcher>;

function toMaterial(
  certificates: readonly X509Certificate[],
  publicKeys: readonly PublicKey[],
  objects: readonly KeyVaultObjectStatus[],
  problems: readonly string[],
): KeyVaultMaterial {
  const problem = problems.length === 0 ? undefined : problems.join('; ');
  const hash = createHash('sha256');
  for (const certificate of certificates) hash.update(Buffer.from(certificate.rawData));
  hash.update('\0keys\0');
  for (const key of publicKeys) hash.update(Buffer.from(key.rawData));
  hash.update(JSON.stringify([objects, problem]));
  return problem === undefined
    ? { certificates, publicKeys, objects, problem, fingerprint: hash.digest('hex') }
    : // Fail closed: one unusable object withholds the provider's whole material, as Ratify's provider errors.
      { certificates: [], publicKeys: [], objects, problem, fingerprint: hash.digest('hex') };
}
