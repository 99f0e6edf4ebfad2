import type { ConfigPolicyConfig, ConfigSnapshot, NamespaceView, ResourceId } from '../config.types.js';
import { isNamespacedKind } from '../schema/kinds.js';
import { deepFreeze } from './deep-freeze.js';

/** Ratify's chart default when no Policy exists: every artifact type must verify (`default: all`). */
export const DEFAULT_POLICY: ConfigPolicyConfig = deepFreeze({
  $case: 'policy',
  resource: undefined,
  type: 'config-policy',
  artifactVerificationPolicies: {},
  defaultRule: 'all',
  passthroughEnabled: false,
});

/** Namespaced resources of `namespace` if there are any, else the cluster-wide ones (Ratify's precedence). */
function select<T extends { readonly resource: ResourceId | undefined }>(
  items: readonly T[],
  namespace: string | undefined,
): readonly T[] {
  const inNamespace =
    namespace === undefined
      ? []
      : items.filter(
          (item) =>
            item.resource !== undefined &&
            isNamespacedKind(item.resource.kind) &&
            item.resource.namespace === namespace,
        );
  if (inNamespace.length > 0) return inNamespace;
  return items.filter((item) => item.resource === undefined || !isNamespacedKind(item.resource.kind));
}

/**
 * What applies to one request: for stores, verifiers and the policy separately, the namespaced
 * resources of the request's namespace when it has any, else the cluster-wide ones; the policy
 * falls back to DEFAULT_POLICY. `namespace` undefined (no `[namespace]` key prefix) means cluster-wide.
 * kritis GenericAttestationPolicies apply only to requests of their namespace (never to plain keys).
 */
export function toNamespaceView(snapshot: ConfigSnapshot, namespace: string | undefined): NamespaceView {
  return {
    stores: select(snapshot.stores, namespace),
    verifiers: select(snapshot.verifiers, namespace),
    policy: select(snapshot.policies, namespace)[0] ?? DEFAULT_POLICY,
    attestationPolicies:
      namespace === undefined
        ? []
        : snapshot.attestationPolicies.filter((policy) => policy.resource.namespace === namespace),
  };
}
