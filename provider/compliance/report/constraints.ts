// An assignment's constraints as the report reads them from the cluster: match, the template parameters that
// decide exemptions and keys, and Gatekeeper's audit status; plus the meaning of the signet templates' violation
// messages (which image, NonCompliant or Error, the reason and its remediation).
import { ERROR_CATALOG, SignetError, type ErrorCode } from '../../errors.js';
import { ASSIGNMENT_LABEL, INITIATIVE_ANNOTATION, REFERENCE_ANNOTATION } from '../assign/index.js';
import type { ConstraintMatch, ListedObject } from './scope.js';

export interface AuditViolation {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly message: string;
}

export interface AssignedConstraint {
  readonly assignment: string;
  readonly initiative?: string;
  readonly referenceId?: string;
  readonly kind: string;
  readonly name: string;
  readonly enforcementAction: string;
  readonly match: ConstraintMatch;
  readonly excludedImages: readonly string[];
  readonly requiredVerifiers: readonly string[];
  /** The template sends `[namespace]image` keys (signet applies the namespace's policy). */
  readonly namespacedKeys: boolean;
  readonly auditTimestamp?: string;
  readonly totalViolations: number;
  readonly violations: readonly AuditViolation[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function invalid(object: string, reason: string): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason: `constraint ${object}: ${reason}`,
    remediation:
      'Re-create the assignment with `signet assign`; the report reads the constraints it renders.',
  });
}

/** A listed constraint → the report's view of it; throws CONFIG_INVALID naming the constraint when malformed. */
export function parseConstraint(object: ListedObject): AssignedConstraint {
  const name = object.metadata?.name ?? '';
  const kind = object.kind ?? '';
  const where = `${kind}/${name}`;
  const assignment = object.metadata?.labels?.[ASSIGNMENT_LABEL];
  if (assignment === undefined || name === '' || kind === '')
    throw invalid(where, `has no name, kind or ${ASSIGNMENT_LABEL} label`);
  const spec = isRecord(object.spec) ? object.spec : {};
  const match = isRecord(spec.match) ? spec.match : {};
  if (match.labelSelector !== undefined && !isRecord(match.labelSelector))
    throw invalid(where, 'spec.match.labelSelector is not an object');
  if (match.namespaceSelector !== undefined || match.scope === 'Cluster')
    throw invalid(
      where,
      'spec.match uses namespaceSelector or scope, which the report does not mirror (signet assign never renders them)',
    );
  const parameters = isRecord(spec.parameters) ? spec.parameters : {};
  const status = isRecord(object.status) ? object.status : {};
  const violations = (Array.isArray(status.violations) ? (status.violations as unknown[]) : [])
    .filter(isRecord)
    .map((violation): AuditViolation => ({
      kind: typeof violation.kind === 'string' ? violation.kind : '',
      namespace: typeof violation.namespace === 'string' ? violation.namespace : '',
      name: typeof violation.name === 'string' ? violation.name : '',
      message: typeof violation.message === 'string' ? violation.message : '',
    }));
  const annotations = object.metadata?.annotations ?? {};
  const initiative = annotations[INITIATIVE_ANNOTATION];
  const referenceId = annotations[REFERENCE_ANNOTATION];
  const auditTimestamp = typeof status.auditTimestamp === 'string' ? status.auditTimestamp : undefined;
  return {
    assignment,
    ...(initiative === undefined ? {} : { initiative }),
    ...(referenceId === undefined ? {} : { referenceId }),
    kind,
    name,
    enforcementAction: typeof spec.enforcementAction === 'string' ? spec.enforcementAction : 'deny',
    match: {
      kinds: (Array.isArray(match.kinds) ? (match.kinds as unknown[]) : []).filter(isRecord).map((entry) => ({
        apiGroups: strings(entry.apiGroups),
        kinds: strings(entry.kinds),
      })),
      namespaces: strings(match.namespaces),
      excludedNamespaces: strings(match.excludedNamespaces),
      ...(isRecord(match.labelSelector) ? { labelSelector: match.labelSelector } : {}),
    },
    excludedImages: strings(parameters.excludedImages),
    requiredVerifiers: strings(parameters.requiredVerifiers),
    namespacedKeys: parameters.namespacedKeys === true,
    ...(auditTimestamp === undefined ? {} : { auditTimestamp }),
    totalViolations:
      typeof status.totalViolations === 'number' && Number.isFinite(status.totalViolations)
        ? status.totalViolations
        : violations.length,
    violations,
  };
}

/** What one violation message of a signet template says. */
export interface ViolationMeaning {
  readonly state: 'NonCompliant' | 'Error';
  /** The image the message names; absent for a provider system error (it concerns every image). */
  readonly image?: string;
  /** The reason without "image verification failed for <image>: ", for grouping and display. */
  readonly reason: string;
  readonly code?: ErrorCode;
  readonly remediation: string;
}

const SYSTEM_ERROR = /^external data provider (\S+) reported a system error: ([\s\S]*)$/;
const FAILED_FOR = /^image verification failed for (\S+): ([\s\S]*)$/;
const NOT_ATTESTED = /^image (\S+) is not attested$/;
const CODED = /^([A-Z][A-Z_]+) \((\w+)\): ([\s\S]*)$/;
const NO_RESULT = /^no result from external data provider /;
const NO_BOOLEAN = "the provider's answer has no boolean isSuccess";

export const REMEDIATION_NON_COMPLIANT =
  "Sign the image with a key or identity the provider's configuration trusts, or exclude it with the policy's excludedImages.";
export const REMEDIATION_ERROR =
  'The provider could not decide: check that signet is running and can reach the registry, then re-run the audit.';

function isCode(text: string): text is ErrorCode {
  return Object.hasOwn(ERROR_CATALOG, text);
}

/** The catalog code whose reason the text is (signet's verdict messages end in the catalog reason). */
function codeOfReason(reason: string): ErrorCode | undefined {
  return (Object.keys(ERROR_CATALOG) as ErrorCode[]).find((code) => ERROR_CATALOG[code].reason === reason);
}

/** The reason of a message that reads "image verification failed for <image>: <reason>", else the message. */
export function withoutImagePrefix(message: string): string {
  return FAILED_FOR.exec(message)?.[2] ?? message;
}

/** A key as the template sent it (`[namespace]image` with namespacedKeys) → the image. */
export function imageOfKey(key: string): string {
  return key.startsWith('[') && key.includes(']') ? key.slice(key.indexOf(']') + 1) : key;
}

/** A violation or item-error reason (after the image prefix) → state, code and remediation. */
export function classifyReason(reason: string): Omit<ViolationMeaning, 'image'> {
  if (NO_RESULT.test(reason) || reason === NO_BOOLEAN)
    return { state: 'Error', reason, remediation: REMEDIATION_ERROR };
  const coded = CODED.exec(reason);
  if (coded !== null && isCode(coded[1] ?? '')) {
    const code = coded[1] as ErrorCode;
    // Item errors read "<CODE> (<stage>): image verification failed for <key>: <reason>".
    const text = coded[3] ?? '';
    const specific = withoutImagePrefix(text);
    const entry = ERROR_CATALOG[code];
    return {
      state: entry.kind === 'verdict' ? 'NonCompliant' : 'Error',
      reason: specific,
      code,
      remediation: entry.remediation,
    };
  }
  const code = codeOfReason(reason);
  return {
    state: 'NonCompliant',
    reason,
    ...(code === undefined ? {} : { code }),
    remediation: code === undefined ? REMEDIATION_NON_COMPLIANT : ERROR_CATALOG[code].remediation,
  };
}

/** Reads one violation message of signet's templates (and Ratify's, which share the system-error wording). */
export function interpretViolation(message: string): ViolationMeaning {
  const system = SYSTEM_ERROR.exec(message);
  if (system !== null)
    return {
      state: 'Error',
      reason: `provider system error: ${system[2] ?? ''}`,
      remediation: REMEDIATION_ERROR,
    };
  const attested = NOT_ATTESTED.exec(message);
  if (attested !== null)
    return {
      state: 'NonCompliant',
      image: imageOfKey(attested[1] ?? ''),
      reason: ERROR_CATALOG.NOT_ATTESTED.reason,
      code: 'NOT_ATTESTED',
      remediation: ERROR_CATALOG.NOT_ATTESTED.remediation,
    };
  const failed = FAILED_FOR.exec(message);
  if (failed !== null) return { image: imageOfKey(failed[1] ?? ''), ...classifyReason(failed[2] ?? '') };
  return classifyReason(message);
}
