import type { KubernetesObject } from '@kubernetes/client-node';
import type { ConfigKind } from '../../config.types.js';

export const RATIFY_GROUP = 'config.ratify.deislabs.io';
export const RATIFY_VERSION = 'v1beta1';
/** kritis' attestation kinds, read beside Ratify's (seed 001). */
export const KRITIS_GROUP = 'kritis.grafeas.io';
export const KRITIS_VERSION = 'v1beta1';

export interface KubernetesKind {
  readonly kind: ConfigKind;
  readonly group: typeof RATIFY_GROUP | typeof KRITIS_GROUP;
  readonly version: string;
  /** The REST resource name (`verifiers`), as in the CRDs under deploy/crds. */
  readonly plural: string;
  /**
   * CRD scope; CertificateStore is namespaced in Ratify although it serves every namespace, kritis'
   * AttestationAuthority is cluster-scoped and its GenericAttestationPolicy namespaced.
   */
  readonly namespaced: boolean;
}

function ratifyKind(kind: ConfigKind, plural: string, namespaced: boolean): KubernetesKind {
  return { kind, group: RATIFY_GROUP, version: RATIFY_VERSION, plural, namespaced };
}

function kritisKind(kind: ConfigKind, plural: string, namespaced: boolean): KubernetesKind {
  return { kind, group: KRITIS_GROUP, version: KRITIS_VERSION, plural, namespaced };
}

/** Every kind signet watches, with the API group and scope its CRD declares. */
export const KUBERNETES_KINDS: readonly KubernetesKind[] = [
  ratifyKind('Store', 'stores', false),
  ratifyKind('NamespacedStore', 'namespacedstores', true),
  ratifyKind('Verifier', 'verifiers', false),
  ratifyKind('NamespacedVerifier', 'namespacedverifiers', true),
  ratifyKind('KeyManagementProvider', 'keymanagementproviders', false),
  ratifyKind('NamespacedKeyManagementProvider', 'namespacedkeymanagementproviders', true),
  ratifyKind('CertificateStore', 'certificatestores', true),
  ratifyKind('Policy', 'policies', false),
  ratifyKind('NamespacedPolicy', 'namespacedpolicies', true),
  kritisKind('AttestationAuthority', 'attestationauthorities', false),
  kritisKind('GenericAttestationPolicy', 'genericattestationpolicies', true),
];

/** `apiVersion` of a kind's objects (`config.ratify.deislabs.io/v1beta1`). */
export function toApiVersion(kind: KubernetesKind): string {
  return `${kind.group}/${kind.version}`;
}

/** Identifies one object across kinds: `Verifier//name`, `NamespacedVerifier/team-a/name`. */
export function toObjectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/** `toObjectKey` of an object as listed by its kind's informer. */
export function toListedObjectKey(kind: KubernetesKind, object: KubernetesObject): string {
  return toObjectKey(kind.kind, object.metadata?.namespace, object.metadata?.name ?? '');
}
