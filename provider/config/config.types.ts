import type { PublicKey, X509Certificate } from '@peculiar/x509';
import type { ConfigSecret } from './config-secret.js';

/**
 * Typed configuration: Ratify `config.ratify.deislabs.io/v1beta1` resources as signet reads them,
 * and the immutable snapshot built from them. Every source (file, Kubernetes) produces the same
 * resources and calls the same `createSnapshot`.
 */

export type ConfigKind =
  | 'Store'
  | 'NamespacedStore'
  | 'Verifier'
  | 'NamespacedVerifier'
  | 'KeyManagementProvider'
  | 'NamespacedKeyManagementProvider'
  | 'CertificateStore'
  | 'Policy'
  | 'NamespacedPolicy'
  | 'AttestationAuthority'
  | 'GenericAttestationPolicy';

export interface ResourceId {
  readonly kind: ConfigKind;
  readonly name: string;
  /** Required for `Namespaced*` kinds; optional for CertificateStore (namespaced in Ratify); else ignored. */
  readonly namespace: string | undefined;
  /** 1-based index of the document in its file; undefined for other sources. */
  readonly document: number | undefined;
}

// ---------------------------------------------------------------- stores

export type AuthProviderName =
  'dockerConfig' | 'k8Secrets' | 'azureWorkloadIdentity' | 'azureManagedIdentity' | 'awsEcrBasic';

/** Ratify's ORAS `authProvider`; `params` keeps every field as written (provider-specific). */
export type AuthProviderConfig =
  | {
      readonly name: 'dockerConfig';
      /** Docker config.json path; undefined means `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
      readonly configPath: string | undefined;
      readonly params: Readonly<Record<string, unknown>>;
    }
  | {
      readonly name: 'k8Secrets';
      readonly serviceAccountName: string;
      readonly secrets: readonly { readonly secretName: string; readonly namespace: string | undefined }[];
      readonly params: Readonly<Record<string, unknown>>;
    }
  | {
      readonly name: 'azureWorkloadIdentity' | 'azureManagedIdentity' | 'awsEcrBasic';
      readonly params: Readonly<Record<string, unknown>>;
    };

export interface RegistryCredential {
  readonly username: string;
  readonly password: ConfigSecret;
}

/**
 * signet extension, not part of Ratify: `spec.parameters.signet` of an `oras` Store. Ratify ignores
 * unknown parameters, so a file using it still loads in Ratify.
 */
export interface SignetRegistrySettings {
  /** Registries (`host` or `host:port`) reached over plain HTTP; Ratify's `useHttp` applies to all. */
  readonly insecureRegistries: readonly string[];
  /** Static credentials by registry host, tried before the auth provider. */
  readonly credentials: Readonly<Record<string, RegistryCredential>>;
  /**
   * A docker config's `credHelpers`: the credential helper (`docker-credential-<name>`) per registry host,
   * tried before `credentials` (a host is in one of the two); `k8Secrets` Secrets add theirs here.
   */
  readonly credHelpers: Readonly<Record<string, string>>;
  /** A docker config's `credsStore`: the helper for registries nothing else of the Store has credentials for. */
  readonly credsStore: string | undefined;
}

export interface StoreConfig {
  readonly $case: 'store';
  readonly resource: ResourceId;
  /** `spec.name`; signet implements only Ratify's built-in `oras` store. */
  readonly name: 'oras';
  readonly useHttp: boolean;
  readonly cosignEnabled: boolean;
  /** Ratify's default when absent: `dockerConfig`. */
  readonly authProvider: AuthProviderConfig;
  readonly localCachePath: string | undefined;
  readonly signet: SignetRegistrySettings;
  /** `spec.parameters` as written (cache settings etc. are accepted and not used). */
  readonly parameters: Readonly<Record<string, unknown>>;
}

// ---------------------------------------------------------------- key management providers

export interface AzureKeyVaultObject {
  readonly name: string;
  readonly version: string | undefined;
}

export interface AzureKeyVaultSettings {
  readonly vaultURI: string;
  readonly tenantID: string;
  readonly clientID: string;
  readonly cloudName: string | undefined;
  readonly certificates: readonly AzureKeyVaultObject[];
  readonly keys: readonly AzureKeyVaultObject[];
}

/** A KeyManagementProvider, NamespacedKeyManagementProvider or (deprecated) CertificateStore. */
export interface KeyProviderConfig {
  readonly $case: 'keyProvider';
  readonly resource: ResourceId;
  readonly provider: 'inline' | 'azurekeyvault';
  readonly refreshInterval: string | undefined;
  /** Inline certificates (a PEM chain or bundle), parsed at load time. */
  readonly certificates: readonly X509Certificate[];
  /** Inline public key (`contentType: key`), parsed at load time. */
  readonly publicKeys: readonly PublicKey[];
  /** Key Vault settings; `certificates` / `publicKeys` then hold what was fetched (sources/azure-key-vault). */
  readonly azureKeyVault: AzureKeyVaultSettings | undefined;
  /** Why a Key Vault provider holds no material now (fetch failed, object disabled...): its verifiers fail closed. */
  readonly unavailable?: string | undefined;
}

/** A reference to a key provider as written in a Verifier (`name` or `namespace/name`). */
export interface KeyProviderRef {
  readonly name: string;
  readonly namespace: string | undefined;
}

// ---------------------------------------------------------------- verifiers

interface VerifierCommon {
  readonly $case: 'verifier';
  readonly resource: ResourceId;
  /** `spec.name`: the name reports carry (`notation`). */
  readonly name: string;
  /** `spec.artifactTypes` split on commas; `*` matches every artifact type. */
  readonly artifactTypes: readonly string[];
  readonly version: string | undefined;
  /** `spec.parameters` as written, including verifier-specific fields signet does not type. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

export type TrustStoreType = 'ca' | 'signingAuthority' | 'tsa';

export interface NotationTrustStoreBinding<P> {
  /** Undefined for Ratify's legacy form (`certs: [providers]`), which serves every trust store type. */
  readonly storeType: TrustStoreType | undefined;
  readonly storeName: string;
  readonly providers: readonly P[];
}

export type NotationVerificationLevel = 'strict' | 'permissive' | 'audit' | 'skip';
export type NotationValidationType =
  'integrity' | 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';
export type NotationValidationAction = 'enforce' | 'log' | 'skip';

/**
 * A notation trust policy statement, checked for shape only. Notation's semantic rules (unique
 * names and scopes, `*` alone, identity syntax, non-empty identities) belong to the notation
 * verifier so its messages match notation's. Values are as written: `trustedIdentities:` with no
 * value is `null`.
 */
export interface NotationTrustPolicyStatement {
  readonly name: string;
  readonly registryScopes: readonly string[];
  readonly signatureVerification: {
    readonly level: NotationVerificationLevel;
    readonly override?: Readonly<Partial<Record<NotationValidationType, NotationValidationAction>>>;
    readonly verifyTimestamp?: 'always' | 'afterCertExpiry';
  };
  readonly trustStores?: readonly string[] | null;
  readonly trustedIdentities?: readonly string[] | null;
}

export interface NotationTrustPolicyDocument {
  readonly version: '1.0';
  readonly trustPolicies: readonly NotationTrustPolicyStatement[];
}

export interface NotationVerifierConfig<P = KeyProviderConfig> extends VerifierCommon {
  readonly type: 'notation';
  /** Certificate files or directories (Ratify `verificationCerts`), read by the trust layer; like Ratify, they serve every trust store the policy names. */
  readonly verificationCerts: readonly string[];
  readonly verificationCertStores: readonly NotationTrustStoreBinding<P>[];
  /** The document as written (validated for shape), parsed with notation's rules by the verifier. */
  readonly trustPolicyDoc: NotationTrustPolicyDocument;
}

export type CosignKeyRef<P> =
  | { readonly $case: 'file'; readonly path: string }
  | {
      readonly $case: 'provider';
      readonly provider: P;
      /** A single key of the provider; undefined means every key it provides. */
      readonly keyName: string | undefined;
      readonly keyVersion: string | undefined;
    };

export interface CosignKeyless {
  readonly certificateIdentity: string | undefined;
  readonly certificateIdentityRegExp: string | undefined;
  readonly certificateOIDCIssuer: string | undefined;
  readonly certificateOIDCIssuerRegExp: string | undefined;
  /** Ratify default: true. */
  readonly ctLogVerify: boolean;
  /** signet extension: the `trusted_root.json` (Fulcio, Rekor, CT logs, TSAs) keyless signatures chain to; required. */
  readonly trustedRootPath: string | undefined;
}

export interface CosignTrustPolicy<P> {
  readonly name: string;
  readonly version: '1.0.0';
  /** `*`, a repository, or a prefix ending in `*` (Ratify's scope rules, checked at load). */
  readonly scopes: readonly string[];
  /** Exactly one of keys (non-empty) and keyless is set. */
  readonly keys: readonly CosignKeyRef<P>[];
  readonly keyless: CosignKeyless | undefined;
  /** Ratify default: true. */
  readonly tLogVerify: boolean;
  /** Ratify default: https://rekor.sigstore.dev. */
  readonly rekorURL: string;
  // signet extensions (not in Ratify); absent means the default named.
  /** cosign's `--signature-digest-algorithm`: the hash ECDSA and RSA signatures are checked over (default sha256). */
  readonly signatureDigestAlgorithm?: CosignDigestAlgorithm;
  /** Which `critical.identity.docker-reference` a simple-signing payload must name (default: not checked, as cosign). */
  readonly signedIdentity?: CosignSignedIdentity;
  /** Kyverno's attestor `count`: valid signatures by this many distinct keys are needed (default 1: any key). */
  readonly count?: number;
  /** Kyverno's `required`: false reports failures without denying (audit); default true. */
  readonly required?: boolean;
  /** Attestations (`cosign attest`) judged by predicate type; an attestation of another type fails. */
  readonly attestations?: readonly CosignAttestationRule[];
  /** A `trusted_root.json` whose Rekor keys check key-based signatures' log entries when `tLogVerify` is true. */
  readonly trustedRootPath?: string;
}

export type CosignDigestAlgorithm = 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** containers-policy.json's `signedIdentity` types that apply to a digest-pinned subject. */
export type CosignSignedIdentity =
  | { readonly $case: 'matchRepository' }
  | { readonly $case: 'exactRepository'; readonly dockerRepository: string };

export interface CosignAttestationRule {
  /** The in-toto predicate type URI (cosign's short names such as `slsaprovenance` are expanded at load). */
  readonly predicateType: string;
  /** Kyverno-style condition blocks over the predicate; every block must hold. Empty: none. */
  readonly conditions: readonly CosignConditionBlock[];
}

/** Kyverno's `AnyAllConditions`: every `all` condition holds, and one `any` condition when there are any. */
export interface CosignConditionBlock {
  readonly all: readonly CosignCondition[];
  readonly any: readonly CosignCondition[];
}

/** Kyverno's condition operators signet evaluates (exact JSON equality; no wildcards). */
export type CosignConditionOperator = 'Equals' | 'NotEquals' | 'In' | 'NotIn';

export interface CosignCondition {
  /** As written (`{{ builder.id }}`), for messages. */
  readonly key: string;
  /** The field path into the predicate (`['builder', 'id']`). */
  readonly path: readonly string[];
  readonly operator: CosignConditionOperator;
  /** Any JSON value; for In/NotIn a list. */
  readonly value: unknown;
}

export type CosignMode<P> =
  | {
      /** Ratify's deprecated form: `key` file and/or `rekorURL`, no `trustPolicies`. */
      readonly $case: 'legacy';
      readonly key: string | undefined;
      readonly rekorURL: string | undefined;
    }
  | { readonly $case: 'trustPolicies'; readonly trustPolicies: readonly CosignTrustPolicy<P>[] };

export interface CosignVerifierConfig<P = KeyProviderConfig> extends VerifierCommon {
  readonly type: 'cosign';
  readonly mode: CosignMode<P>;
  readonly nestedArtifactTypes: readonly string[];
}

export type VerifierConfig<P = KeyProviderConfig> = NotationVerifierConfig<P> | CosignVerifierConfig<P>;

// ---------------------------------------------------------------- policy

export type ArtifactVerificationRule = 'any' | 'all';

export interface ConfigPolicyConfig {
  readonly $case: 'policy';
  /** Undefined for the built-in default used when no Policy is configured. */
  readonly resource: ResourceId | undefined;
  readonly type: 'config-policy';
  /** Rule per artifact type, without the `default` entry. */
  readonly artifactVerificationPolicies: Readonly<Record<string, ArtifactVerificationRule>>;
  /** The `default` entry; Ratify's default is `all`. */
  readonly defaultRule: ArtifactVerificationRule;
  readonly passthroughEnabled: boolean;
}

export interface RegoPolicyConfig {
  readonly $case: 'policy';
  readonly resource: ResourceId | undefined;
  readonly type: 'rego-policy';
  readonly policy: string | undefined;
  readonly policyPath: string | undefined;
  readonly passthroughEnabled: boolean;
}

export type PolicyConfig = ConfigPolicyConfig | RegoPolicyConfig;

// ---------------------------------------------------------------- kritis attestation (kritis.grafeas.io/v1beta1)

/** One public key of an AttestationAuthority (PKIX), parsed at load time. */
export interface AttestorPublicKey {
  /** kritis `keyId` / ACK `publicKeyId`, for reports; undefined when not written. */
  readonly keyId: string | undefined;
  readonly key: PublicKey;
  /** Grafeas' signature algorithm name as written (`RSA_SIGN_PKCS1_2048_SHA256`), checked against the key. */
  readonly signatureAlgorithm: string | undefined;
}

/** A kritis AttestationAuthority: named public keys whose signatures over an image digest attest it. */
export interface AttestationAuthorityConfig {
  readonly $case: 'attestationAuthority';
  /** Namespace undefined means cluster-wide (ACK writes it without one). */
  readonly resource: ResourceId;
  readonly noteReference: string;
  readonly publicKeys: readonly AttestorPublicKey[];
}

/**
 * A kritis GenericAttestationPolicy: in its namespace, an image must be referenced by digest and attested
 * by one of the named authorities. `A` is the authority name as written, or the resolved authority.
 */
export interface AttestationPolicyConfig<A = AttestationAuthorityConfig> {
  readonly $case: 'attestationPolicy';
  /** Always namespaced; written without a namespace it is in `default`, as kubectl would put it. */
  readonly resource: ResourceId;
  readonly authorities: readonly A[];
  /** `admissionWhitelistPatterns[].namePattern`: images admitted without attestation. */
  readonly admissionWhitelistPatterns: readonly string[];
}

// ---------------------------------------------------------------- resources and snapshot

/** One validated resource; verifiers still name their key providers, the snapshot resolves them. */
export type ConfigResource =
  | StoreConfig
  | VerifierConfig<KeyProviderRef>
  | KeyProviderConfig
  | PolicyConfig
  | AttestationAuthorityConfig
  | AttestationPolicyConfig<string>;

/**
 * Everything verification reads, deeply frozen. A change builds a new snapshot with a higher
 * generation and swaps it whole; the request path only ever reads one snapshot.
 */
export interface ConfigSnapshot {
  /** Increases with every successful load; part of cache keys. */
  readonly generation: number;
  /** Where it came from: `file /etc/signet/config.yaml`, `embedded default configuration`. */
  readonly sourceDescription: string;
  readonly stores: readonly StoreConfig[];
  readonly verifiers: readonly VerifierConfig[];
  /** KeyManagementProvider and NamespacedKeyManagementProvider resources. */
  readonly keyManagementProviders: readonly KeyProviderConfig[];
  readonly certificateStores: readonly KeyProviderConfig[];
  /** Declared Policy / NamespacedPolicy resources; see `toNamespaceView` for the effective one. */
  readonly policies: readonly PolicyConfig[];
  readonly attestationAuthorities: readonly AttestationAuthorityConfig[];
  /** GenericAttestationPolicy resources with their authorities resolved. */
  readonly attestationPolicies: readonly AttestationPolicyConfig[];
}

/** What applies to one request: namespaced resources of its namespace, else the cluster-wide ones. */
export interface NamespaceView {
  readonly stores: readonly StoreConfig[];
  readonly verifiers: readonly VerifierConfig[];
  readonly policy: PolicyConfig;
  /** The GenericAttestationPolicies of the request's namespace; empty when it has none. */
  readonly attestationPolicies: readonly AttestationPolicyConfig[];
}
