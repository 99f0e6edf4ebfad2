/** Ratify's global scope: the policy for repositories no other scope covers. */
const GLOBAL_SCOPE = '*';

interface Scoped {
  readonly scopes: readonly string[];
}

/** Whether `scope` covers `repository` (`registry/path`): equal, or a prefix ending in `*`. */
function covers(scope: string, repository: string): boolean {
  return scope.endsWith(GLOBAL_SCOPE) ? repository.startsWith(scope.slice(0, -1)) : scope === repository;
}

/**
 * The trust policy for `repository` under Ratify's cosign scope rules: a policy naming the repository or a
 * prefix of it wins over the global `*` policy. Load-time checks forbid overlapping scopes, so at most one
 * non-global policy matches.
 */
export function selectCosignTrustPolicy<T extends Scoped>(
  policies: readonly T[],
  repository: string,
): T | undefined {
  const scoped = policies.find((policy) =>
    policy.scopes.some((scope) => scope !== GLOBAL_SCOPE && covers(scope, repository)),
  );
  return scoped ?? policies.find((policy) => policy.scopes.includes(GLOBAL_SCOPE));
}
