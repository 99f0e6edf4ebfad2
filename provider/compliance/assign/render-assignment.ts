// The rendering core of `signet assign`: an initiative (a policy set definition and its member definitions,
// as constraints/initiatives/ holds them) plus an assignment's name and parameters → the Gatekeeper objects
// Azure Policy for Kubernetes would create: each member's ConstraintTemplate and one Constraint per member
// whose effect is not Disabled. Pure: no files, no cluster.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { SignetError } from '../../errors.js';
import {
  definitionNameOf,
  isExpression,
  referencedParameter,
  type AzureParameter,
  type AzureParameters,
  type Initiative,
  type PolicyDefinition,
  type PolicySetDefinition,
} from '../initiatives/index.js';

/** The one owner of a constraint (or an assignment's record): its value the assignment's name. */
export const ASSIGNMENT_LABEL = 'signet.dev/assignment';
/**
 * Every rendered object carries `assignment.signet.dev/<name>` (a claim): a ConstraintTemplate shared by several
 * assignments carries one claim per assignment, where a single `signet.dev/assignment` value could name only one.
 */
export const CLAIM_LABEL_PREFIX = 'assignment.signet.dev/';

export function claimLabel(assignment: string): string {
  return `${CLAIM_LABEL_PREFIX}${assignment}`;
}
export const INITIATIVE_ANNOTATION = 'signet.dev/initiative';
export const INITIATIVE_VERSION_ANNOTATION = 'signet.dev/initiative-version';
export const PARAMETERS_ANNOTATION = 'signet.dev/parameters';
export const DEFINITION_ANNOTATION = 'signet.dev/policy-definition';
export const REFERENCE_ANNOTATION = 'signet.dev/policy-definition-reference-id';

/** Azure's effect → Gatekeeper's enforcementAction; Disabled creates no constraint. */
const ENFORCEMENT_ACTIONS: Readonly<Record<string, 'dryrun' | 'deny' | null>> = {
  audit: 'dryrun',
  deny: 'deny',
  disabled: null,
};

/** A Kubernetes object as rendered: plain JSON, ready for YAML or JSON output. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

export interface AssignmentRequest {
  readonly initiative: Initiative;
  /** The assignment's name: a DNS label; constraints are named `<name>-<reference id in kebab case>`. */
  readonly name: string;
  /** `name=value` pairs; a value is JSON when it parses as JSON, else the text itself. */
  readonly parameters?: readonly string[];
  /** Shorthand for the `namespaces` parameter (or, without one, every constraint's match.namespaces). */
  readonly namespaces?: readonly string[];
}

export interface RenderedAssignment {
  /** ConstraintTemplates first (a constraint's kind exists once its template does), then constraints. */
  readonly objects: readonly KubernetesObject[];
  /** Set parameters with the defaults filled in, as annotated on every object. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Reference ids of the members whose effect is Disabled (no constraint). */
  readonly disabled: readonly string[];
  /** Each member's effect (reference id → Audit, Deny or Disabled, as given). */
  readonly effects: Readonly<Record<string, string>>;
}

function invalid(reason: string, details: Record<string, string> = {}): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason,
    remediation: 'Fix the `signet assign` arguments or the initiative file named in the message.',
    details,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `${type} ${JSON.stringify(value)}`;
}

/** `k=v` arguments → values: JSON when the text parses as JSON, else the text as a string. */
export function parseParameterArguments(args: readonly string[]): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const arg of args) {
    const equals = arg.indexOf('=');
    if (equals <= 0) throw invalid(`--param ${JSON.stringify(arg)} is not of the form name=value`);
    const name = arg.slice(0, equals);
    const text = arg.slice(equals + 1);
    if (values.has(name)) throw invalid(`parameter ${name} is given more than once`, { parameter: name });
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    values.set(name, value);
  }
  return values;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => deepEqual(a[key], b[key]));
  }
  return a === b;
}

function hasType(type: string, value: unknown): boolean {
  switch (type.toLowerCase()) {
    case 'string':
      return typeof value === 'string';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isRecord(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    default:
      return false;
  }
}

/** ajv's complaints about `value`, or undefined when it fits; `where` names the schema in messages. */
function schemaErrors(schema: object, value: unknown, where: string): string | undefined {
  let validate: ValidateFunction;
  try {
    // A fresh instance per schema: schemas come from files, and two may carry the same $id.
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  } catch (error) {
    throw invalid(`${where} is not a valid JSON Schema: ${(error as Error).message}`);
  }
  if (validate(value)) return undefined;
  return (validate.errors ?? [])
    .map(
      (error: ErrorObject) =>
        `${error.instancePath === '' ? '(value)' : error.instancePath} ${error.message ?? ''}`,
    )
    .join('; ');
}

/** Throws naming `label` when `value` does not fit the parameter's type, allowed values or schema. */
function checkParameter(label: string, parameter: AzureParameter, value: unknown): void {
  if (!hasType(parameter.type, value)) {
    const hint =
      parameter.type.toLowerCase() === 'string'
        ? ` (quote it as JSON, e.g. ${label}='"${String(value)}"')`
        : '';
    throw invalid(
      `parameter ${label} must be of type ${parameter.type}, got ${describeValue(value)}${hint}`,
      {
        parameter: label,
      },
    );
  }
  const allowed = parameter.allowedValues;
  if (allowed !== undefined && !allowed.some((candidate) => deepEqual(candidate, value))) {
    throw invalid(
      `parameter ${label} is ${JSON.stringify(value)}, not one of the allowed values ${allowed.map((v) => JSON.stringify(v)).join(', ')}`,
      { parameter: label },
    );
  }
  if (parameter.schema !== undefined) {
    const errors = schemaErrors(parameter.schema, value, `the schema of parameter ${label}`);
    if (errors !== undefined)
      throw invalid(`parameter ${label} does not fit its schema: ${errors}`, { parameter: label });
  }
}

/** The set's parameter values: the given ones checked against the definition, defaults for the rest. */
function resolveSetParameters(
  setDefinition: PolicySetDefinition,
  given: ReadonlyMap<string, unknown>,
): Record<string, unknown> {
  const declared: AzureParameters = setDefinition.properties.parameters;
  const known = Object.keys(declared);
  for (const name of given.keys()) {
    if (!Object.hasOwn(declared, name)) {
      throw invalid(
        `initiative ${setDefinition.name} has no parameter ${name}; its parameters are ${known.join(', ')}`,
        { parameter: name },
      );
    }
  }
  const values: Record<string, unknown> = {};
  for (const [name, parameter] of Object.entries(declared)) {
    const value = given.has(name) ? given.get(name) : parameter.defaultValue;
    if (value === undefined) {
      throw invalid(
        `initiative ${setDefinition.name} needs parameter ${name} (${parameter.type}): it has no default`,
        {
          parameter: name,
        },
      );
    }
    checkParameter(name, parameter, value);
    values[name] = value;
  }
  return values;
}

/** Substitutes `[parameters('x')]` from `scope`; any other expression is refused, `[[` unescaped. */
function evaluate(value: unknown, scope: Readonly<Record<string, unknown>>, where: string): unknown {
  if (typeof value === 'string') {
    const name = referencedParameter(value);
    if (name !== undefined) {
      if (!Object.hasOwn(scope, name)) throw invalid(`${where} refers to an undefined parameter ${name}`);
      return scope[name];
    }
    if (isExpression(value))
      throw invalid(
        `${where} uses the expression ${value}; signet assign evaluates only [parameters('name')]`,
      );
    return value.startsWith('[[') ? value.slice(1) : value;
  }
  if (Array.isArray(value)) return value.map((item, index) => evaluate(item, scope, `${where}[${index}]`));
  if (isRecord(value))
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, evaluate(item, scope, `${where}.${key}`)]),
    );
  return value;
}

interface ConstraintTemplate {
  readonly name: string;
  readonly kind: string;
  readonly schema: object | undefined;
  readonly object: Record<string, unknown>;
}

/** The member's ConstraintTemplate from its Base64Encoded templateInfo. */
function decodeTemplate(definition: PolicyDefinition, where: string): ConstraintTemplate {
  const info = definition.properties.policyRule.then.details.templateInfo;
  if (info.sourceType !== 'Base64Encoded') {
    throw invalid(
      `${where}: policy definition ${definition.name} takes its template from ${info.sourceType === 'PublicURL' ? info.url : 'an unknown source'}; signet assign renders the Base64Encoded definitions (constraints/initiatives/definitions/${definition.name}.json)`,
    );
  }
  let template: unknown;
  try {
    template = parse(Buffer.from(info.content, 'base64').toString('utf8'), { maxAliasCount: 100 });
  } catch (error) {
    throw invalid(`${where}: templateInfo.content of ${definition.name} is not YAML: ${String(error)}`);
  }
  const metadata = isRecord(template) && isRecord(template.metadata) ? template.metadata : {};
  const crd = isRecord(template)
    ? (template.spec as { crd?: { spec?: Record<string, unknown> } } | undefined)
    : undefined;
  const kind = (crd?.crd?.spec?.names as { kind?: unknown } | undefined)?.kind;
  if (
    !isRecord(template) ||
    template.kind !== 'ConstraintTemplate' ||
    typeof metadata.name !== 'string' ||
    typeof kind !== 'string'
  )
    throw invalid(
      `${where}: templateInfo.content of ${definition.name} is not a ConstraintTemplate with a name and a kind`,
    );
  const schema = (crd?.crd?.spec?.validation as { openAPIV3Schema?: unknown } | undefined)?.openAPIV3Schema;
  // Gatekeeper prunes fields its structural schema does not know; refuse them rather than lose them silently.
  const strict = isRecord(schema) ? { additionalProperties: false, ...schema } : undefined;
  return { name: metadata.name, kind, schema: strict, object: template };
}

function kebab(referenceId: string): string {
  return referenceId
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .toLowerCase()
    .replace(/^-+|-+$/g, '');
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function stringList(value: unknown, where: string, allowEmpty = false): string[] {
  if (
    !Array.isArray(value) ||
    !value.every((item): item is string => typeof item === 'string' && (allowEmpty || item !== ''))
  )
    throw invalid(
      `${where} must be a list of ${allowEmpty ? '' : 'non-empty '}strings, got ${describeValue(value)}`,
    );
  return value;
}

function toMatch(
  details: Record<string, unknown>,
  where: string,
  namespacesOverride: readonly string[] | undefined,
) {
  const namespaces =
    namespacesOverride ??
    (details.namespaces === undefined ? [] : stringList(details.namespaces, `${where} namespaces`));
  const excluded =
    details.excludedNamespaces === undefined
      ? []
      : stringList(details.excludedNamespaces, `${where} excludedNamespaces`);
  const labelSelector = details.labelSelector ?? {};
  if (!isRecord(labelSelector))
    throw invalid(`${where} labelSelector must be an object, got ${describeValue(labelSelector)}`);
  return {
    kinds: [
      {
        apiGroups: stringList(details.apiGroups, `${where} apiGroups`, true),
        kinds: stringList(details.kinds, `${where} kinds`),
      },
    ],
    ...(namespaces.length === 0 ? {} : { namespaces }),
    ...(excluded.length === 0 ? {} : { excludedNamespaces: excluded }),
    ...(Object.keys(labelSelector).length === 0 ? {} : { labelSelector }),
  };
}

/** Renders the Gatekeeper objects of one assignment of `initiative`; throws CONFIG_INVALID naming the problem. */
export function renderAssignment(request: AssignmentRequest): RenderedAssignment {
  const { initiative, name } = request;
  const { setDefinition } = initiative;
  if (!DNS_LABEL.test(name) || name.length > 63)
    throw invalid(
      `assignment name ${JSON.stringify(name)} must be a DNS label (lowercase letters, digits and -, at most 63)`,
    );
  const given = parseParameterArguments(request.parameters ?? []);
  let namespacesOverride: readonly string[] | undefined;
  if (request.namespaces !== undefined) {
    const namespaces = stringList([...request.namespaces], '--namespaces');
    if (Object.hasOwn(setDefinition.properties.parameters, 'namespaces')) {
      if (given.has('namespaces'))
        throw invalid('give the namespaces either with --namespaces or --param namespaces=…');
      given.set('namespaces', namespaces);
    } else {
      namespacesOverride = namespaces;
    }
  }
  const setValues = resolveSetParameters(setDefinition, given);
  const common = {
    labels: { [ASSIGNMENT_LABEL]: name, [claimLabel(name)]: '' },
    annotations: {
      [INITIATIVE_ANNOTATION]: setDefinition.name,
      [INITIATIVE_VERSION_ANNOTATION]: setDefinition.properties.version,
      [PARAMETERS_ANNOTATION]: JSON.stringify(setValues),
    },
  };
  const templates = new Map<string, { template: ConstraintTemplate; content: string }>();
  const constraints: KubernetesObject[] = [];
  const disabled: string[] = [];
  const effects: Record<string, string> = {};
  for (const reference of setDefinition.properties.policyDefinitions) {
    const referenceId = reference.policyDefinitionReferenceId;
    const where = `member ${referenceId}`;
    const definitionName = definitionNameOf(reference.policyDefinitionId);
    const definition = definitionName === undefined ? undefined : initiative.definitions.get(definitionName);
    if (definition === undefined) {
      throw invalid(
        `${where} references ${reference.policyDefinitionId}, which is none of the loaded definitions (${[...initiative.definitions.keys()].join(', ')})`,
      );
    }
    const declared = definition.properties.parameters;
    for (const parameter of Object.keys(reference.parameters)) {
      if (!Object.hasOwn(declared, parameter))
        throw invalid(
          `${where} passes ${parameter}, which policy definition ${definition.name} does not declare`,
        );
    }
    const memberValues: Record<string, unknown> = {};
    for (const [parameter, declaration] of Object.entries(declared)) {
      const passed = reference.parameters[parameter];
      const value =
        passed === undefined
          ? declaration.defaultValue
          : evaluate(passed.value, setValues, `${where} ${parameter}`);
      if (value === undefined)
        throw invalid(`${where} gives no value for ${parameter}, which has no default`);
      checkParameter(`${referenceId}.${parameter}`, declaration, value);
      memberValues[parameter] = value;
    }
    const { then } = definition.properties.policyRule;
    const effect = evaluate(then.effect, memberValues, `${where} effect`);
    const action = typeof effect === 'string' ? ENFORCEMENT_ACTIONS[effect.toLowerCase()] : undefined;
    if (action === undefined)
      throw invalid(
        `${where} has effect ${describeValue(effect)}; signet assign supports Audit, Deny and Disabled`,
      );
    effects[referenceId] = String(effect);
    if (action === null) {
      disabled.push(referenceId);
      continue;
    }
    const template = decodeTemplate(definition, where);
    const content = definition.properties.policyRule.then.details.templateInfo;
    const seen = templates.get(template.name);
    if (seen !== undefined && seen.content !== JSON.stringify(content))
      throw invalid(`${where}: two members carry different ConstraintTemplates named ${template.name}`);
    templates.set(template.name, { template, content: JSON.stringify(content) });
    const details = evaluate(then.details, memberValues, `${where} details`) as Record<string, unknown>;
    const values = isRecord(details.values) ? details.values : {};
    if (template.schema !== undefined) {
      const errors = schemaErrors(
        template.schema,
        values,
        `the openAPIV3Schema of template ${template.name}`,
      );
      if (errors !== undefined)
        throw invalid(
          `${where}: the values for ${template.kind} do not fit template ${template.name}: ${errors}`,
        );
    }
    const constraintName = `${name}-${kebab(referenceId)}`;
    if (constraintName.length > 253 || !DNS_SUBDOMAIN.test(constraintName))
      throw invalid(
        `${where}: constraint name ${constraintName} is not a DNS subdomain of at most 253 characters`,
      );
    constraints.push({
      apiVersion: 'constraints.gatekeeper.sh/v1beta1',
      kind: template.kind,
      metadata: {
        name: constraintName,
        labels: common.labels,
        annotations: {
          ...common.annotations,
          [DEFINITION_ANNOTATION]: `${definition.name}@${definition.properties.version}`,
          [REFERENCE_ANNOTATION]: referenceId,
        },
      },
      spec: {
        enforcementAction: action,
        match: toMatch(details, where, namespacesOverride),
        ...(Object.keys(values).length === 0 ? {} : { parameters: values }),
      },
    });
  }
  const templateObjects = [...templates.values()]
    .map(({ template }) => template)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((template): KubernetesObject => {
      const { labels, annotations, ...metadata } = isRecord(template.object.metadata)
        ? template.object.metadata
        : {};
      return {
        ...template.object,
        apiVersion: String(template.object.apiVersion),
        kind: 'ConstraintTemplate',
        metadata: {
          ...metadata,
          name: template.name,
          // Only the claim: a template may be shared, and values that differ per assignment (owner,
          // parameters) would make the assignments' server-side applies conflict on it.
          labels: { ...(isRecord(labels) ? (labels as Record<string, string>) : {}), [claimLabel(name)]: '' },
          annotations: isRecord(annotations) ? (annotations as Record<string, string>) : {},
        },
      };
    });
  return { objects: [...templateObjects, ...constraints], parameters: setValues, disabled, effects };
}
