// Ratify config.ratify.deislabs.io/v1beta1 resources for tests, the demo and the benchmark: an `oras`
// Store and a `notation` Verifier with a one-statement trust policy, written as users write them; the
// cosign Store and Verifier documents.
import { stringify } from 'yaml';
import { indentBlock } from './yaml-block.js';

export type NotationTrust =
  /** Ratify's `verificationCerts`: certificate files or directories. */
  | { readonly $case: 'paths'; readonly paths: readonly string[] }
  /** An inline KeyManagementProvider bound as `verificationCertStores: { certs: [...] }` (the AKS seed shape). */
  | { readonly $case: 'inline'; readonly certificatePem: string };

export interface NotationConfigOptions {
  readonly trust: NotationTrust;
  readonly trustedIdentity?: string;
  readonly level?: string;
  /** As written in YAML, so tests can give invalid values (default `"1.0"`). */
  readonly version?: string;
  /** Basic credentials per registry host, through the Store's `parameters.signet` extension. */
  readonly credentials?: Readonly<Record<string, { readonly username: string; readonly password: string }>>;
  /** Further `spec.parameters` of the Store (e.g. `authProvider`), each written as YAML flow (JSON). */
  readonly storeParameters?: Readonly<Record<string, unknown>>;
  /** The whole `trustPolicies` list (notation's JSON shape), replacing the one statement built from `level` and `trustedIdentity`. */
  readonly trustPolicies?: readonly object[];
  /** With inline trust: TSA roots as a second inline provider, bound as the `tsa:stamps` trust store. */
  readonly tsaCertificatePem?: string;
}

function storeDocument(
  credentials: NotationConfigOptions['credentials'],
  more: NotationConfigOptions['storeParameters'] = {},
): string {
  const entries = Object.entries(credentials ?? {});
  const signet =
    entries.length === 0
      ? ''
      : `    signet:\n      credentials:\n${entries
          .map(
            ([host, c]) =>
              `        ${host}:\n          username: ${JSON.stringify(c.username)}\n          password: ${JSON.stringify(c.password)}\n`,
          )
          .join('')}`;
  const further = Object.entries(more)
    .map(([key, value]) => `    ${key}: ${JSON.stringify(value)}\n`)
    .join('');
  const parameters = signet === '' && further === '' ? '' : `  parameters:\n${signet}${further}`;
  return `apiVersion: config.ratify.deislabs.io/v1beta1
kind: Store
metadata:
  name: store-oras
spec:
  name: oras
${parameters}`;
}

/** An inline KeyManagementProvider document (followed by `---`) holding `pem`. */
export function inlineKeyProvider(name: string, pem: string): string {
  return `apiVersion: config.ratify.deislabs.io/v1beta1
kind: KeyManagementProvider
metadata:
  name: ${name}
spec:
  provider: inline
  parameters:
    value: |
${indentBlock(pem, 6)}
---
`;
}

export function notationConfig(options: NotationConfigOptions): string {
  const { trust } = options;
  const keyProvider =
    trust.$case === 'inline' ? inlineKeyProvider('certstore-inline', trust.certificatePem) : '';
  const tsaProvider =
    options.tsaCertificatePem === undefined
      ? ''
      : inlineKeyProvider('certstore-tsa', options.tsaCertificatePem);
  const inlineStores =
    options.tsaCertificatePem === undefined
      ? 'verificationCertStores:\n      certs:\n        - certstore-inline'
      : 'verificationCertStores:\n      ca:\n        certs: [certstore-inline]\n      tsa:\n        stamps: [certstore-tsa]';
  const certificates =
    trust.$case === 'inline' ? inlineStores : `verificationCerts: ${JSON.stringify(trust.paths)}`;
  return `${keyProvider}${tsaProvider}${storeDocument(options.credentials, options.storeParameters)}---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-notation
spec:
  name: notation
  artifactTypes: application/vnd.cncf.notary.signature
  parameters:
    ${certificates}
    trustPolicyDoc:
      version: ${options.version ?? '"1.0"'}
      trustPolicies:${
        options.trustPolicies === undefined
          ? `
        - name: default
          registryScopes: ["*"]
          signatureVerification:
            level: ${options.level ?? 'strict'}
          trustStores: ["ca:certs"]
          trustedIdentities: [${JSON.stringify(options.trustedIdentity ?? '*')}]`
          : ` ${JSON.stringify(options.trustPolicies)}`
      }
`;
}

/** The `oras` Store with `cosignEnabled: true`, which cosign Verifiers need (one document, no separator). */
export const COSIGN_STORE = `apiVersion: config.ratify.deislabs.io/v1beta1
kind: Store
metadata:
  name: store-oras
spec:
  name: oras
  parameters:
    cosignEnabled: true
`;

/**
 * The cosign Verifier `verifier-cosign` (one document, no separator) with Ratify's `trustPolicies` entries as
 * written, e.g. `{ name, scopes: ['*'], keys: [{ file }], tLogVerify: false }`.
 */
export function cosignVerifier(
  trustPolicies: readonly object[],
  artifactTypes: readonly string[] = ['application/vnd.dev.cosign.artifact.sig.v1+json'],
): string {
  return stringify({
    apiVersion: 'config.ratify.deislabs.io/v1beta1',
    kind: 'Verifier',
    metadata: { name: 'verifier-cosign' },
    spec: { name: 'cosign', artifactTypes: artifactTypes.join(','), parameters: { trustPolicies } },
  });
}

/**
 * A whole configuration trusting both a Notation certificate and a cosign public key (no transparency log), with
 * the `all` policy: an image passes only when both verifiers do.
 */
export function notationAndCosignConfig(
  notationCertificatePath: string,
  cosignPublicKeyPath: string,
): string {
  const notationVerifier = notationConfig({ trust: { $case: 'paths', paths: [notationCertificatePath] } })
    .split(/^---\n/m)
    .at(-1) as string;
  return `${COSIGN_STORE}---\n${notationVerifier}---\n${cosignVerifier([
    { name: 'default', scopes: ['*'], keys: [{ file: cosignPublicKeyPath }], tLogVerify: false },
  ])}---
${configPolicy('all')}`;
}

/** The `config-policy` Policy with `rule` for every artifact type (one document, no separator). */
export function configPolicy(rule: 'any' | 'all'): string {
  return `apiVersion: config.ratify.deislabs.io/v1beta1
kind: Policy
metadata:
  name: ratify-policy
spec:
  type: config-policy
  parameters:
    artifactVerificationPolicies:
      default: ${rule}
`;
}
