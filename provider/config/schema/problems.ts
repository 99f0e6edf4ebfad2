import { SignetError } from '../../errors.js';

/**
 * Where a configuration problem was found. A file source knows the document index; a Kubernetes
 * source knows only kind, namespace and name. Documents are numbered from 1 in file order.
 */
export interface ResourceLocator {
  readonly document?: number | undefined;
  readonly kind?: string | undefined;
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
}

/** One thing wrong with the configuration: which resource, which field, what is wrong. */
export interface ConfigProblem {
  readonly locator: ResourceLocator;
  /** Field path inside the resource (`spec.parameters.trustPolicyDoc.version`), empty for the whole resource. */
  readonly path: string;
  readonly message: string;
}

/** `Verifier "verifier-notation"`, `NamespacedVerifier "team-a/notation"`, or just the kind. */
export function describeResource(locator: ResourceLocator): string {
  if (locator.kind === undefined) return '';
  if (locator.name === undefined) return locator.kind;
  const qualified = locator.namespace === undefined ? locator.name : `${locator.namespace}/${locator.name}`;
  return `${locator.kind} ${JSON.stringify(qualified)}`;
}

function describeLocator(locator: ResourceLocator): string {
  const resource = describeResource(locator);
  if (locator.document === undefined) return resource === '' ? 'configuration' : resource;
  return resource === '' ? `document ${locator.document}` : `document ${locator.document} (${resource})`;
}

/** `document 2 (Verifier "verifier-notation"): spec.parameters.trustPolicyDoc.version: must be "1.0"` */
export function formatProblem(problem: ConfigProblem): string {
  const where = describeLocator(problem.locator);
  return problem.path === ''
    ? `${where}: ${problem.message}`
    : `${where}: ${problem.path}: ${problem.message}`;
}

/** All problems of one load as one CONFIG_INVALID error, so a user fixes a file in one pass. */
export function toConfigError(
  problems: readonly ConfigProblem[],
  details: Readonly<Record<string, string | number | boolean>> = {},
): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason: problems.map(formatProblem).join('; '),
    details: { ...details, problems: problems.length },
  });
}

/** Appends a key to a field path, quoting keys that are not plain identifiers (hosts, media types). */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const segment = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (parent === '') return segment;
  return segment.startsWith('[') ? `${parent}${segment}` : `${parent}.${segment}`;
}
