import { parseDockerConfig, toCredentialKey } from '../../../registry/index.js';
import { isRecord } from '../../schema/reader.js';

/** A Secret's `data` (base64 values) by namespace and name, as the controller's cache holds it. */
export type SecretLookup = (namespace: string, name: string) => Readonly<Record<string, string>> | undefined;

export interface SecretContext {
  readonly secrets: SecretLookup;
  /** signet reads Secrets only in its own namespace (a namespaced Role, never cluster-wide access). */
  readonly namespace: string;
  /** `imagePullSecrets` names of a ServiceAccount in that namespace; undefined when it does not exist. */
  readonly serviceAccountPullSecrets?: (name: string) => readonly string[] | undefined;
}

export interface SecretProblem {
  readonly path: string;
  readonly message: string;
}

const KEY_PROVIDER_KINDS = new Set([
  'KeyManagementProvider',
  'NamespacedKeyManagementProvider',
  'CertificateStore',
]);
const STORE_KINDS = new Set(['Store', 'NamespacedStore']);
const DOCKER_CONFIG_KEYS = ['.dockerconfigjson', '.dockercfg'] as const;

function decodeBase64(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

function readSecret(
  context: SecretContext,
  ref: unknown,
  path: string,
  nameField: string,
  problems: SecretProblem[],
): Readonly<Record<string, string>> | undefined {
  if (!isRecord(ref) || typeof ref[nameField] !== 'string' || ref[nameField] === '') {
    problems.push({ path, message: `must be a mapping with ${nameField} (and optionally namespace)` });
    return undefined;
  }
  const name = ref[nameField];
  const namespace =
    typeof ref.namespace === 'string' && ref.namespace !== '' ? ref.namespace : context.namespace;
  if (namespace !== context.namespace) {
    problems.push({
      path: `${path}.namespace`,
      message: `signet reads Secrets only in its own namespace "${context.namespace}", not "${namespace}"`,
    });
    return undefined;
  }
  const data = context.secrets(namespace, name);
  if (data === undefined) problems.push({ path, message: `Secret "${namespace}/${name}" does not exist` });
  return data;
}

/**
 * signet extension: a PEM field may come from a Secret, `valueFrom.secretKeyRef: { name, key }` beside
 * it instead of the field itself (`holderPath` is where `holder` sits, e.g. `spec.parameters`).
 */
function resolveValueFrom(
  holder: Record<string, unknown>,
  field: string,
  holderPath: string,
  context: SecretContext,
  problems: SecretProblem[],
): void {
  const valueFrom = holder.valueFrom;
  if (valueFrom === undefined || valueFrom === null) return;
  const path = `${holderPath}.valueFrom`;
  delete holder.valueFrom;
  if (holder[field] !== undefined && holder[field] !== null) {
    problems.push({ path, message: `set either ${field} or valueFrom, not both` });
    return;
  }
  const ref = isRecord(valueFrom) ? valueFrom.secretKeyRef : undefined;
  const refPath = `${path}.secretKeyRef`;
  const data = readSecret(context, ref, refPath, 'name', problems);
  if (data === undefined || !isRecord(ref)) return;
  const key = ref.key;
  if (typeof key !== 'string' || key === '') {
    problems.push({ path: `${refPath}.key`, message: 'is required' });
    return;
  }
  const encoded = data[key];
  if (encoded === undefined) {
    problems.push({
      path: `${refPath}.key`,
      message: `Secret "${context.namespace}/${String(ref.name)}" has no key "${key}"`,
    });
    return;
  }
  holder[field] = decodeBase64(encoded);
}

/**
 * kritis AttestationAuthority: `spec.valueFrom` stands for `spec.publicKeyData` (the PEM, which the parser
 * takes plain as well as base64), `publicKeys[i].pkixPublicKey.valueFrom` for that key's `publicKeyPem`.
 */
function resolveAuthorityKeys(
  spec: Record<string, unknown>,
  context: SecretContext,
  problems: SecretProblem[],
): void {
  resolveValueFrom(spec, 'publicKeyData', 'spec', context, problems);
  if (!Array.isArray(spec.publicKeys)) return;
  spec.publicKeys.forEach((entry: unknown, index) => {
    if (isRecord(entry) && isRecord(entry.pkixPublicKey)) {
      const path = `spec.publicKeys[${index}].pkixPublicKey`;
      resolveValueFrom(entry.pkixPublicKey, 'publicKeyPem', path, context, problems);
    }
  });
}

/** What `k8Secrets` Secrets add to a Store's `parameters.signet` (the raw fields, parsed later). */
interface SecretCredentials {
  readonly credentials: Record<string, unknown>;
  readonly credHelpers: Record<string, unknown>;
  credsStore: unknown;
}

/**
 * Adds one docker config Secret's basic credentials, `credHelpers` and `credsStore`. A registry that already
 * has credentials or a helper keeps them; within the Secret a registry's helper wins over its `auths` entry.
 */
function addDockerConfigCredentials(
  data: Readonly<Record<string, string>>,
  path: string,
  settings: SecretCredentials,
  problems: SecretProblem[],
): void {
  const key = DOCKER_CONFIG_KEYS.find((candidate) => data[candidate] !== undefined);
  const encoded = key === undefined ? undefined : data[key];
  if (key === undefined || encoded === undefined) {
    problems.push({
      path,
      message: `Secret has neither ${DOCKER_CONFIG_KEYS.join(' nor ')} (type kubernetes.io/dockerconfigjson)`,
    });
    return;
  }
  let text = decodeBase64(encoded);
  // `.dockercfg` is the pre-1.7 layout: the `auths` map itself.
  if (key === '.dockercfg') text = `{"auths":${text}}`;
  // Hosts as the docker config parser keys them; what the Store writes may be spelled otherwise (`GHCR.io`).
  const known = (host: string): boolean =>
    [...Object.keys(settings.credentials), ...Object.keys(settings.credHelpers)].some(
      (written) => toCredentialKey(written) === host,
    );
  try {
    const config = parseDockerConfig(text, `Secret ${key}`);
    for (const [host, helper] of config.credHelpers) if (!known(host)) settings.credHelpers[host] = helper;
    for (const [host, credential] of config.auths) {
      if (credential.$case !== 'basic' || known(host)) continue;
      settings.credentials[host] = { username: credential.username, password: credential.password };
    }
    if (settings.credsStore === undefined) settings.credsStore = config.credsStore;
  } catch (error) {
    problems.push({ path, message: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * Ratify's `k8Secrets` auth provider: the `imagePullSecrets` of `serviceAccountName` (default
 * `default`) in signet's namespace, then the docker config Secrets (`kubernetes.io/dockerconfigjson`
 * or the legacy `.dockercfg`) listed in `authProvider.secrets`, become the Store's per-registry basic
 * credentials (signet's `parameters.signet.credentials`, so they stay redacted `ConfigSecret`s) and credential
 * helpers (`credHelpers`, `credsStore`). What is written there explicitly wins over the Secrets, and an
 * earlier Secret over a later one.
 */
function resolveK8Secrets(
  parameters: Record<string, unknown>,
  context: SecretContext,
  problems: SecretProblem[],
): void {
  const auth = parameters.authProvider;
  if (!isRecord(auth) || auth.name !== 'k8Secrets') return;
  const signet = isRecord(parameters.signet) ? { ...parameters.signet } : {};
  const settings: SecretCredentials = {
    credentials: isRecord(signet.credentials) ? { ...signet.credentials } : {},
    credHelpers: isRecord(signet.credHelpers) ? { ...signet.credHelpers } : {},
    credsStore: signet.credsStore ?? undefined,
  };

  const accountPath = 'spec.parameters.authProvider.serviceAccountName';
  const explicitAccount = typeof auth.serviceAccountName === 'string' && auth.serviceAccountName !== '';
  const accountName = explicitAccount ? String(auth.serviceAccountName) : 'default';
  const pullSecrets = context.serviceAccountPullSecrets?.(accountName);
  // The `default` account may not exist (no controller manager); one named explicitly must.
  if (pullSecrets === undefined && explicitAccount) {
    problems.push({
      path: accountPath,
      message: `ServiceAccount "${context.namespace}/${accountName}" does not exist`,
    });
  }
  for (const secretName of pullSecrets ?? []) {
    const data = readSecret(context, { secretName }, accountPath, 'secretName', problems);
    if (data !== undefined) addDockerConfigCredentials(data, accountPath, settings, problems);
  }
  (Array.isArray(auth.secrets) ? auth.secrets : []).forEach((entry: unknown, index) => {
    const path = `spec.parameters.authProvider.secrets[${index}]`;
    const data = readSecret(context, entry, path, 'secretName', problems);
    if (data !== undefined) addDockerConfigCredentials(data, path, settings, problems);
  });
  const { credentials, credHelpers, credsStore } = settings;
  const found = {
    ...(Object.keys(credentials).length > 0 ? { credentials } : {}),
    ...(Object.keys(credHelpers).length > 0 ? { credHelpers } : {}),
    ...(credsStore === undefined ? {} : { credsStore }),
  };
  if (Object.keys(found).length > 0) parameters.signet = { ...signet, ...found };
}

/**
 * Replaces Secret references in one object (already a private deep copy) by the Secrets' content,
 * so the shared parser sees a plain resource. Problems name the field that holds the reference.
 */
export function resolveSecretReferences(
  kind: string,
  spec: unknown,
  context: SecretContext,
): SecretProblem[] {
  const problems: SecretProblem[] = [];
  if (kind === 'AttestationAuthority' && isRecord(spec)) resolveAuthorityKeys(spec, context, problems);
  const parameters = isRecord(spec) && isRecord(spec.parameters) ? spec.parameters : undefined;
  if (parameters === undefined) return problems;
  if (KEY_PROVIDER_KINDS.has(kind))
    resolveValueFrom(parameters, 'value', 'spec.parameters', context, problems);
  if (STORE_KINDS.has(kind)) resolveK8Secrets(parameters, context, problems);
  return problems;
}
