import type {
  KeyProviderRef,
  NotationTrustPolicyDocument,
  NotationTrustStoreBinding,
  NotationValidationAction,
  NotationValidationType,
  NotationVerificationLevel,
  TrustStoreType,
} from '../config.types.js';
import { isRecord } from './reader.js';
import type { FieldReader, Node } from './reader.js';

export const TRUST_STORE_TYPES: readonly TrustStoreType[] = ['ca', 'signingAuthority', 'tsa'];
const LEVELS: readonly NotationVerificationLevel[] = ['strict', 'permissive', 'audit', 'skip'];
const VALIDATION_TYPES: readonly NotationValidationType[] = [
  'integrity',
  'authenticity',
  'authenticTimestamp',
  'expiry',
  'revocation',
];
const ACTIONS: readonly NotationValidationAction[] = ['enforce', 'log', 'skip'];
const DOCUMENT_FIELDS = ['version', 'trustPolicies'] as const;
const STATEMENT_FIELDS = [
  'name',
  'registryScopes',
  'signatureVerification',
  'trustStores',
  'trustedIdentities',
] as const;
const SIGNATURE_VERIFICATION_FIELDS = ['level', 'override', 'verifyTimestamp'] as const;

export interface NotationParameters {
  readonly verificationCerts: readonly string[];
  readonly verificationCertStores: readonly NotationTrustStoreBinding<KeyProviderRef>[];
  readonly trustPolicyDoc: NotationTrustPolicyDocument;
}

/** `name` (cluster-wide) or `namespace/name` (namespaced), as Ratify writes key provider references. */
export function readKeyProviderRef(reader: FieldReader, node: Node): KeyProviderRef | undefined {
  const text = reader.string(node, { required: true, nonEmpty: true });
  if (text === undefined) return undefined;
  const parts = text.split('/');
  const [first = '', second] = parts;
  if (parts.length > 2 || first === '' || second === '') {
    reader.report(node, 'must be "name" or "namespace/name" of a KeyManagementProvider or CertificateStore');
    return undefined;
  }
  return second === undefined ? { name: first, namespace: undefined } : { name: second, namespace: first };
}

function readProviderList(reader: FieldReader, node: Node): KeyProviderRef[] {
  return reader.list(node, (item) => readKeyProviderRef(reader, item), { required: true }) ?? [];
}

/**
 * Ratify accepts two forms: legacy `storeName: [providers]` (serves every trust store type) and
 * `ca|signingAuthority|tsa: { storeName: [providers] }`. A mix of both is ambiguous.
 */
function readCertStores(
  reader: FieldReader,
  node: Node,
): NotationTrustStoreBinding<KeyProviderRef>[] | undefined {
  const entries = reader.entries(node);
  if (entries === undefined) return undefined;
  const nested = entries.filter(([, value]) => isRecord(value.value));
  if (nested.length === 0) {
    return entries.map(([storeName, value]) => ({
      storeType: undefined,
      storeName,
      providers: readProviderList(reader, value),
    }));
  }
  if (nested.length !== entries.length) {
    reader.report(
      node,
      'must map trust store names to lists of key providers, or trust store types (ca, signingAuthority, tsa) to such maps, not both',
    );
    return undefined;
  }
  const bindings: NotationTrustStoreBinding<KeyProviderRef>[] = [];
  for (const [typeName, storesNode] of entries) {
    const storeType = TRUST_STORE_TYPES.find((candidate) => candidate === typeName);
    if (storeType === undefined) {
      reader.report(storesNode, `unknown trust store type (expected one of ${TRUST_STORE_TYPES.join(', ')})`);
      continue;
    }
    for (const [storeName, providersNode] of reader.entries(storesNode) ?? []) {
      bindings.push({ storeType, storeName, providers: readProviderList(reader, providersNode) });
    }
  }
  return bindings;
}

function readTrustStoreName(reader: FieldReader, item: Node): string | undefined {
  const value = reader.string(item, { required: true, nonEmpty: true });
  if (value === undefined) return undefined;
  const separator = value.indexOf(':');
  const type = value.slice(0, separator);
  if (
    separator <= 0 ||
    separator === value.length - 1 ||
    !TRUST_STORE_TYPES.some((known) => known === type)
  ) {
    reader.report(
      item,
      `must be "<type>:<name>" with type ${TRUST_STORE_TYPES.join(', ')} (e.g. "ca:certs")`,
    );
    return undefined;
  }
  return value;
}

function readStatement(reader: FieldReader, node: Node): void {
  if (reader.mapping(node, { required: true }) === undefined) return;
  reader.knownFields(node, STATEMENT_FIELDS);
  reader.string(reader.child(node, 'name'), { required: true, nonEmpty: true });
  reader.stringList(reader.child(node, 'registryScopes'), { required: true });
  const verification = reader.mapping(reader.child(node, 'signatureVerification'), { required: true });
  if (verification !== undefined) {
    reader.knownFields(verification, SIGNATURE_VERIFICATION_FIELDS);
    reader.oneOf(reader.child(verification, 'level'), LEVELS, { required: true });
    for (const [validation, action] of reader.entries(reader.child(verification, 'override')) ?? []) {
      if (!VALIDATION_TYPES.some((known) => known === validation)) {
        reader.report(action, `unknown validation (expected one of ${VALIDATION_TYPES.join(', ')})`);
      }
      reader.oneOf(action, ACTIONS, { required: true });
    }
    reader.oneOf(reader.child(verification, 'verifyTimestamp'), ['always', 'afterCertExpiry'] as const);
  }
  reader.list(reader.child(node, 'trustStores'), (item) => readTrustStoreName(reader, item));
  reader.stringList(reader.child(node, 'trustedIdentities'));
}

/**
 * Checks the trust policy document's shape; the document itself is kept as written for the
 * notation verifier, which applies notation's semantic rules with notation's messages.
 */
function readTrustPolicyDoc(reader: FieldReader, node: Node): NotationTrustPolicyDocument | undefined {
  if (reader.mapping(node, { required: true }) === undefined) return undefined;
  const before = reader.problems.length;
  reader.knownFields(node, DOCUMENT_FIELDS);
  reader.exactly(reader.child(node, 'version'), '1.0', { required: true });
  reader.list(reader.child(node, 'trustPolicies'), (statement) => readStatement(reader, statement), {
    required: true,
    nonEmpty: true,
  });
  // The shape was checked field by field above; only then is the raw value this type.
  return reader.problems.length === before ? (node.value as NotationTrustPolicyDocument) : undefined;
}

function isBound(
  bindings: readonly NotationTrustStoreBinding<KeyProviderRef>[],
  trustStore: string,
): boolean {
  const separator = trustStore.indexOf(':');
  const type = trustStore.slice(0, separator);
  const name = trustStore.slice(separator + 1);
  return bindings.some(
    (binding) =>
      binding.storeName === name && (binding.storeType === undefined || binding.storeType === type),
  );
}

/** A trust store named by the policy but missing from verificationCertStores would trust nothing. */
function checkTrustStoresBound(
  reader: FieldReader,
  documentNode: Node,
  document: NotationTrustPolicyDocument,
  bindings: readonly NotationTrustStoreBinding<KeyProviderRef>[],
): void {
  const statementsNode = reader.child(documentNode, 'trustPolicies');
  document.trustPolicies.forEach((statement, statementIndex) => {
    const storesNode = reader.child(reader.child(statementsNode, statementIndex), 'trustStores');
    (statement.trustStores ?? []).forEach((trustStore, storeIndex) => {
      if (isBound(bindings, trustStore)) return;
      reader.report(
        reader.child(storesNode, storeIndex),
        `trust store "${trustStore}" is not defined in spec.parameters.verificationCertStores`,
      );
    });
  });
}

/** `spec.parameters` of a `notation` Verifier. */
export function readNotationParameters(
  reader: FieldReader,
  parameters: Node,
): NotationParameters | undefined {
  const certsNode = reader.child(parameters, 'verificationCerts');
  const storesNode = reader.child(parameters, 'verificationCertStores');
  const verificationCerts = reader.stringList(certsNode) ?? [];
  const verificationCertStores = readCertStores(reader, storesNode);
  if (!reader.isPresent(certsNode) && !reader.isPresent(storesNode)) {
    reader.report(parameters, 'one of verificationCertStores or verificationCerts is required');
  }
  const documentNode = reader.child(parameters, 'trustPolicyDoc');
  const trustPolicyDoc = readTrustPolicyDoc(reader, documentNode);
  if (trustPolicyDoc === undefined) return undefined;
  // Without a usable verificationCertStores there is nothing to check against (or it was reported).
  if (verificationCertStores !== undefined) {
    checkTrustStoresBound(reader, documentNode, trustPolicyDoc, verificationCertStores);
  }
  return { verificationCerts, verificationCertStores: verificationCertStores ?? [], trustPolicyDoc };
}
