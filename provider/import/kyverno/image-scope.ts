/** Ratify's cosign scope grammar: lowercase reference characters, optionally ending in one `*`. */
const SCOPE = /^[a-z0-9.\-:@/]*\*?$/;

export type ScopeResult =
  | {
      readonly ok: true;
      readonly scope: string;
      /** Set when the scope covers more than the pattern did (a tag or digest was dropped). */
      readonly widened: string | undefined;
    }
  | { readonly ok: false; readonly reason: string };

/** Docker's normalization of the repository part: registry first, `docker.io/library/` for official images. */
function normalizeRepository(repository: string): string {
  const slash = repository.indexOf('/');
  const first = slash === -1 ? repository : repository.slice(0, slash);
  const hasRegistry = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) return slash === -1 ? `docker.io/library/${repository}` : `docker.io/${repository}`;
  return first === 'index.docker.io' ? `docker.io${repository.slice(first.length)}` : repository;
}

/** The repository part of a reference pattern: without `:tag` (after the last `/`) and `@digest`. */
function splitReference(pattern: string): { readonly repository: string; readonly rest: string } {
  const at = pattern.indexOf('@');
  const withoutDigest = at === -1 ? pattern : pattern.slice(0, at);
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  const end = colon === -1 ? withoutDigest.length : colon;
  return { repository: pattern.slice(0, end), rest: pattern.slice(end) };
}

/**
 * A Kyverno `imageReferences` pattern as a Ratify cosign trust-policy scope, which matches
 * `registry/repository`: `*`, an exact repository, or a repository prefix ending in `*`. Kyverno's
 * wildcards match anywhere in the reference; only a trailing `*` (or `:*`) has a scope equivalent.
 */
export function toCosignScope(pattern: string): ScopeResult {
  if (pattern === '*') return { ok: true, scope: '*', widened: undefined };
  if (pattern.includes('?')) return { ok: false, reason: '"?" wildcards have no signet scope equivalent' };
  const { repository, rest } = splitReference(pattern);
  const starInRepository = repository.indexOf('*');
  if (starInRepository !== -1 && starInRepository !== repository.length - 1) {
    return {
      ok: false,
      reason: 'a "*" inside the repository name has no signet scope equivalent (only a trailing "*")',
    };
  }
  // `repo*` also matched tags (`repo:v1`), which the prefix scope covers; `repo:*` is the whole repository.
  const base = normalizeRepository(starInRepository === -1 ? repository : repository.slice(0, -1));
  const scope = starInRepository === -1 ? base : `${base}*`;
  if (!SCOPE.test(scope)) {
    return { ok: false, reason: `the repository ${JSON.stringify(base)} is not a valid lowercase scope` };
  }
  const widened =
    rest === '' || rest === ':*' || rest === '@*'
      ? undefined
      : `${JSON.stringify(rest)} is dropped: signet scopes name repositories, so every tag of ${scope} is covered`;
  return { ok: true, scope, widened };
}

/**
 * A Kyverno `skipImageReferences` pattern as the signet constraint's `excludedImages` glob: Kyverno's `*`
 * crosses "/", which in the template's globs is `**`.
 */
export function toExcludedImagePattern(pattern: string): string {
  return pattern.replaceAll('*', '**');
}
