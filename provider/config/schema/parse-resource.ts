import type { ConfigResource, ResourceId } from '../config.types.js';
import { KRITIS_API_VERSION, RATIFY_API_VERSION, isNamespacedKind, kindsOf } from './kinds.js';
import { parseCertificateStoreSpec, parseKeyManagementProviderSpec } from './key-provider.js';
import {
  KRITIS_DEFAULT_NAMESPACE,
  parseAttestationAuthoritySpec,
  parseGenericAttestationPolicySpec,
} from './kritis.js';
import { parsePolicySpec } from './policy.js';
import type { ConfigProblem, ResourceLocator } from './problems.js';
import { FieldReader, isRecord } from './reader.js';
import type { Node } from './reader.js';
import { parseStoreSpec } from './store.js';
import { parseVerifierSpec } from './verifier.js';

const TOP_LEVEL_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;

/** Kubernetes object names (RFC 1123 subdomain) and namespaces (RFC 1123 label). */
const RESOURCE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export type ResourceParseResult =
  | { readonly ok: true; readonly resource: ConfigResource }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

function peekString(value: unknown, ...keys: string[]): string | undefined {
  let current = value;
  for (const key of keys) current = isRecord(current) ? current[key] : undefined;
  return typeof current === 'string' && current !== '' ? current : undefined;
}

function readName(
  reader: FieldReader,
  node: Node,
  pattern: RegExp,
  maxLength: number,
  required: boolean,
): string | undefined {
  const value = reader.string(node, { required, nonEmpty: true });
  if (value === undefined) return undefined;
  if (value.length > maxLength || !pattern.test(value)) {
    reader.report(
      node,
      `must be a lowercase RFC 1123 name of at most ${maxLength} characters (a-z, 0-9, "-")`,
    );
    return undefined;
  }
  return value;
}

function parseSpec(
  reader: FieldReader,
  root: Node,
  resource: ResourceId,
  nameNode: Node,
): ConfigResource | undefined {
  const spec = reader.child(root, 'spec');
  if (reader.mapping(spec, { required: true }) === undefined) return undefined;
  switch (resource.kind) {
    case 'Store':
    case 'NamespacedStore':
      return parseStoreSpec(reader, spec, resource);
    case 'Verifier':
    case 'NamespacedVerifier':
      return parseVerifierSpec(reader, spec, resource);
    case 'KeyManagementProvider':
    case 'NamespacedKeyManagementProvider':
      return parseKeyManagementProviderSpec(reader, spec, resource);
    case 'CertificateStore':
      return parseCertificateStoreSpec(reader, spec, resource);
    case 'Policy':
    case 'NamespacedPolicy':
      return parsePolicySpec(reader, spec, resource, nameNode);
    case 'AttestationAuthority':
      return parseAttestationAuthoritySpec(reader, spec, resource);
    case 'GenericAttestationPolicy':
      return parseGenericAttestationPolicySpec(reader, spec, resource);
  }
}

/**
 * Validates one resource (a YAML document or a Kubernetes object) into its typed form, collecting
 * every problem. Shared by all configuration sources.
 */
export function parseConfigResource(
  raw: unknown,
  origin: { readonly document?: number } = {},
): ResourceParseResult {
  const kindText = peekString(raw, 'kind');
  const locator: ResourceLocator = {
    document: origin.document,
    kind: kindText,
    name: peekString(raw, 'metadata', 'name'),
    namespace: peekString(raw, 'metadata', 'namespace'),
  };
  const reader = new FieldReader(locator);
  const root: Node = { value: raw, path: '' };
  if (!isRecord(raw)) {
    reader.report(root, 'must be a mapping (a resource with apiVersion, kind, metadata and spec)');
    return { ok: false, problems: reader.problems };
  }
  reader.knownFields(root, TOP_LEVEL_FIELDS);
  const apiVersionNode = reader.child(root, 'apiVersion');
  const apiVersion =
    apiVersionNode.value === KRITIS_API_VERSION
      ? KRITIS_API_VERSION
      : reader.exactly(apiVersionNode, RATIFY_API_VERSION, { required: true });
  const kind = reader.oneOf(reader.child(root, 'kind'), kindsOf(apiVersion ?? RATIFY_API_VERSION), {
    required: true,
  });
  const metadata = reader.child(root, 'metadata');
  const nameNode = reader.child(metadata, 'name');
  let name: string | undefined;
  let namespace: string | undefined;
  if (reader.mapping(metadata, { required: true }) !== undefined) {
    name = readName(reader, nameNode, RESOURCE_NAME, 253, true);
    namespace = readName(
      reader,
      reader.child(metadata, 'namespace'),
      NAMESPACE_NAME,
      63,
      kind !== undefined && isNamespacedKind(kind),
    );
  }
  if (kind === undefined || name === undefined) return { ok: false, problems: reader.problems };
  // kubectl puts a namespaced kritis policy written without a namespace into "default"; so do we.
  if (kind === 'GenericAttestationPolicy') namespace ??= KRITIS_DEFAULT_NAMESPACE;

  const resource: ResourceId = { kind, name, namespace, document: origin.document };
  const parsed = parseSpec(reader, root, resource, nameNode);
  if (parsed === undefined && reader.problems.length === 0) reader.report(root, 'could not be read');
  if (parsed === undefined || reader.problems.length > 0) return { ok: false, problems: reader.problems };
  return { ok: true, resource: parsed };
}
