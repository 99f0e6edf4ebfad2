import type {
  AttestationAuthorityConfig,
  AttestationPolicyConfig,
  ConfigResource,
  ConfigSnapshot,
  CosignKeyRef,
  CosignMode,
  KeyProviderConfig,
  KeyProviderRef,
  NotationTrustStoreBinding,
  PolicyConfig,
  ResourceId,
  StoreConfig,
  VerifierConfig,
} from '../config.types.js';
import { isNamespacedKind } from '../schema/kinds.js';
import { describeResource, joinPath, toConfigError } from '../schema/problems.js';
import type { ConfigProblem, ResourceLocator } from '../schema/problems.js';
import { deepFreeze } from './deep-freeze.js';

export interface SnapshotOptions {
  readonly generation: number;
  /** Where the resources came from, for logs and status (`file /etc/signet/config.yaml`). */
  readonly source: string;
}

type Resolution = { readonly provider: KeyProviderConfig } | { readonly problem: string };

/** Cluster-scoped kinds are unique by name; namespaced ones (and CertificateStore, kritis kinds) per namespace. */
function identityKey(resource: ResourceId): string {
  const scoped =
    isNamespacedKind(resource.kind) ||
    resource.kind === 'CertificateStore' ||
    resource.kind === 'AttestationAuthority' ||
    resource.kind === 'GenericAttestationPolicy';
  return `${resource.kind}/${scoped ? (resource.namespace ?? '') : ''}/${resource.name}`;
}

function describeOrigin(resource: ResourceId): string {
  return resource.document === undefined ? describeResource(resource) : `document ${resource.document}`;
}

/** Resolves key provider references by Ratify's rules; every failure names the reference. */
class KeyProviderIndex {
  private readonly clusterProviders = new Map<string, KeyProviderConfig>();
  private readonly namespacedProviders = new Map<string, KeyProviderConfig>();
  private readonly certificateStores: KeyProviderConfig[] = [];

  constructor(providers: readonly KeyProviderConfig[]) {
    for (const provider of providers) {
      const { kind, name, namespace } = provider.resource;
      if (kind === 'KeyManagementProvider') this.clusterProviders.set(name, provider);
      else if (kind === 'NamespacedKeyManagementProvider')
        this.namespacedProviders.set(`${namespace ?? ''}/${name}`, provider);
      else this.certificateStores.push(provider);
    }
  }

  resolve(ref: KeyProviderRef, user: ResourceId): Resolution {
    const written = ref.namespace === undefined ? ref.name : `${ref.namespace}/${ref.name}`;
    if (ref.namespace === undefined) {
      const provider = this.clusterProviders.get(ref.name);
      if (provider !== undefined) return { provider };
    } else {
      const provider = this.namespacedProviders.get(`${ref.namespace}/${ref.name}`);
      if (provider !== undefined) return this.checkScope(provider, user);
    }
    const stores = this.certificateStores.filter(
      (store) =>
        store.resource.name === ref.name &&
        (ref.namespace === undefined || store.resource.namespace === ref.namespace),
    );
    const [store, ...others] = stores;
    if (store === undefined)
      return { problem: `KeyManagementProvider or CertificateStore "${written}" is not defined` };
    if (others.length > 0)
      return { problem: `CertificateStore "${written}" is ambiguous: qualify it as "namespace/name"` };
    return { provider: store };
  }

  /** Ratify: namespaced key providers serve only Verifiers of the same namespace. */
  private checkScope(provider: KeyProviderConfig, user: ResourceId): Resolution {
    if (user.kind !== 'NamespacedVerifier') {
      return {
        problem: `a cluster-wide ${user.kind} cannot use the namespaced ${describeResource(provider.resource)}`,
      };
    }
    if (user.namespace !== provider.resource.namespace) {
      return {
        problem: `a NamespacedVerifier of namespace "${user.namespace ?? ''}" cannot use ${describeResource(provider.resource)}`,
      };
    }
    return { provider };
  }
}

function providesCertificates(provider: KeyProviderConfig): boolean {
  return provider.certificates.length > 0 || (provider.azureKeyVault?.certificates.length ?? 0) > 0;
}

function providesKeys(provider: KeyProviderConfig): boolean {
  return provider.publicKeys.length > 0 || (provider.azureKeyVault?.keys.length ?? 0) > 0;
}

class SnapshotBuilder {
  readonly problems: ConfigProblem[] = [];

  constructor(private readonly keyProviders: KeyProviderIndex) {}

  private report(resource: ResourceId, path: string, message: string): void {
    this.problems.push({ locator: resource, path, message });
  }

  private resolveCertificates(
    verifier: ResourceId,
    bindings: readonly NotationTrustStoreBinding<KeyProviderRef>[],
  ): NotationTrustStoreBinding<KeyProviderConfig>[] {
    const base = 'spec.parameters.verificationCertStores';
    return bindings.map((binding) => {
      const bindingPath = joinPath(
        binding.storeType === undefined ? base : joinPath(base, binding.storeType),
        binding.storeName,
      );
      const providers: KeyProviderConfig[] = [];
      binding.providers.forEach((ref, index) => {
        const path = joinPath(bindingPath, index);
        const resolution = this.keyProviders.resolve(ref, verifier);
        if ('problem' in resolution) this.report(verifier, path, resolution.problem);
        else if (!providesCertificates(resolution.provider)) {
          this.report(
            verifier,
            path,
            `${describeResource(resolution.provider.resource)} provides a public key, not certificates`,
          );
        } else providers.push(resolution.provider);
      });
      return { storeType: binding.storeType, storeName: binding.storeName, providers };
    });
  }

  private resolveKey(
    verifier: ResourceId,
    key: CosignKeyRef<KeyProviderRef>,
    path: string,
  ): CosignKeyRef<KeyProviderConfig> | undefined {
    if (key.$case === 'file') return key;
    const resolution = this.keyProviders.resolve(key.provider, verifier);
    const providerPath = joinPath(path, 'provider');
    if ('problem' in resolution) {
      this.report(verifier, providerPath, resolution.problem);
      return undefined;
    }
    const provider = resolution.provider;
    if (provider.resource.kind === 'CertificateStore' || !providesKeys(provider)) {
      this.report(verifier, providerPath, `${describeResource(provider.resource)} provides no public keys`);
      return undefined;
    }
    if (provider.provider === 'inline' && key.keyName !== undefined) {
      this.report(
        verifier,
        joinPath(path, 'name'),
        'an inline key provider holds one unnamed key; remove name and version',
      );
      return undefined;
    }
    return { ...key, provider };
  }

  private resolveCosignMode(
    verifier: ResourceId,
    mode: CosignMode<KeyProviderRef>,
  ): CosignMode<KeyProviderConfig> {
    if (mode.$case === 'legacy') return mode;
    const trustPolicies = mode.trustPolicies.map((policy, policyIndex) => {
      const policyPath = joinPath('spec.parameters.trustPolicies', policyIndex);
      const keys: CosignKeyRef<KeyProviderConfig>[] = [];
      policy.keys.forEach((key, keyIndex) => {
        const resolved = this.resolveKey(verifier, key, joinPath(joinPath(policyPath, 'keys'), keyIndex));
        if (resolved !== undefined) keys.push(resolved);
      });
      return { ...policy, keys };
    });
    return { $case: 'trustPolicies', trustPolicies };
  }

  resolveVerifier(verifier: VerifierConfig<KeyProviderRef>): VerifierConfig {
    switch (verifier.type) {
      case 'notation':
        return {
          ...verifier,
          verificationCertStores: this.resolveCertificates(
            verifier.resource,
            verifier.verificationCertStores,
          ),
        };
      case 'cosign':
        return { ...verifier, mode: this.resolveCosignMode(verifier.resource, verifier.mode) };
    }
  }

  checkUnique(resources: readonly ConfigResource[]): void {
    const first = new Map<string, ResourceId>();
    for (const { resource } of resources) {
      if (resource === undefined) continue;
      const key = identityKey(resource);
      const previous = first.get(key);
      if (previous === undefined) first.set(key, resource);
      else
        this.report(
          resource,
          'metadata.name',
          `duplicate ${resource.kind} (also ${describeOrigin(previous)})`,
        );
    }
  }

  /** kritis: a policy's authority names resolve in its own namespace first, then to a cluster-wide authority. */
  resolveAttestationPolicy(
    policy: AttestationPolicyConfig<string>,
    authorities: readonly AttestationAuthorityConfig[],
  ): AttestationPolicyConfig {
    const resolved: AttestationAuthorityConfig[] = [];
    policy.authorities.forEach((name, index) => {
      const candidates = authorities.filter((authority) => authority.resource.name === name);
      const authority =
        candidates.find((candidate) => candidate.resource.namespace === policy.resource.namespace) ??
        candidates.find((candidate) => candidate.resource.namespace === undefined);
      if (authority === undefined) {
        this.report(
          policy.resource,
          joinPath('spec.attestationAuthorityNames', index),
          `AttestationAuthority "${name}" is not defined in namespace "${policy.resource.namespace ?? ''}" or cluster-wide`,
        );
      } else resolved.push(authority);
    });
    return { ...policy, authorities: resolved };
  }

  checkPresence(
    stores: readonly StoreConfig[],
    verifiers: readonly VerifierConfig<KeyProviderRef>[],
    attestationPolicies: readonly AttestationPolicyConfig<string>[],
  ): void {
    const configuration: ResourceLocator = {};
    if (stores.length === 0) {
      this.problems.push({
        locator: configuration,
        path: '',
        message: 'no Store is defined (add a Store with spec.name: oras)',
      });
    }
    // A kritis-only configuration (attestation policies, no Ratify Verifier) is complete.
    if (verifiers.length === 0 && attestationPolicies.length === 0) {
      this.problems.push({
        locator: configuration,
        path: '',
        message: 'no Verifier is defined (add a notation or cosign Verifier)',
      });
    }
  }
}

function assemble(resources: readonly ConfigResource[]): {
  problems: ConfigProblem[];
  snapshot: Omit<ConfigSnapshot, 'generation' | 'sourceDescription'>;
} {
  const stores: StoreConfig[] = [];
  const declaredVerifiers: VerifierConfig<KeyProviderRef>[] = [];
  const keyProviders: KeyProviderConfig[] = [];
  const policies: PolicyConfig[] = [];
  const attestationAuthorities: AttestationAuthorityConfig[] = [];
  const declaredAttestationPolicies: AttestationPolicyConfig<string>[] = [];
  for (const resource of resources) {
    switch (resource.$case) {
      case 'store':
        stores.push(resource);
        break;
      case 'verifier':
        declaredVerifiers.push(resource);
        break;
      case 'keyProvider':
        keyProviders.push(resource);
        break;
      case 'policy':
        policies.push(resource);
        break;
      case 'attestationAuthority':
        attestationAuthorities.push(resource);
        break;
      case 'attestationPolicy':
        declaredAttestationPolicies.push(resource);
        break;
    }
  }
  const builder = new SnapshotBuilder(new KeyProviderIndex(keyProviders));
  builder.checkUnique(resources);
  builder.checkPresence(stores, declaredVerifiers, declaredAttestationPolicies);
  const verifiers = declaredVerifiers.map((verifier) => builder.resolveVerifier(verifier));
  const attestationPolicies = declaredAttestationPolicies.map((policy) =>
    builder.resolveAttestationPolicy(policy, attestationAuthorities),
  );
  return {
    problems: builder.problems,
    snapshot: {
      stores,
      verifiers,
      keyManagementProviders: keyProviders.filter(
        (provider) => provider.resource.kind !== 'CertificateStore',
      ),
      certificateStores: keyProviders.filter((provider) => provider.resource.kind === 'CertificateStore'),
      policies,
      attestationAuthorities,
      attestationPolicies,
    },
  };
}

/**
 * Problems that only show across resources: duplicates, references to key providers that do not
 * exist or do not fit, a configuration without Store or Verifier. A source that must skip bad
 * resources (Kubernetes) drops the named ones and asks again.
 */
export function findSnapshotProblems(resources: readonly ConfigResource[]): ConfigProblem[] {
  return assemble(resources).problems;
}

/**
 * The one way to build a ConfigSnapshot, shared by every source: resolves references and freezes
 * everything. The resources are frozen in place and become part of the snapshot.
 * Throws CONFIG_INVALID naming every problem.
 */
export function createSnapshot(
  resources: readonly ConfigResource[],
  options: SnapshotOptions,
): ConfigSnapshot {
  const { problems, snapshot } = assemble(resources);
  if (problems.length > 0) throw toConfigError(problems, { source: options.source });
  return deepFreeze({ generation: options.generation, sourceDescription: options.source, ...snapshot });
}
