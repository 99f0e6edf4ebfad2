import type {
  CosignAttestationRule,
  CosignCondition,
  CosignConditionBlock,
  CosignDigestAlgorithm,
  CosignKeyRef,
  CosignKeyless,
  CosignMode,
  CosignSignedIdentity,
  CosignTrustPolicy,
  KeyProviderRef,
} from '../config.types.js';
import { readKeyProviderRef } from './notation.js';
import type { FieldReader, Node } from './reader.js';

export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev';
const POLICY_FIELDS = [
  'name',
  'version',
  'scopes',
  'keys',
  'keyless',
  'tLogVerify',
  'rekorURL',
  // signet extensions
  'signatureDigestAlgorithm',
  'signedIdentity',
  'count',
  'required',
  'attestations',
  'trustedRootPath',
] as const;
const DIGEST_ALGORITHMS: readonly CosignDigestAlgorithm[] = ['sha224', 'sha256', 'sha384', 'sha512'];
const SIGNED_IDENTITY_FIELDS = ['type', 'dockerRepository'] as const;
const ATTESTATION_FIELDS = ['predicateType', 'conditions'] as const;
const CONDITION_BLOCK_FIELDS = ['all', 'any'] as const;
const CONDITION_FIELDS = ['key', 'operator', 'value'] as const;
const CONDITION_OPERATORS = ['Equals', 'NotEquals', 'In', 'NotIn'] as const;
/** Bounds on what one attestation rule may ask, so evaluating it stays cheap. */
const MAX_CONDITIONS = 32;
const MAX_PATH_SEGMENTS = 16;
/** A field path as Kyverno writes it, `{{ builder.id }}` or `builder.id`: dot-separated names, no JMESPath functions. */
const CONDITION_KEY = /^(?:\{\{\s*)?([A-Za-z0-9_@$-]+(?:\.[A-Za-z0-9_@$-]+)*)(?:\s*\}\})?$/;
const KEY_FIELDS = ['provider', 'file', 'name', 'version'] as const;
const KEYLESS_FIELDS = [
  'ctLogVerify',
  'certificateIdentity',
  'certificateIdentityRegExp',
  'certificateOIDCIssuer',
  'certificateOIDCIssuerRegExp',
  // signet extension
  'trustedRootPath',
] as const;
const GLOBAL_SCOPE = '*';
/** Ratify's scope grammar: lowercase reference characters, optionally ending in one `*`. */
const SCOPE = /^[a-z0-9.\-:@/]*\*?$/;

export interface CosignParameters {
  readonly mode: CosignMode<KeyProviderRef>;
  readonly nestedArtifactTypes: readonly string[];
}

function readUrl(reader: FieldReader, node: Node): string | undefined {
  const value = reader.string(node, { nonEmpty: true });
  if (value === undefined) return undefined;
  if (!URL.canParse(value) || !['http:', 'https:'].includes(new URL(value).protocol)) {
    reader.report(node, 'must be an http(s) URL');
    return undefined;
  }
  return value;
}

function readKey(reader: FieldReader, node: Node): CosignKeyRef<KeyProviderRef> | undefined {
  if (reader.mapping(node, { required: true }) === undefined) return undefined;
  reader.knownFields(node, KEY_FIELDS);
  const fileNode = reader.child(node, 'file');
  const providerNode = reader.child(node, 'provider');
  const file = reader.string(fileNode, { nonEmpty: true });
  const provider = reader.isPresent(providerNode) ? readKeyProviderRef(reader, providerNode) : undefined;
  const keyName = reader.string(reader.child(node, 'name'), { nonEmpty: true });
  const keyVersion = reader.string(reader.child(node, 'version'), { nonEmpty: true });
  if (reader.isPresent(fileNode) && reader.isPresent(providerNode)) {
    reader.report(node, 'file and provider cannot both be set');
    return undefined;
  }
  if (!reader.isPresent(fileNode) && !reader.isPresent(providerNode)) {
    reader.report(node, 'one of file or provider is required');
    return undefined;
  }
  if (file !== undefined) {
    if (keyName !== undefined || keyVersion !== undefined) {
      reader.report(node, 'name and version select a key of a provider and cannot be used with file');
      return undefined;
    }
    return { $case: 'file', path: file };
  }
  if (keyVersion !== undefined && keyName === undefined) {
    reader.report(reader.child(node, 'version'), 'requires name');
    return undefined;
  }
  return provider === undefined ? undefined : { $case: 'provider', provider, keyName, keyVersion };
}

function readRegExp(reader: FieldReader, node: Node): string | undefined {
  const pattern = reader.string(node, { nonEmpty: true });
  if (pattern === undefined) return undefined;
  try {
    new RegExp(pattern, 'u');
    return pattern;
  } catch (error) {
    reader.report(
      node,
      `is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}

/** Exactly one of an exact value and a pattern, as Ratify requires for identity and issuer. */
function requireOneOf(reader: FieldReader, node: Node, exact: string, pattern: string): void {
  const hasExact = reader.isPresent(reader.child(node, exact));
  const hasPattern = reader.isPresent(reader.child(node, pattern));
  if (hasExact && hasPattern) reader.report(node, `only one of ${exact} and ${pattern} may be set`);
  if (!hasExact && !hasPattern) reader.report(node, `one of ${exact} or ${pattern} is required`);
}

function readKeyless(reader: FieldReader, node: Node): CosignKeyless | undefined {
  if (reader.mapping(node) === undefined) return undefined;
  reader.knownFields(node, KEYLESS_FIELDS);
  requireOneOf(reader, node, 'certificateIdentity', 'certificateIdentityRegExp');
  requireOneOf(reader, node, 'certificateOIDCIssuer', 'certificateOIDCIssuerRegExp');
  return {
    certificateIdentity: reader.string(reader.child(node, 'certificateIdentity'), { nonEmpty: true }),
    certificateIdentityRegExp: readRegExp(reader, reader.child(node, 'certificateIdentityRegExp')),
    certificateOIDCIssuer: reader.string(reader.child(node, 'certificateOIDCIssuer'), { nonEmpty: true }),
    certificateOIDCIssuerRegExp: readRegExp(reader, reader.child(node, 'certificateOIDCIssuerRegExp')),
    ctLogVerify: reader.boolean(reader.child(node, 'ctLogVerify'), true),
    trustedRootPath: reader.string(reader.child(node, 'trustedRootPath'), { nonEmpty: true }),
  };
}

function readSignedIdentity(reader: FieldReader, node: Node): CosignSignedIdentity | undefined {
  if (reader.mapping(node) === undefined) return undefined;
  reader.knownFields(node, SIGNED_IDENTITY_FIELDS);
  const type = reader.oneOf(reader.child(node, 'type'), ['matchRepository', 'exactRepository'] as const, {
    required: true,
  });
  const repositoryNode = reader.child(node, 'dockerRepository');
  if (type === 'matchRepository') {
    if (reader.isPresent(repositoryNode))
      reader.report(repositoryNode, 'is only used with type exactRepository');
    return { $case: type };
  }
  if (type === undefined) return undefined;
  const dockerRepository = reader.string(repositoryNode, { required: true, nonEmpty: true });
  return dockerRepository === undefined ? undefined : { $case: type, dockerRepository };
}

function readCondition(reader: FieldReader, node: Node): CosignCondition | undefined {
  if (reader.mapping(node, { required: true }) === undefined) return undefined;
  reader.knownFields(node, CONDITION_FIELDS);
  const keyNode = reader.child(node, 'key');
  const key = reader.string(keyNode, { required: true, nonEmpty: true });
  const operator = reader.oneOf(reader.child(node, 'operator'), CONDITION_OPERATORS, { required: true });
  const valueNode = reader.child(node, 'value');
  if (!reader.isPresent(valueNode)) reader.report(valueNode, 'is required');
  else if ((operator === 'In' || operator === 'NotIn') && !Array.isArray(valueNode.value))
    reader.report(valueNode, `must be a list for ${operator}`);
  const path = key === undefined ? undefined : CONDITION_KEY.exec(key)?.[1]?.split('.');
  if (key !== undefined && path === undefined)
    reader.report(keyNode, 'must be a field path such as "{{ builder.id }}" (names separated by dots)');
  else if (path !== undefined && path.length > MAX_PATH_SEGMENTS)
    reader.report(keyNode, `must have at most ${MAX_PATH_SEGMENTS} path segments`);
  if (key === undefined || path === undefined || operator === undefined || !reader.isPresent(valueNode))
    return undefined;
  return { key, path, operator, value: valueNode.value };
}

function readConditionBlock(reader: FieldReader, node: Node): CosignConditionBlock | undefined {
  if (reader.mapping(node, { required: true }) === undefined) return undefined;
  reader.knownFields(node, CONDITION_BLOCK_FIELDS);
  const readList = (name: string) =>
    reader.list(reader.child(node, name), (item) => readCondition(reader, item), {
      maxItems: MAX_CONDITIONS,
    }) ?? [];
  const block = { all: readList('all'), any: readList('any') };
  if (block.all.length === 0 && block.any.length === 0) reader.report(node, 'needs all or any conditions');
  return block;
}

function readAttestation(reader: FieldReader, node: Node): CosignAttestationRule | undefined {
  if (reader.mapping(node, { required: true }) === undefined) return undefined;
  reader.knownFields(node, ATTESTATION_FIELDS);
  const predicateType = reader.string(reader.child(node, 'predicateType'), {
    required: true,
    nonEmpty: true,
  });
  const conditions =
    reader.list(reader.child(node, 'conditions'), (item) => readConditionBlock(reader, item), {
      maxItems: MAX_CONDITIONS,
    }) ?? [];
  return predicateType === undefined ? undefined : { predicateType, conditions };
}

/** Kyverno's attestor count: a whole number from 1 to the number of keys. */
function readCount(reader: FieldReader, node: Node, keyCount: number): number | undefined {
  const count = reader.positiveNumber(node);
  if (count === undefined) return undefined;
  if (!Number.isInteger(count)) reader.report(node, 'must be a whole number');
  else if (count > keyCount) reader.report(node, `must be at most the number of keys (${keyCount})`);
  else return count;
  return undefined;
}

/** signet's additions to a Ratify trust policy, each present only when written. */
function readExtensions(
  reader: FieldReader,
  node: Node,
  keyCount: number,
): Partial<CosignTrustPolicy<KeyProviderRef>> {
  const signatureDigestAlgorithm = reader.oneOf(
    reader.child(node, 'signatureDigestAlgorithm'),
    DIGEST_ALGORITHMS,
  );
  const signedIdentity = readSignedIdentity(reader, reader.child(node, 'signedIdentity'));
  const countNode = reader.child(node, 'count');
  const count = readCount(reader, countNode, keyCount);
  if (reader.isPresent(countNode) && keyCount === 0) reader.report(countNode, 'counts keys and needs keys');
  const requiredNode = reader.child(node, 'required');
  const trustedRootPath = reader.string(reader.child(node, 'trustedRootPath'), { nonEmpty: true });
  const attestations = reader.list(
    reader.child(node, 'attestations'),
    (item) => readAttestation(reader, item),
    {
      nonEmpty: true,
    },
  );
  return {
    ...(signatureDigestAlgorithm === undefined ? {} : { signatureDigestAlgorithm }),
    ...(signedIdentity === undefined ? {} : { signedIdentity }),
    ...(count === undefined ? {} : { count }),
    ...(reader.isPresent(requiredNode) ? { required: reader.boolean(requiredNode, true) } : {}),
    ...(attestations === undefined ? {} : { attestations }),
    ...(trustedRootPath === undefined ? {} : { trustedRootPath }),
  };
}

function readTrustPolicy(reader: FieldReader, node: Node): CosignTrustPolicy<KeyProviderRef> | undefined {
  if (reader.mapping(node, { required: true }) === undefined) return undefined;
  reader.knownFields(node, POLICY_FIELDS);
  const name = reader.string(reader.child(node, 'name'), { required: true, nonEmpty: true });
  const versionNode = reader.child(node, 'version');
  const version = reader.isPresent(versionNode) ? reader.exactly(versionNode, '1.0.0') : '1.0.0';
  const scopes = reader.stringList(reader.child(node, 'scopes'), { required: true, nonEmpty: true });
  const keysNode = reader.child(node, 'keys');
  const keylessNode = reader.child(node, 'keyless');
  const keys = reader.list(keysNode, (item) => readKey(reader, item));
  const keyless = readKeyless(reader, keylessNode);
  const hasKeys = reader.isPresent(keysNode) && Array.isArray(keysNode.value) && keysNode.value.length > 0;
  if (hasKeys && reader.isPresent(keylessNode)) reader.report(node, 'keys and keyless cannot both be set');
  if (!hasKeys && !reader.isPresent(keylessNode)) reader.report(node, 'one of keys or keyless is required');
  const rootNode = reader.child(node, 'trustedRootPath');
  if (reader.isPresent(keylessNode) && reader.isPresent(rootNode))
    reader.report(rootNode, 'is for key-based policies; a keyless policy sets keyless.trustedRootPath');
  const tLogVerify = reader.boolean(reader.child(node, 'tLogVerify'), true);
  const rekorURL = readUrl(reader, reader.child(node, 'rekorURL')) ?? DEFAULT_REKOR_URL;
  const extensions = readExtensions(reader, node, keys?.length ?? 0);
  if (name === undefined || version === undefined || scopes === undefined) return undefined;
  return { name, version, scopes, keys: keys ?? [], keyless, tLogVerify, rekorURL, ...extensions };
}

/** Ratify's cross-policy scope rules: `*` alone and once, no duplicates, no overlapping prefixes. */
function checkScopes(
  reader: FieldReader,
  policiesNode: Node,
  policies: readonly CosignTrustPolicy<KeyProviderRef>[],
): void {
  const seen = new Map<string, string>();
  let globalPolicy: string | undefined;
  policies.forEach((policy, policyIndex) => {
    const scopesNode = reader.child(reader.child(policiesNode, policyIndex), 'scopes');
    if (policy.scopes.includes(GLOBAL_SCOPE)) {
      if (policy.scopes.length > 1) reader.report(scopesNode, '"*" cannot be combined with other scopes');
      else if (globalPolicy !== undefined)
        reader.report(scopesNode, `"*" is already the scope of trust policy "${globalPolicy}"`);
      globalPolicy ??= policy.name;
      return;
    }
    policy.scopes.forEach((scope, scopeIndex) => {
      const scopeNode = reader.child(scopesNode, scopeIndex);
      if (!SCOPE.test(scope)) {
        reader.report(
          scopeNode,
          'must be "*", a repository such as "registry.example.com/team/app", or a prefix ending in "*"',
        );
        return;
      }
      const duplicateOwner = seen.get(scope);
      const overlap = [...seen].find(([existing]) => scopesOverlap(existing, scope));
      if (duplicateOwner !== undefined)
        reader.report(scopeNode, `duplicate scope (also in trust policy "${duplicateOwner}")`);
      else if (overlap !== undefined)
        reader.report(scopeNode, `overlaps scope "${overlap[0]}" of trust policy "${overlap[1]}"`);
      seen.set(scope, policy.name);
    });
  });
}

function scopesOverlap(a: string, b: string): boolean {
  const prefixA = a.endsWith(GLOBAL_SCOPE) ? a.slice(0, -1) : undefined;
  const prefixB = b.endsWith(GLOBAL_SCOPE) ? b.slice(0, -1) : undefined;
  if (prefixA !== undefined && prefixB !== undefined)
    return prefixA.startsWith(prefixB) || prefixB.startsWith(prefixA);
  if (prefixA !== undefined) return b.startsWith(prefixA);
  if (prefixB !== undefined) return a.startsWith(prefixB);
  return false;
}

function checkUniqueNames(
  reader: FieldReader,
  policiesNode: Node,
  policies: readonly CosignTrustPolicy<KeyProviderRef>[],
): void {
  const firstIndex = new Map<string, number>();
  policies.forEach((policy, index) => {
    const previous = firstIndex.get(policy.name);
    if (previous === undefined) firstIndex.set(policy.name, index);
    else
      reader.report(
        reader.child(reader.child(policiesNode, index), 'name'),
        `duplicate trust policy name (also trustPolicies[${previous}])`,
      );
  });
}

/** `spec.parameters` of a `cosign` Verifier: `trustPolicies`, or Ratify's legacy `key`/`rekorURL`. */
export function readCosignParameters(reader: FieldReader, parameters: Node): CosignParameters | undefined {
  const policiesNode = reader.child(parameters, 'trustPolicies');
  const keyNode = reader.child(parameters, 'key');
  const rekorNode = reader.child(parameters, 'rekorURL');
  const nestedArtifactTypes = reader.stringList(reader.child(parameters, 'nestedArtifactTypes')) ?? [];
  const key = reader.string(keyNode, { nonEmpty: true });
  const rekorURL = readUrl(reader, rekorNode);
  if (!reader.isPresent(policiesNode))
    return { mode: { $case: 'legacy', key, rekorURL }, nestedArtifactTypes };

  for (const legacy of [keyNode, rekorNode]) {
    if (reader.isPresent(legacy))
      reader.report(legacy, "is Ratify's legacy form and cannot be used with trustPolicies");
  }
  const before = reader.problems.length;
  const trustPolicies = reader.list(policiesNode, (item) => readTrustPolicy(reader, item), {
    nonEmpty: true,
  });
  if (trustPolicies === undefined || reader.problems.length !== before) return undefined;
  checkUniqueNames(reader, policiesNode, trustPolicies);
  checkScopes(reader, policiesNode, trustPolicies);
  return { mode: { $case: 'trustPolicies', trustPolicies }, nestedArtifactTypes };
}
