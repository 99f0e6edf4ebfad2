import { parse as parseYaml } from 'yaml';
import type {
  AzureKeyVaultObject,
  AzureKeyVaultSettings,
  KeyProviderConfig,
  ResourceId,
} from '../config.types.js';
import { parsePemCertificates, parsePemPublicKey } from './pem.js';
import type { FieldReader, Node } from './reader.js';
import { isRecord } from './reader.js';
import { readParameters } from './store.js';

/** An inline value larger than this is not a certificate bundle. */
export const MAX_INLINE_VALUE_BYTES = 1024 * 1024;

const KMP_SPEC_FIELDS = ['type', 'provider', 'refreshInterval', 'interval', 'parameters'] as const;
const CERTIFICATE_STORE_SPEC_FIELDS = ['provider', 'parameters'] as const;
const PROVIDERS = ['inline', 'azurekeyvault'] as const;
type ProviderName = (typeof PROVIDERS)[number];

/** Go's time.ParseDuration syntax, which Ratify uses for refreshInterval (`1h30m`). */
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;

interface ProviderMaterial {
  readonly certificates: KeyProviderConfig['certificates'];
  readonly publicKeys: KeyProviderConfig['publicKeys'];
  readonly azureKeyVault: AzureKeyVaultSettings | undefined;
}

const NO_MATERIAL: ProviderMaterial = { certificates: [], publicKeys: [], azureKeyVault: undefined };

function readInlineValue(reader: FieldReader, node: Node): string | undefined {
  const value = reader.string(node, { required: true, nonEmpty: true });
  if (value === undefined) return undefined;
  if (Buffer.byteLength(value) > MAX_INLINE_VALUE_BYTES) {
    reader.report(node, `must be at most ${MAX_INLINE_VALUE_BYTES} bytes`);
    return undefined;
  }
  return value;
}

function readInlineCertificates(reader: FieldReader, valueNode: Node): ProviderMaterial {
  const value = readInlineValue(reader, valueNode);
  if (value === undefined) return NO_MATERIAL;
  const parsed = parsePemCertificates(value);
  if (!parsed.ok) {
    reader.report(valueNode, parsed.message);
    return NO_MATERIAL;
  }
  return { ...NO_MATERIAL, certificates: parsed.value };
}

function readInlineKey(reader: FieldReader, valueNode: Node): ProviderMaterial {
  const value = readInlineValue(reader, valueNode);
  if (value === undefined) return NO_MATERIAL;
  const parsed = parsePemPublicKey(value);
  if (!parsed.ok) {
    reader.report(valueNode, parsed.message);
    return NO_MATERIAL;
  }
  return { ...NO_MATERIAL, publicKeys: [parsed.value] };
}

function readVaultObjects(
  reader: FieldReader,
  node: Node,
  nameField: string,
  versionField: string,
): AzureKeyVaultObject[] {
  return (
    reader.list(node, (item) => {
      if (reader.mapping(item, { required: true }) === undefined) return undefined;
      const name = reader.string(reader.child(item, nameField), { required: true, nonEmpty: true });
      const version = reader.string(reader.child(item, versionField));
      reader.positiveNumber(reader.child(item, 'versionHistoryLimit'));
      return name === undefined ? undefined : { name, version: version === '' ? undefined : version };
    }) ?? []
  );
}

/**
 * The deprecated CertificateStore wrote AKV certificates as a YAML string,
 * `array:\n  - |\n    certificateName: x\n    certificateVersion: y`; newer files use a list.
 */
function readLegacyVaultCertificates(reader: FieldReader, node: Node): AzureKeyVaultObject[] {
  if (typeof node.value !== 'string')
    return readVaultObjects(reader, node, 'certificateName', 'certificateVersion');
  const entries: unknown[] = [];
  try {
    const outer: unknown = parseYaml(node.value);
    const array = isRecord(outer) ? outer.array : undefined;
    if (!Array.isArray(array)) throw new TypeError('no "array:" list');
    for (const entry of array) entries.push(typeof entry === 'string' ? parseYaml(entry) : entry);
  } catch {
    reader.report(
      node,
      'must be a list of certificates or Ratify\'s "array:" string of certificateName/certificateVersion entries',
    );
    return [];
  }
  return readVaultObjects(
    reader,
    { value: entries, path: node.path },
    'certificateName',
    'certificateVersion',
  );
}

function readAzureKeyVault(
  reader: FieldReader,
  parameters: Node,
  legacyCertificates: boolean,
): ProviderMaterial {
  const param = (key: string): Node => reader.child(parameters, key);
  const vaultURI = reader.string(param('vaultURI'), { required: true, nonEmpty: true });
  if (vaultURI !== undefined && !URL.canParse(vaultURI)) reader.report(param('vaultURI'), 'must be a URL');
  const tenantID = reader.string(param('tenantID'), { required: true, nonEmpty: true });
  const clientID = reader.string(param('clientID'), { required: true, nonEmpty: true });
  const cloudName = reader.string(param('cloudName'), { nonEmpty: true });
  reader.string(param('resource'));
  const certificates = legacyCertificates
    ? readLegacyVaultCertificates(reader, param('certificates'))
    : readVaultObjects(reader, param('certificates'), 'name', 'version');
  const keys = readVaultObjects(reader, param('keys'), 'name', 'version');
  if (!reader.isPresent(param('certificates')) && !reader.isPresent(param('keys'))) {
    reader.report(parameters, 'at least one of certificates or keys is required');
  }
  if (vaultURI === undefined || tenantID === undefined || clientID === undefined) return NO_MATERIAL;
  return { ...NO_MATERIAL, azureKeyVault: { vaultURI, tenantID, clientID, cloudName, certificates, keys } };
}

function toKeyProvider(
  resource: ResourceId,
  provider: ProviderName | undefined,
  refreshInterval: string | undefined,
  material: ProviderMaterial,
): KeyProviderConfig | undefined {
  if (provider === undefined) return undefined;
  return { $case: 'keyProvider', resource, provider, refreshInterval, ...material };
}

/**
 * `KeyManagementProvider` / `NamespacedKeyManagementProvider`. Ratify names the provider
 * `spec.type`; AKS documentation writes `spec.provider`, so both are read. Inline values without
 * `contentType` (as in AKS documentation) are certificates.
 */
export function parseKeyManagementProviderSpec(
  reader: FieldReader,
  spec: Node,
  resource: ResourceId,
): KeyProviderConfig | undefined {
  reader.knownFields(spec, KMP_SPEC_FIELDS);
  const typeNode = reader.child(spec, 'type');
  const providerNode = reader.child(spec, 'provider');
  const type = reader.oneOf(typeNode, PROVIDERS);
  const alias = reader.oneOf(providerNode, PROVIDERS);
  if (type !== undefined && alias !== undefined && type !== alias) {
    reader.report(providerNode, `must match spec.type ("${type}") when both are set`);
  }
  if (!reader.isPresent(typeNode) && !reader.isPresent(providerNode)) reader.report(typeNode, 'is required');
  const provider = type ?? alias;

  let refreshInterval: string | undefined;
  for (const key of ['refreshInterval', 'interval']) {
    const node = reader.child(spec, key);
    const value = reader.string(node);
    if (value === undefined || value === '') continue;
    if (GO_DURATION.test(value)) refreshInterval = value;
    else reader.report(node, 'must be a duration such as "30m" or "1h30m"');
  }

  const parameters = readParameters(reader, spec).node;
  let material = NO_MATERIAL;
  if (provider === 'inline') {
    const contentType = reader.oneOf(reader.child(parameters, 'contentType'), [
      'certificate',
      'key',
    ] as const);
    const valueNode = reader.child(parameters, 'value');
    material =
      contentType === 'key' ? readInlineKey(reader, valueNode) : readInlineCertificates(reader, valueNode);
  } else if (provider === 'azurekeyvault') {
    material = readAzureKeyVault(reader, parameters, false);
  }
  return toKeyProvider(resource, provider, refreshInterval, material);
}

/** `CertificateStore` (deprecated by Ratify in favour of KeyManagementProvider): certificates only. */
export function parseCertificateStoreSpec(
  reader: FieldReader,
  spec: Node,
  resource: ResourceId,
): KeyProviderConfig | undefined {
  reader.knownFields(spec, CERTIFICATE_STORE_SPEC_FIELDS);
  const provider = reader.oneOf(reader.child(spec, 'provider'), PROVIDERS, { required: true });
  const parameters = readParameters(reader, spec).node;
  let material = NO_MATERIAL;
  if (provider === 'inline') material = readInlineCertificates(reader, reader.child(parameters, 'value'));
  else if (provider === 'azurekeyvault') material = readAzureKeyVault(reader, parameters, true);
  return toKeyProvider(resource, provider, undefined, material);
}
