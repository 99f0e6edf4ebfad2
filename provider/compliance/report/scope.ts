// Which resources a constraint covers and which it exempts, mirroring Gatekeeper's match (kinds, namespaces,
// excludedNamespaces, labelSelector) and the signet templates' image rules (pod spec per kind, excludedImages
// globs as OPA's glob.match with "/" as the separator). Pure.

/** A Kubernetes object as listed: only the fields the report reads. */
export interface ListedObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly creationTimestamp?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: unknown;
  readonly status?: unknown;
}

/** Every pod-bearing workload kind the signet templates judge, with its API group and version. */
export const WORKLOAD_KINDS = [
  { group: '', version: 'v1', kind: 'Pod' },
  { group: '', version: 'v1', kind: 'ReplicationController' },
  { group: 'apps', version: 'v1', kind: 'Deployment' },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet' },
  { group: 'apps', version: 'v1', kind: 'StatefulSet' },
  { group: 'apps', version: 'v1', kind: 'DaemonSet' },
  { group: 'batch', version: 'v1', kind: 'Job' },
  { group: 'batch', version: 'v1', kind: 'CronJob' },
] as const;

export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** A constraint's `spec.match` as signet assign renders it. */
export interface ConstraintMatch {
  readonly kinds?: readonly { readonly apiGroups?: readonly string[]; readonly kinds?: readonly string[] }[];
  readonly namespaces?: readonly string[];
  readonly excludedNamespaces?: readonly string[];
  readonly labelSelector?: LabelSelector;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The workload kinds a match selects (Gatekeeper: `*` matches any group or kind; no kinds means every kind). */
export function matchedWorkloadKinds(match: ConstraintMatch): WorkloadKind[] {
  const entries = match.kinds ?? [];
  if (entries.length === 0) return [...WORKLOAD_KINDS];
  return WORKLOAD_KINDS.filter((workload) =>
    entries.some(
      (entry) =>
        (entry.apiGroups ?? []).some((group) => group === '*' || group === workload.group) &&
        (entry.kinds ?? []).some((kind) => kind === '*' || kind === workload.kind),
    ),
  );
}

/** Gatekeeper's namespace patterns: exact, or a `*` at the start or end as a suffix / prefix wildcard. */
export function namespaceMatches(pattern: string, namespace: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return namespace.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return namespace.endsWith(pattern.slice(1));
  return pattern === namespace;
}

/** Kubernetes label selector semantics: matchLabels and matchExpressions ANDed; empty matches everything. */
export function labelsMatch(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === undefined) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  return (selector.matchExpressions ?? []).every((requirement) => {
    const has = Object.hasOwn(labels, requirement.key);
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        return has && values.includes(labels[requirement.key] ?? '');
      case 'NotIn':
        return !has || !values.includes(labels[requirement.key] ?? '');
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        // An operator Kubernetes does not know selects nothing (the apiserver would have refused it).
        return false;
    }
  });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const globCache = new Map<string, RegExp>();

/**
 * OPA's `glob.match(pattern, ["/"], value)`: `*` any run within one "/" segment, `**` any run across segments,
 * `?` one character but "/", `[abc]` / `[!abc]` / `[a-z]` a character class, `{a,b}` alternatives, `\x` literal.
 */
export function globMatches(pattern: string, value: string): boolean {
  let regex = globCache.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^${globToRegex(pattern)}$`, 'u');
    if (globCache.size > 1_000) globCache.clear();
    globCache.set(pattern, regex);
  }
  return regex.test(value);
}

function globToRegex(pattern: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] ?? '';
    if (char === '\\' && i + 1 < pattern.length) {
      out += escapeRegex(pattern[i + 1] ?? '');
      i += 1;
    } else if (char === '*') {
      if (pattern[i + 1] === '*') {
        out += '.*';
        i += 1;
      } else out += '[^/]*';
    } else if (char === '?') out += '[^/]';
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        const body = pattern.slice(i + 1, end);
        const negated = body.startsWith('!');
        const members = (negated ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&');
        out += negated ? `[^/${members}]` : `[${members}]`;
        i = end;
      }
    } else if (char === '{') {
      out += '(?:';
      depth += 1;
    } else if (char === '}' && depth > 0) {
      out += ')';
      depth -= 1;
    } else if (char === ',' && depth > 0) out += '|';
    else out += escapeRegex(char);
  }
  return out + ')'.repeat(depth);
}

/** The pod spec of a workload, as the templates find it (spec, spec.template.spec, spec.jobTemplate…). */
export function podSpecOf(object: ListedObject): Record<string, unknown> | undefined {
  const spec = isRecord(object.spec) ? object.spec : undefined;
  if (spec === undefined) return undefined;
  if (object.kind === 'Pod') return spec;
  if (object.kind === 'CronJob') {
    const jobTemplate = isRecord(spec.jobTemplate) ? spec.jobTemplate : undefined;
    const jobSpec = isRecord(jobTemplate?.spec) ? jobTemplate.spec : undefined;
    const template = isRecord(jobSpec?.template) ? jobSpec.template : undefined;
    return isRecord(template?.spec) ? template.spec : undefined;
  }
  const template = isRecord(spec.template) ? spec.template : undefined;
  return isRecord(template?.spec) ? template.spec : undefined;
}

/** Every distinct image of containers, initContainers and ephemeralContainers, in that order. */
export function imagesOf(object: ListedObject): string[] {
  const podSpec = podSpecOf(object);
  if (podSpec === undefined) return [];
  const images = new Set<string>();
  for (const field of ['containers', 'initContainers', 'ephemeralContainers']) {
    const containers = podSpec[field];
    if (!Array.isArray(containers)) continue;
    for (const container of containers as unknown[]) {
      if (isRecord(container) && typeof container.image === 'string') images.add(container.image);
    }
  }
  return [...images];
}

/** Why a constraint does not apply to a resource it would otherwise select. */
export type Exemption =
  | { readonly $case: 'excludedNamespace'; readonly pattern: string }
  | { readonly $case: 'labelSelector' }
  | { readonly $case: 'allImagesExcluded' };

export type ScopeDecision =
  | { readonly $case: 'outOfScope' }
  | { readonly $case: 'exempt'; readonly exemption: Exemption }
  | { readonly $case: 'inScope' };

/**
 * Whether `object` is in the constraint's scope: not at all (another kind or a namespace it does not include),
 * exempt (excluded namespace, labels the selector does not select, every image excluded), or judged.
 */
export function decideScope(
  match: ConstraintMatch,
  excludedImages: readonly string[],
  object: ListedObject,
): ScopeDecision {
  const namespace = object.metadata?.namespace ?? '';
  const kinds = matchedWorkloadKinds(match);
  if (!kinds.some((kind) => kind.kind === object.kind)) return { $case: 'outOfScope' };
  const included = match.namespaces ?? [];
  if (included.length > 0 && !included.some((pattern) => namespaceMatches(pattern, namespace)))
    return { $case: 'outOfScope' };
  const excluded = (match.excludedNamespaces ?? []).find((pattern) => namespaceMatches(pattern, namespace));
  if (excluded !== undefined)
    return { $case: 'exempt', exemption: { $case: 'excludedNamespace', pattern: excluded } };
  if (!labelsMatch(match.labelSelector, object.metadata?.labels ?? {}))
    return { $case: 'exempt', exemption: { $case: 'labelSelector' } };
  const images = imagesOf(object);
  if (images.length > 0 && images.every((image) => excludedPattern(excludedImages, image) !== undefined))
    return { $case: 'exempt', exemption: { $case: 'allImagesExcluded' } };
  return { $case: 'inScope' };
}

/** The first excludedImages glob the image matches. */
export function excludedPattern(patterns: readonly string[], image: string): string | undefined {
  return patterns.find((pattern) => globMatches(pattern, image));
}

/** A sentence for an exemption, for reports. */
export function describeExemption(exemption: Exemption): string {
  switch (exemption.$case) {
    case 'excludedNamespace':
      return `namespace excluded by the policy (excludedNamespaces ${exemption.pattern})`;
    case 'labelSelector':
      return "the resource's labels are not selected by the policy's labelSelector";
    case 'allImagesExcluded':
      return "every image is excluded by the policy's excludedImages";
  }
}
