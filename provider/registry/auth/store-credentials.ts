import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  AWS_ECR_CREDENTIAL_HELPER,
  createCredentialHelpers,
  type CredentialHelpers,
} from './credential-helpers.js';
import {
  chainCredentialProviders,
  createDockerConfigAuthProvider,
  createDockerConfigCredentialProvider,
  toCredentialKey,
  type Credential,
  type CredentialProvider,
} from './credentials.js';
import {
  createAzureStoreCredentialProvider,
  isAzureAuthProvider,
  type AzureStoreAuthOptions,
} from './azure-container-registry.js';

/**
 * What credential lookup needs of a Store (a structural subset of the configuration's `StoreConfig`, so this
 * floor does not import the configuration's).
 */
export interface StoreCredentialSettings {
  /** Ratify's `authProvider`. */
  readonly authProvider: {
    readonly name: string;
    readonly configPath?: string | undefined;
    /** The provider's fields as written (`clientID`, `endpoints` for the Azure providers). */
    readonly params?: Readonly<Record<string, unknown>>;
  };
  /** signet extension: static credentials by registry host, tried before the auth provider. */
  readonly signet: {
    readonly credentials: Readonly<
      Record<string, { readonly username: string; readonly password: { reveal(): string } }>
    >;
    /** Credential helper per registry host, tried before `credentials`. */
    readonly credHelpers: Readonly<Record<string, string>>;
    /** The helper tried last, for registries nothing else of the Store has credentials for. */
    readonly credsStore: string | undefined;
  };
}

/** Where Ratify's `dockerConfig` auth provider reads from when no path is configured. */
export function defaultDockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/**
 * Credentials for one snapshot's Stores, per Store: its credential helper for the registry (`credHelpers`),
 * else its static credentials, then its docker config, then its default helper (`credsStore`, or
 * `docker-credential-ecr-login` for Ratify's `awsEcrBasic`), or ACR tokens for `azureWorkloadIdentity` /
 * `azureManagedIdentity` (`azure` options). The default docker config path may be absent; an
 * explicitly configured one may not. `helpers` runs the helpers (one instance shares its cache across snapshots).
 */
export function createStoreCredentialProvider(
  stores: readonly StoreCredentialSettings[],
  helpers: CredentialHelpers = createCredentialHelpers(),
  azure: AzureStoreAuthOptions = {},
): CredentialProvider {
  const providers: CredentialProvider[] = [];
  for (const store of stores) {
    const fixed = new Map<string, Credential>(
      Object.entries(store.signet.credentials).map(([host, c]) => [
        toCredentialKey(host),
        { $case: 'basic', username: c.username, password: c.password.reveal() },
      ]),
    );
    const credHelpers = new Map(
      Object.entries(store.signet.credHelpers).map(([host, helper]) => [toCredentialKey(host), helper]),
    );
    providers.push(
      createDockerConfigAuthProvider({ auths: fixed, credHelpers, credsStore: undefined }, helpers),
    );
    if (store.authProvider.name === 'dockerConfig') {
      const explicit = store.authProvider.configPath;
      const loading = createDockerConfigCredentialProvider(
        explicit ?? defaultDockerConfigPath(),
        helpers,
      ).catch((error: unknown): CredentialProvider => {
        if (explicit !== undefined) throw error;
        return () => Promise.resolve(undefined);
      });
      providers.push(async (registry) => (await loading)(registry));
    }
    const authName = store.authProvider.name;
    if (isAzureAuthProvider(authName))
      providers.push(createAzureStoreCredentialProvider(authName, store.authProvider.params ?? {}, azure));
    const defaultHelper =
      store.signet.credsStore ??
      (store.authProvider.name === 'awsEcrBasic' ? AWS_ECR_CREDENTIAL_HELPER : undefined);
    if (defaultHelper !== undefined)
      providers.push((registry) => helpers.get(defaultHelper, toCredentialKey(registry)));
  }
  return chainCredentialProviders(providers);
}
