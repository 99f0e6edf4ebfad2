import { AWS_ECR_CREDENTIAL_HELPER, CREDENTIAL_HELPER_NAME } from '../../registry/index.js';
import { ConfigSecret } from '../config-secret.js';
import type {
  AuthProviderConfig,
  AuthProviderName,
  RegistryCredential,
  ResourceId,
  SignetRegistrySettings,
  StoreConfig,
} from '../config.types.js';
import { isRecord } from './reader.js';
import type { FieldReader, Node } from './reader.js';

const STORE_SPEC_FIELDS = ['name', 'version', 'address', 'source', 'parameters'] as const;
const AUTH_PROVIDERS: readonly AuthProviderName[] = [
  'dockerConfig',
  'k8Secrets',
  'azureWorkloadIdentity',
  'azureManagedIdentity',
  'awsEcrBasic',
];
const SIGNET_FIELDS = ['insecureRegistries', 'credentials', 'credHelpers', 'credsStore'] as const;
const CREDENTIAL_FIELDS = ['username', 'password'] as const;

/** `host`, `host:port`, `[ipv6]:port` — what a registry reference starts with. */
const REGISTRY_HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const REGISTRY_HOST_HINT = 'must be a registry host such as "registry.example.com" or "127.0.0.1:5000"';
const HELPER_NAME_HINT =
  'must be a credential helper name such as "ecr-login" (letters, digits, "_", "." or "-"; docker-credential-<name> runs)';

export function readParameters(
  reader: FieldReader,
  spec: Node,
): { node: Node; value: Readonly<Record<string, unknown>> } {
  const node = reader.child(spec, 'parameters');
  const mapping = reader.mapping(node);
  return { node, value: mapping !== undefined && isRecord(mapping.value) ? mapping.value : {} };
}

function readAuthProvider(reader: FieldReader, node: Node): AuthProviderConfig {
  const fallback: AuthProviderConfig = { name: 'dockerConfig', configPath: undefined, params: {} };
  const mapping = reader.mapping(node);
  if (mapping === undefined || !isRecord(mapping.value)) return fallback;
  const params = mapping.value;
  const name = reader.oneOf(reader.child(node, 'name'), AUTH_PROVIDERS, { required: true });
  switch (name) {
    case undefined:
      return fallback;
    case 'dockerConfig':
      return {
        name,
        configPath: reader.string(reader.child(node, 'configPath'), { nonEmpty: true }),
        params,
      };
    case 'k8Secrets': {
      const secrets = reader.list(reader.child(node, 'secrets'), (item) => {
        if (reader.mapping(item, { required: true }) === undefined) return undefined;
        reader.knownFields(item, ['secretName', 'namespace']);
        const secretName = reader.string(reader.child(item, 'secretName'), {
          required: true,
          nonEmpty: true,
        });
        const namespace = reader.string(reader.child(item, 'namespace'), { nonEmpty: true });
        return secretName === undefined ? undefined : { secretName, namespace };
      });
      const serviceAccountName = reader.string(reader.child(node, 'serviceAccountName'), { nonEmpty: true });
      return { name, serviceAccountName: serviceAccountName ?? 'default', secrets: secrets ?? [], params };
    }
    case 'azureWorkloadIdentity':
    case 'azureManagedIdentity':
      reader.string(reader.child(node, 'clientID'));
      return { name, params };
    case 'awsEcrBasic':
      return { name, params };
  }
}

function readRegistryHost(reader: FieldReader, node: Node, host: string): string | undefined {
  if (REGISTRY_HOST.test(host)) return host.toLowerCase();
  reader.report(node, REGISTRY_HOST_HINT);
  return undefined;
}

function readHelperName(reader: FieldReader, node: Node): string | undefined {
  const name = reader.string(node, { nonEmpty: true });
  if (name === undefined || CREDENTIAL_HELPER_NAME.test(name)) return name;
  reader.report(node, HELPER_NAME_HINT);
  return undefined;
}

function readSignetSettings(reader: FieldReader, node: Node): SignetRegistrySettings {
  const settings: SignetRegistrySettings = {
    insecureRegistries: [],
    credentials: {},
    credHelpers: {},
    credsStore: undefined,
  };
  if (reader.mapping(node) === undefined) return settings;
  reader.knownFields(node, SIGNET_FIELDS);
  const insecureRegistries = reader.list(reader.child(node, 'insecureRegistries'), (item) => {
    const host = reader.string(item, { required: true, nonEmpty: true });
    return host === undefined ? undefined : readRegistryHost(reader, item, host);
  });
  const credentials: Record<string, RegistryCredential> = {};
  for (const [host, entry] of reader.entries(reader.child(node, 'credentials')) ?? []) {
    const normalized = readRegistryHost(reader, entry, host);
    if (reader.mapping(entry, { required: true }) === undefined) continue;
    reader.knownFields(entry, CREDENTIAL_FIELDS);
    const username = reader.string(reader.child(entry, 'username'), { required: true, nonEmpty: true });
    const password = reader.string(reader.child(entry, 'password'), { required: true, nonEmpty: true });
    if (normalized === undefined || username === undefined || password === undefined) continue;
    if (Object.hasOwn(credentials, normalized)) {
      reader.report(entry, `duplicate credentials for registry "${normalized}"`);
      continue;
    }
    credentials[normalized] = { username, password: new ConfigSecret(password) };
  }
  const credHelpers: Record<string, string> = {};
  for (const [host, entry] of reader.entries(reader.child(node, 'credHelpers')) ?? []) {
    const normalized = readRegistryHost(reader, entry, host);
    const helper = readHelperName(reader, entry);
    if (normalized === undefined || helper === undefined) continue;
    if (Object.hasOwn(credHelpers, normalized)) {
      reader.report(entry, `duplicate credential helper for registry "${normalized}"`);
      continue;
    }
    if (Object.hasOwn(credentials, normalized)) {
      reader.report(entry, `registry "${normalized}" has credentials and a credential helper: keep one`);
      continue;
    }
    credHelpers[normalized] = helper;
  }
  const credsStore = readHelperName(reader, reader.child(node, 'credsStore'));
  return { insecureRegistries: insecureRegistries ?? [], credentials, credHelpers, credsStore };
}

/** `Store` / `NamespacedStore`: Ratify's built-in ORAS store plus signet's registry extension. */
export function parseStoreSpec(
  reader: FieldReader,
  spec: Node,
  resource: ResourceId,
): StoreConfig | undefined {
  reader.knownFields(spec, STORE_SPEC_FIELDS);
  const name = reader.oneOf(reader.child(spec, 'name'), ['oras'] as const, { required: true });
  reader.string(reader.child(spec, 'version'));
  reader.string(reader.child(spec, 'address'));
  reader.mapping(reader.child(spec, 'source'));
  const parameters = readParameters(reader, spec);
  const param = (key: string): Node => reader.child(parameters.node, key);
  const useHttp = reader.boolean(param('useHttp'), false);
  const cosignEnabled = reader.boolean(param('cosignEnabled'), false);
  const localCachePath = reader.string(param('localCachePath'));
  reader.boolean(param('cacheEnabled'), false);
  for (const key of ['capacity', 'keyNumber', 'ttl']) reader.positiveNumber(param(key));
  const authProvider = readAuthProvider(reader, param('authProvider'));
  const signet = readSignetSettings(reader, param('signet'));
  if (authProvider.name === 'awsEcrBasic' && signet.credsStore !== undefined) {
    reader.report(
      reader.child(param('signet'), 'credsStore'),
      `awsEcrBasic runs docker-credential-${AWS_ECR_CREDENTIAL_HELPER} as the Store's default helper; set one of the two`,
    );
  }
  if (name === undefined) return undefined;
  return {
    $case: 'store',
    resource,
    name,
    useHttp,
    cosignEnabled,
    authProvider,
    localCachePath,
    signet,
    // The typed `signet` settings hold secrets; the raw copy leaves them out so logging it is safe.
    parameters: Object.fromEntries(Object.entries(parameters.value).filter(([key]) => key !== 'signet')),
  };
}
