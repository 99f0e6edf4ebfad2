import type { ImportNote } from './kyverno-import.types.js';

/** API group of each kind the signet templates inspect (they read pod specs only). */
const POD_BEARING_GROUPS: Readonly<Record<string, string>> = {
  Pod: '',
  ReplicationController: '',
  Deployment: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  ReplicaSet: 'apps',
  Job: 'batch',
  CronJob: 'batch',
};
/** Kyverno's default pod controllers for rules matching Pods (annotation `pod-policies.kyverno.io/autogen-controllers`). */
const DEFAULT_AUTOGEN = [
  'DaemonSet',
  'Deployment',
  'Job',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'CronJob',
];
export const AUTOGEN_ANNOTATION = 'pod-policies.kyverno.io/autogen-controllers';
/** Fields of a Kyverno resource filter signet's constraint can express. */
const CONVERTED_RESOURCE_FIELDS = new Set(['kinds', 'namespaces']);

export interface GatekeeperMatch {
  readonly kinds: readonly { readonly apiGroups: readonly string[]; readonly kinds: readonly string[] }[];
  readonly namespaces?: readonly string[];
  readonly excludedNamespaces?: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The filters of a match/exclude block: `any`, `all` or the legacy single `resources` form. */
function filtersOf(block: unknown, where: string, notes: ImportNote[]): Record<string, unknown>[] {
  if (!isRecord(block)) return [];
  const any = Array.isArray(block.any) ? block.any.filter(isRecord) : [];
  const all = Array.isArray(block.all) ? block.all.filter(isRecord) : [];
  if (all.length > 1) {
    notes.push({
      $case: 'approximated',
      where,
      message: `"all" with ${all.length} filters is read as their union; a constraint match cannot intersect them`,
    });
  }
  const legacy = isRecord(block.resources) ? [block] : [];
  return [...any, ...all, ...legacy];
}

/** `v1/Pod`, `apps/v1/Deployment` and `Pod` name the same kind for the templates. */
function kindName(kind: string): string {
  return kind.slice(kind.lastIndexOf('/') + 1);
}

function noteUnconverted(filter: Record<string, unknown>, where: string, notes: ImportNote[]): void {
  const resources = isRecord(filter.resources) ? filter.resources : {};
  const ignored = [
    ...Object.keys(resources)
      .filter((key) => !CONVERTED_RESOURCE_FIELDS.has(key))
      .map((key) => `resources.${key}`),
    ...Object.keys(filter).filter((key) => key !== 'resources'),
  ];
  if (ignored.length > 0) {
    notes.push({
      $case: 'skipped',
      where,
      message: `${ignored.join(', ')} not converted: the constraint matches by kind and namespace only`,
    });
  }
}

/**
 * A Kyverno rule's `match` / `exclude` as a Gatekeeper constraint `match`: pod-bearing kinds (Pods expand to
 * Kyverno's auto-generated pod controllers), namespaces and excluded namespaces. `policyNamespace` (a
 * namespaced Kyverno Policy) confines the match to that namespace.
 */
export function toGatekeeperMatch(
  rule: Record<string, unknown>,
  options: {
    readonly where: string;
    readonly autogen: string | undefined;
    readonly policyNamespace: string | undefined;
  },
  notes: ImportNote[],
): GatekeeperMatch | undefined {
  const { where } = options;
  const filters = filtersOf(rule.match, `${where} match`, notes);
  const kinds = new Set<string>();
  const namespaces = new Set<string>();
  let everyNamespace = false;
  for (const filter of filters) {
    noteUnconverted(filter, `${where} match`, notes);
    const resources = isRecord(filter.resources) ? filter.resources : {};
    for (const kind of strings(resources.kinds).map(kindName)) {
      if (kind === '*') Object.keys(POD_BEARING_GROUPS).forEach((k) => kinds.add(k));
      else if (POD_BEARING_GROUPS[kind] === undefined) {
        notes.push({
          $case: 'skipped',
          where: `${where} match`,
          message: `kind ${kind} not converted: signet verifies pod specs only`,
        });
      } else kinds.add(kind);
    }
    const filterNamespaces = strings(resources.namespaces);
    if (filterNamespaces.length === 0) everyNamespace = true;
    filterNamespaces.forEach((namespace) => namespaces.add(namespace));
  }
  if (kinds.has('Pod')) {
    const controllers =
      options.autogen === undefined
        ? DEFAULT_AUTOGEN
        : options.autogen === 'none'
          ? []
          : options.autogen.split(',').map((kind) => kind.trim());
    controllers.filter((kind) => POD_BEARING_GROUPS[kind] !== undefined).forEach((kind) => kinds.add(kind));
  }
  if (kinds.size === 0) return undefined;
  const excluded = new Set<string>();
  for (const filter of filtersOf(rule.exclude, `${where} exclude`, notes)) {
    noteUnconverted(filter, `${where} exclude`, notes);
    const resources = isRecord(filter.resources) ? filter.resources : {};
    strings(resources.namespaces).forEach((namespace) => excluded.add(namespace));
    if (strings(resources.kinds).length > 0) {
      notes.push({ $case: 'skipped', where: `${where} exclude`, message: 'excluded kinds not converted' });
    }
  }
  const groups = new Map<string, string[]>();
  for (const kind of kinds) {
    const group = POD_BEARING_GROUPS[kind] ?? '';
    groups.set(group, [...(groups.get(group) ?? []), kind]);
  }
  const scopedNamespaces =
    options.policyNamespace !== undefined ? [options.policyNamespace] : everyNamespace ? [] : [...namespaces];
  return {
    kinds: [...groups].map(([group, groupKinds]) => ({ apiGroups: [group], kinds: groupKinds })),
    ...(scopedNamespaces.length === 0 ? {} : { namespaces: scopedNamespaces }),
    ...(excluded.size === 0 ? {} : { excludedNamespaces: [...excluded] }),
  };
}
