// An assignment as recorded in the cluster, so `signet assignments` can list it (even one whose members are all
// Disabled and so has no constraint): a ConfigMap `signet-assignment-<name>` in the record namespace
// (default gatekeeper-system, which exists wherever Gatekeeper does), labelled like the assignment's objects.
import {
  ASSIGNMENT_LABEL,
  INITIATIVE_ANNOTATION,
  INITIATIVE_VERSION_ANNOTATION,
  claimLabel,
  type KubernetesObject,
  type RenderedAssignment,
} from './render-assignment.js';

const RECORD_PREFIX = 'signet-assignment-';

export interface AssignmentRecord {
  readonly name: string;
  readonly initiative: string;
  readonly initiativeVersion: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Member reference id → Audit, Deny or Disabled. */
  readonly effects: Readonly<Record<string, string>>;
  /** `<kind>/<name>` of every object the assignment applied. */
  readonly objects: readonly string[];
}

export function recordNameOf(assignment: string): string {
  return `${RECORD_PREFIX}${assignment}`;
}

/** The record ConfigMap of an assignment as rendered. */
export function toAssignmentRecord(
  assignment: string,
  initiative: { readonly name: string; readonly version: string },
  rendered: RenderedAssignment,
  namespace: string,
): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: recordNameOf(assignment),
      namespace,
      labels: {
        [ASSIGNMENT_LABEL]: assignment,
        [claimLabel(assignment)]: '',
        'app.kubernetes.io/managed-by': 'signet',
      },
      annotations: {
        [INITIATIVE_ANNOTATION]: initiative.name,
        [INITIATIVE_VERSION_ANNOTATION]: initiative.version,
      },
    },
    data: {
      initiative: initiative.name,
      initiativeVersion: initiative.version,
      parameters: JSON.stringify(rendered.parameters),
      effects: JSON.stringify(rendered.effects),
      objects: JSON.stringify(rendered.objects.map((object) => `${object.kind}/${object.metadata.name}`)),
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A record ConfigMap back as an AssignmentRecord; a string saying what is wrong when it is not one. */
export function parseAssignmentRecord(configMap: {
  readonly metadata?: { readonly name?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly data?: Readonly<Record<string, string>>;
}): AssignmentRecord | string {
  const name = configMap.metadata?.labels?.[ASSIGNMENT_LABEL];
  const where = `ConfigMap ${configMap.metadata?.name ?? '(unnamed)'}`;
  if (name === undefined || configMap.metadata?.name !== recordNameOf(name))
    return `${where} is not named ${RECORD_PREFIX}<its ${ASSIGNMENT_LABEL} label>`;
  const data = configMap.data ?? {};
  const parameters = parseJson(data.parameters);
  const effects = parseJson(data.effects);
  const objects = parseJson(data.objects);
  if (typeof data.initiative !== 'string' || typeof data.initiativeVersion !== 'string')
    return `${where} has no initiative or initiativeVersion`;
  if (!isRecord(parameters)) return `${where}: parameters is not a JSON object`;
  if (!isRecord(effects) || !Object.values(effects).every((effect) => typeof effect === 'string'))
    return `${where}: effects is not a JSON object of strings`;
  if (!Array.isArray(objects) || !objects.every((object) => typeof object === 'string'))
    return `${where}: objects is not a JSON list of strings`;
  return {
    name,
    initiative: data.initiative,
    initiativeVersion: data.initiativeVersion,
    parameters,
    effects: effects as Record<string, string>,
    objects: objects,
  };
}
