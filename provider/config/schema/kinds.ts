import type { ConfigKind } from '../config.types.js';

export const RATIFY_API_VERSION = 'config.ratify.deislabs.io/v1beta1';

const NAMESPACED_KINDS = [
  'NamespacedStore',
  'NamespacedVerifier',
  'NamespacedKeyManagementProvider',
  'NamespacedPolicy',
] as const satisfies readonly ConfigKind[];

export const CONFIG_KINDS: readonly ConfigKind[] = [
  'Store',
  'Verifier',
  'KeyManagementProvider',
  'CertificateStore',
  'Policy',
  ...NAMESPACED_KINDS,
];

/** `Namespaced*` kinds apply only to requests of their namespace. */
export function isNamespacedKind(kind: ConfigKind): boolean {
  return NAMESPACED_KINDS.some((namespaced) => namespaced === kind);
}
