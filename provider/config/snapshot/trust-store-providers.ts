import type { KeyProviderConfig, NotationVerifierConfig, TrustStoreType } from '../config.types.js';

/**
 * The key providers behind the trust store `storeType:storeName` of a notation trust policy. A
 * legacy binding (`certs: [...]`) serves every type, as in Ratify; bindings are additive.
 */
export function toTrustStoreProviders(
  verifier: NotationVerifierConfig,
  storeType: TrustStoreType,
  storeName: string,
): readonly KeyProviderConfig[] {
  return verifier.verificationCertStores
    .filter(
      (binding) =>
        binding.storeName === storeName &&
        (binding.storeType === undefined || binding.storeType === storeType),
    )
    .flatMap((binding) => binding.providers);
}
