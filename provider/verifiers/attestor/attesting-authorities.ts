import type { AttestationAuthorityConfig, AttestationPolicyConfig } from '../../config/index.js';

/** The authorities whose verifiers must judge an image under `policies`. */
export function attestingAuthorities(
  policies: readonly AttestationPolicyConfig[],
): AttestationAuthorityConfig[] {
  const unique = new Map<string, AttestationAuthorityConfig>();
  for (const authority of policies.flatMap((policy) => policy.authorities))
    unique.set(`${authority.resource.namespace ?? ''}/${authority.resource.name}`, authority);
  return [...unique.values()];
}
