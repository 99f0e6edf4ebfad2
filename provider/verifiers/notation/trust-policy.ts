import { SignetError } from '../../errors.js';
import {
  isTrustStoreType,
  isValidTrustStoreName,
  type TrustStores,
  type TrustStoreType,
} from '../../trust/index.js';
import {
  DistinguishedNameError,
  isSubsetDn,
  parseDistinguishedName,
  type DistinguishedName,
} from './distinguished-name.js';
import { LevelError, resolveVerificationLevel, type VerificationLevel } from './levels.js';

/** notation's pointer for every trust policy problem. */
const TRUST_POLICY_LINK = 'https://notaryproject.dev/docs/quickstart/#create-a-trust-policy';
const SUPPORTED_VERSIONS = ['1.0'];
const WILDCARD = '*';
const X509_SUBJECT = 'x509.subject';

export type VerifyTimestamp = 'always' | 'afterCertExpiry';

export interface TrustStoreReference {
  readonly type: TrustStoreType;
  readonly name: string;
}

export interface X509SubjectIdentity {
  /** The identity as written, e.g. `x509.subject: C=US, ST=WA, O=acme`. */
  readonly raw: string;
  readonly name: DistinguishedName;
}

/**
 * `*`, or a list. Only `x509.subject:` identities are matched natively; identities with other
 * prefixes are kept (notation leaves them to plugins) and never match on their own.
 */
export type TrustedIdentities =
  | { readonly $case: 'any' }
  | {
      readonly $case: 'listed';
      readonly x509Subjects: readonly X509SubjectIdentity[];
      readonly others: readonly string[];
    };

export interface TrustPolicyStatement {
  readonly name: string;
  readonly registryScopes: readonly string[];
  readonly level: VerificationLevel;
  readonly verifyTimestamp: VerifyTimestamp;
  readonly trustStores: readonly TrustStoreReference[];
  readonly trustedIdentities: TrustedIdentities;
}

export interface TrustPolicyDocument {
  readonly version: string;
  readonly trustPolicies: readonly TrustPolicyStatement[];
}

export interface ParseTrustPolicyOptions {
  /** When given, every `ca:`/`signingAuthority:`/`tsa:` store a statement names must exist here. */
  readonly trustStores?: TrustStores;
}

/**
 * Parses and validates an OCI trust policy document (version 1.0) the way notation does, so a
 * policy notation rejects is rejected here with notation's words. Accepts the JSON text or the
 * already-parsed value (Ratify embeds it in the Verifier resource). Throws CONFIG_INVALID.
 */
export function parseTrustPolicyDocument(
  json: unknown,
  options: ParseTrustPolicyOptions = {},
): TrustPolicyDocument {
  const document = typeof json === 'string' ? parseJsonText(json) : json;
  if (!isRecord(document)) throw malformed('the trust policy document must be a JSON object');
  const version = optionalString(document, 'version');
  if (version === '')
    throw policyError('oci trust policy document has empty version, version must be specified');
  if (!SUPPORTED_VERSIONS.includes(version))
    throw policyError(`oci trust policy document uses unsupported version ${JSON.stringify(version)}`);
  const rawStatements = optionalArray(document, 'trustPolicies');
  if (rawStatements.length === 0)
    throw policyError('oci trust policy document can not have zero trust policy statements');

  const names = new Set<string>();
  const statements = rawStatements.map((raw) => {
    if (!isRecord(raw)) throw malformed('each trust policy statement must be a JSON object');
    const name = optionalString(raw, 'name');
    if (names.has(name))
      throw policyError(
        `multiple oci trust policy statements use the same name ${JSON.stringify(name)}, statement names must be unique`,
      );
    names.add(name);
    return parseStatement(name, raw, options);
  });
  validateRegistryScopes(statements);
  return { version, trustPolicies: statements };
}

function parseStatement(
  name: string,
  raw: Record<string, unknown>,
  options: ParseTrustPolicyOptions,
): TrustPolicyStatement {
  const registryScopes = optionalArray(raw, 'registryScopes').map((scope) =>
    expectString(scope, 'registryScopes'),
  );
  const trustStoreValues = optionalArray(raw, 'trustStores').map((store) =>
    expectString(store, 'trustStores'),
  );
  const identityValues = optionalArray(raw, 'trustedIdentities').map((identity) =>
    expectString(identity, 'trustedIdentities'),
  );
  const signatureVerification = raw.signatureVerification ?? {};
  if (!isRecord(signatureVerification)) throw malformed('"signatureVerification" must be a JSON object');

  if (name === '')
    throw policyError(
      'oci trust policy: a trust policy statement is missing a name, every statement requires a name',
    );
  let level: VerificationLevel;
  try {
    level = resolveVerificationLevel(signatureVerification.level, signatureVerification.override);
  } catch (error) {
    if (error instanceof LevelError) {
      throw policyError(
        `oci trust policy: trust policy statement ${JSON.stringify(name)} has invalid signatureVerification: ${error.message}`,
      );
    }
    throw error;
  }
  const verifyTimestamp = parseVerifyTimestamp(name, signatureVerification.verifyTimestamp);

  if (level.name === 'skip') {
    if (trustStoreValues.length > 0 || identityValues.length > 0) {
      throw policyError(
        `oci trust policy: trust policy statement ${JSON.stringify(name)} is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped`,
      );
    }
    return {
      name,
      registryScopes,
      level,
      verifyTimestamp,
      trustStores: [],
      trustedIdentities: { $case: 'any' },
    };
  }
  if (trustStoreValues.length === 0 || identityValues.length === 0) {
    throw policyError(
      `oci trust policy: trust policy statement ${JSON.stringify(name)} is either missing trust stores or trusted identities, both must be specified`,
    );
  }
  const trustStores = parseTrustStoreReferences(name, trustStoreValues, options.trustStores);
  const trustedIdentities = parseTrustedIdentities(name, identityValues);
  return { name, registryScopes, level, verifyTimestamp, trustStores, trustedIdentities };
}

function parseVerifyTimestamp(name: string, value: unknown): VerifyTimestamp {
  if (value === undefined || value === '' || value === 'always') return 'always';
  if (value === 'afterCertExpiry') return value;
  throw policyError(
    `oci trust policy: trust policy statement ${JSON.stringify(name)} has invalid signatureVerification: verifyTimestamp ${JSON.stringify(value)} is not supported, supported values are ["always" "afterCertExpiry"]`,
  );
}

function parseTrustStoreReferences(
  name: string,
  values: readonly string[],
  available: TrustStores | undefined,
): TrustStoreReference[] {
  const seen = new Set<string>();
  return values.map((value) => {
    const separator = value.indexOf(':');
    if (separator < 0) {
      throw policyError(
        `oci trust policy: trust policy statement ${JSON.stringify(name)} has malformed trust store value ${JSON.stringify(value)}. The required format is <TrustStoreType>:<TrustStoreName>`,
      );
    }
    const type = value.slice(0, separator);
    const storeName = value.slice(separator + 1);
    if (!isTrustStoreType(type)) {
      throw policyError(
        `oci trust policy: trust policy statement ${JSON.stringify(name)} uses an unsupported trust store type ${JSON.stringify(type)} in trust store value ${JSON.stringify(value)}`,
      );
    }
    if (!isValidTrustStoreName(storeName)) {
      throw policyError(
        `oci trust policy: trust policy statement ${JSON.stringify(name)} uses an unsupported trust store name ${JSON.stringify(storeName)} in trust store value ${JSON.stringify(value)}. Named store name needs to follow [a-zA-Z0-9_.-]+ format`,
      );
    }
    // notation silently reads a repeated store once; signet refuses it as the configuration slip it is.
    if (seen.has(value))
      throw policyError(
        `oci trust policy: trust policy statement ${JSON.stringify(name)} lists trust store ${JSON.stringify(value)} more than once`,
      );
    seen.add(value);
    if (available !== undefined && available.get(type, storeName) === undefined) {
      throw policyError(
        `oci trust policy: trust policy statement ${JSON.stringify(name)} uses trust store ${JSON.stringify(value)}, but the trust store ${JSON.stringify(storeName)} of type ${JSON.stringify(type)} does not exist`,
      );
    }
    return { type, name: storeName };
  });
}

function parseTrustedIdentities(name: string, values: readonly string[]): TrustedIdentities {
  if (values.length > 1 && values.includes(WILDCARD)) {
    throw policyError(
      `oci trust policy: trust policy statement ${JSON.stringify(name)} uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values`,
    );
  }
  if (values[0] === WILDCARD) return { $case: 'any' };
  const x509Subjects: X509SubjectIdentity[] = [];
  const others: string[] = [];
  for (const identity of values) {
    if (identity === '')
      throw policyError(
        `oci trust policy: trust policy statement ${JSON.stringify(name)} has an empty trusted identity`,
      );
    const separator = identity.indexOf(':');
    if (separator < 0) {
      throw policyError(
        `oci trust policy: trust policy statement ${JSON.stringify(name)} has trusted identity ${JSON.stringify(identity)} missing separator`,
      );
    }
    const prefix = identity.slice(0, separator);
    const value = identity.slice(separator + 1);
    if (prefix !== X509_SUBJECT) {
      others.push(identity);
      continue;
    }
    if (value === '') {
      throw policyError(
        `oci trust policy: trust policy statement ${JSON.stringify(name)} has trusted identity ${JSON.stringify(identity)} without an identity value`,
      );
    }
    try {
      x509Subjects.push({ raw: identity, name: parseDistinguishedName(value) });
    } catch (error) {
      if (!(error instanceof DistinguishedNameError)) throw error;
      throw policyError(
        `oci trust policy: trust policy statement ${JSON.stringify(name)} has trusted identity ${JSON.stringify(identity)} with invalid identity value: ${error.message}`,
      );
    }
  }
  for (const [i, first] of x509Subjects.entries()) {
    for (const [j, second] of x509Subjects.entries()) {
      if (i !== j && isSubsetDn(first.name, second.name)) {
        throw policyError(
          `oci trust policy: trust policy statement ${JSON.stringify(name)} has overlapping x509 trustedIdentities, ${JSON.stringify(first.raw)} overlaps with ${JSON.stringify(second.raw)}`,
        );
      }
    }
  }
  return { $case: 'listed', x509Subjects, others };
}

function validateRegistryScopes(statements: readonly TrustPolicyStatement[]): void {
  const counts = new Map<string, number>();
  for (const statement of statements) {
    if (statement.registryScopes.length === 0) {
      throw policyError(
        `oci trust policy statement ${JSON.stringify(statement.name)} has zero registry scopes, it must specify registry scopes with at least one value`,
      );
    }
    if (statement.registryScopes.length > 1 && statement.registryScopes.includes(WILDCARD)) {
      throw policyError(
        `oci trust policy statement ${JSON.stringify(statement.name)} uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values`,
      );
    }
    for (const scope of statement.registryScopes) {
      if (scope !== WILDCARD) {
        const problem = registryScopeProblem(scope);
        if (problem !== undefined) throw policyError(problem);
      }
      counts.set(scope, (counts.get(scope) ?? 0) + 1);
    }
  }
  for (const [scope, count] of counts) {
    if (count > 1) {
      throw policyError(
        `registry scope ${JSON.stringify(scope)} is present in multiple oci trust policy statements, one registry scope value can only be associated with one statement`,
      );
    }
  }
}

const DOMAIN =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$/;
const REPOSITORY =
  /^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:\/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$/;
const SCOPE_HINT =
  'make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout';

/** notation's validateRegistryScopeFormat (distribution's domain and repository grammar). */
function registryScopeProblem(scope: string): string | undefined {
  if (scope.length > 1 && scope.includes('*'))
    return `registry scope ${JSON.stringify(scope)} with wild card(s) is not valid, ${SCOPE_HINT}`;
  const slash = scope.indexOf('/');
  const domain = slash < 0 ? '' : scope.slice(0, slash);
  const repository = slash < 0 ? '' : scope.slice(slash + 1);
  if (!DOMAIN.test(domain) || !REPOSITORY.test(repository))
    return `registry scope ${JSON.stringify(scope)} is not valid, ${SCOPE_HINT}`;
  return undefined;
}

/**
 * The statement that applies to an artifact: the one whose registryScopes contain its repository
 * exactly, else the `*` statement. `reference` is `registry/repository`, optionally with
 * `@digest` (notation's artifact URI). Throws NO_APPLICABLE_POLICY.
 */
export function selectTrustPolicy(document: TrustPolicyDocument, reference: string): TrustPolicyStatement {
  const at = reference.lastIndexOf('@');
  const repository = at < 0 ? reference : reference.slice(0, at);
  const problem = registryScopeProblem(repository);
  if (problem !== undefined) {
    throw new SignetError('NO_APPLICABLE_POLICY', {
      stage: 'verify',
      reason: problem,
      details: { reference },
    });
  }
  const exact = document.trustPolicies.find((statement) => statement.registryScopes.includes(repository));
  const applicable =
    exact ?? document.trustPolicies.find((statement) => statement.registryScopes.includes(WILDCARD));
  if (applicable === undefined) {
    throw new SignetError('NO_APPLICABLE_POLICY', {
      stage: 'verify',
      reason: `artifact ${JSON.stringify(reference)} has no applicable oci trust policy statement. Trust policy applicability for a given artifact is determined by registryScopes. To create a trust policy, see: ${TRUST_POLICY_LINK}`,
      details: { reference },
    });
  }
  return applicable;
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw malformed('the document is not valid JSON');
  }
}

function malformed(detail: string): SignetError {
  return policyError(
    `malformed trust policy (${detail}). To create a trust policy, see: ${TRUST_POLICY_LINK}`,
  );
}

function policyError(reason: string): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason,
    details: { resource: 'trustPolicyDoc' },
  });
}

function optionalString(record: Record<string, unknown>, key: string): string {
  const value = record[key] ?? '';
  if (typeof value !== 'string') throw malformed(`"${key}" must be a string`);
  return value;
}

function optionalArray(record: Record<string, unknown>, key: string): unknown[] {
  const value = record[key] ?? [];
  if (!Array.isArray(value)) throw malformed(`"${key}" must be an array`);
  return value as unknown[];
}

function expectString(value: unknown, key: string): string {
  if (typeof value !== 'string') throw malformed(`"${key}" must hold strings`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
