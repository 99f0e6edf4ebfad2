import type { ConfigKind } from '../config.types.js';

export const RATIFY_API_VERSION = 'config.ratify.deislabs.io/v1beta1';
/** kritis' resources, read beside Ratify's: attestation authorities and per-namespace attestation policies. */
export const KRITIS_API_VERSION = 'kritis.grafeas.io/v1beta1';
export const API_VERSIONS = [RATIFY_API_VERSION, KRITIS_API_VERSION] as const;
export const KRITIS_KINDS = [
  'AttestationAuthority',
  'GenericAttestationPolicy',
] as const satisfies readonly ConfigKind[];

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

/** The kinds an apiVersion defines. */
export function kindsOf(apiVersion: (typeof API_VERSIONS)[number]): readonly ConfigKind[] {
  return apiVersion === KRITIS_API_VERSION ? KRITIS_KINDS : CONFIG_KINDS;
}

/** `Namespaced*` kinds apply only to requests of their namespace. */
export function isNamespacedKind(kind: ConfigKind): boolean {
  return NAMESPACED_KINDS.some((namespaced) => namespaced === kind);
}
