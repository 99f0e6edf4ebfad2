// Generates Azure Policy definitions and policy set definitions ("initiatives") under constraints/initiatives/
// from the generated templates/<name>/template.yaml, in Azure's own shape so that `az policy definition create`
// / `az policy set-definition create` accept them: one member definition per template (mode
// Microsoft.Kubernetes.Data, the ConstraintTemplate inline as Base64Encoded, and a PublicURL variant), one set
// definition per initiative referencing its members by policyDefinitionId. Run: `npm run initiatives` (after
// `npx tsx templates/generate.ts` when a src.rego changed). generate-initiatives.test.ts fails when a committed
// file differs from what this renders.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';
import {
  DEFINITION_ID_PREFIX,
  TEMPLATE_BASE_URL_PLACEHOLDER,
  parameterReference,
} from './azure-expressions.js';
import type {
  AzureParameter,
  AzureParameterType,
  PolicyDefinition,
  PolicyDefinitionReference,
  PolicySetDefinition,
  TemplateInfo,
} from './azure-policy.types.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TEMPLATES_DIR = join(REPO_ROOT, 'templates');
export const INITIATIVES_DIR = join(REPO_ROOT, 'constraints', 'initiatives');
/** Member definitions, relative to INITIATIVES_DIR. */
export const DEFINITIONS_SUBDIR = 'definitions';

/** Azure's effect values for Kubernetes definitions, mapped by `signet assign` onto enforcementAction. */
export const EFFECTS = ['Audit', 'Deny', 'Disabled'] as const;

/** The defaults of Azure's built-in AKS Image Integrity initiative (af28bf8b-c669-4dd3-9137-1e68fdc61bd6). */
export const DEFAULT_EXCLUDED_NAMESPACES = [
  'kube-system',
  'gatekeeper-system',
  'azure-arc',
  'azure-extensions-usage-system',
];

/** Cluster resource types Azure Policy for Kubernetes evaluates (AKS and Arc-enabled Kubernetes). */
const CLUSTER_TYPES = [
  'Microsoft.Kubernetes/connectedClusters',
  'Microsoft.ContainerService/managedClusters',
];

/** Every kind whose pod spec the signet templates read, in Azure's flat apiGroups × kinds form. */
const POD_BEARING = {
  apiGroups: ['', 'apps', 'batch'],
  kinds: [
    'Pod',
    'ReplicationController',
    'Deployment',
    'StatefulSet',
    'DaemonSet',
    'ReplicaSet',
    'Job',
    'CronJob',
  ],
};

const LABEL_SELECTOR_SCHEMA = {
  description:
    'A Kubernetes label selector; matchLabels and matchExpressions are ANDed. An empty selector matches every resource.',
  type: 'object',
  properties: {
    matchLabels: {
      description: 'Label key → value pairs a resource must carry.',
      type: 'object',
      additionalProperties: { type: 'string' },
      minProperties: 1,
    },
    matchExpressions: {
      description: 'Label requirements: a key, an operator and (for In and NotIn) values.',
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: { description: 'The label key the requirement applies to.', type: 'string' },
          operator: {
            description: "The key's relationship to the values.",
            type: 'string',
            enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'],
          },
          values: {
            description: 'Label values: non-empty for In and NotIn, empty for Exists and DoesNotExist.',
            type: 'array',
            items: { type: 'string' },
          },
        },
        required: ['key', 'operator'],
        additionalProperties: false,
      },
      minItems: 1,
    },
  },
  additionalProperties: false,
};

/** The match parameters every member definition has, as Azure's Kubernetes built-ins name them. */
const MATCH_PARAMETERS: Readonly<Record<string, AzureParameter>> = {
  effect: {
    type: 'String',
    metadata: {
      displayName: 'Effect',
      description:
        "'Audit' lets non-compliant workloads run and lists them as violations (Gatekeeper enforcementAction dryrun); 'Deny' rejects them at admission (deny); 'Disabled' turns the policy off (no constraint).",
    },
    allowedValues: [...EFFECTS],
    defaultValue: 'Audit',
  },
  excludedNamespaces: {
    type: 'Array',
    metadata: {
      displayName: 'Namespace exclusions',
      description: 'Kubernetes namespaces to exclude from policy evaluation.',
    },
    defaultValue: DEFAULT_EXCLUDED_NAMESPACES,
  },
  namespaces: {
    type: 'Array',
    metadata: {
      displayName: 'Namespace inclusions',
      description:
        'Kubernetes namespaces to only include in policy evaluation. An empty list means every namespace.',
    },
    defaultValue: [],
  },
  labelSelector: {
    type: 'Object',
    metadata: {
      displayName: 'Kubernetes label selector',
      description:
        'Label query to select Kubernetes resources for policy evaluation. An empty label selector matches all Kubernetes resources.',
    },
    defaultValue: {},
    schema: LABEL_SELECTOR_SCHEMA,
  },
};

/** Display names for template parameters where the camel-case name would read badly. */
const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  excludedImages: 'Image exclusions',
  provider: 'External data provider',
};

interface MemberSpec {
  /** The policy definition name (≤ 64 characters, no `<>*%&:\?.+/`). */
  readonly name: string;
  readonly template: string;
  readonly displayName: string;
  readonly description: string;
  /** Bump when the definition or its template changes; sets reference `<major>.*.*`. */
  readonly version: string;
}

interface SetParameterSpec {
  readonly displayName?: string;
  readonly description?: string;
  readonly defaultValue?: unknown;
}

interface MemberReferenceSpec {
  readonly referenceId: string;
  readonly definition: string;
  /** Member parameter → literal value or `parameterReference(setParameter)`. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

interface SetSpec {
  readonly name: string;
  readonly displayName: string;
  readonly description: string;
  readonly version: string;
  /**
   * The set's parameters in order. Each takes its type, schema and allowed values from the member parameter it
   * feeds (the first reference wiring it), overridden here.
   */
  readonly parameters: Readonly<Record<string, SetParameterSpec>>;
  readonly members: readonly MemberReferenceSpec[];
}

const MEMBERS: readonly MemberSpec[] = [
  {
    name: 'signet-image-verification',
    template: 'signetverification',
    displayName: 'Kubernetes cluster container images should pass signet signature verification',
    description:
      'Every image of every pod-bearing workload (containers, initContainers, ephemeralContainers) must be verified by the signet external data provider (Notation, cosign or attestor policies). Fails closed on provider errors and missing answers. Template signetverification.',
    version: '1.0.0',
  },
  {
    name: 'signet-digest-only',
    template: 'signetdigestonly',
    displayName: 'Kubernetes cluster container images should be referenced by digest',
    description:
      'Every image of every pod-bearing workload must be referenced by a sha256 digest, so the digest that was verified or attested is the one that runs (Kritis: "image <ref> is not attested"). Template signetdigestonly.',
    version: '1.0.0',
  },
];

/** excludedImages of a set, which may feed several members. */
const SET_EXCLUDED_IMAGES: SetParameterSpec = {
  description:
    'Image references to exclude from policy evaluation, as globs with "/" as the separator ("*" stays within one path segment, "**" crosses them), e.g. "myregistry.azurecr.io/istio:*" or "registry.k8s.io/**".',
};

/** Member parameters passed straight through from the set parameters of the same name. */
function passThrough(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, parameterReference(name)]));
}

const MATCH = ['effect', 'excludedNamespaces', 'namespaces', 'labelSelector'];

const INITIATIVES: readonly SetSpec[] = [
  {
    name: 'signet-image-integrity-notation',
    displayName: 'Signet: use Image Integrity (Notation) to ensure only trusted images are deployed',
    description:
      "signet's counterpart of Azure's built-in AKS Image Integrity initiative (af28bf8b-c669-4dd3-9137-1e68fdc61bd6), with the same parameters and defaults plus namespaces and Deny: every image of every pod-bearing workload must carry a Notation signature that signet verifies (a successful report from the Verifier named notation).",
    version: '1.0.0',
    parameters: {
      effect: {},
      excludedNamespaces: {},
      excludedImages: SET_EXCLUDED_IMAGES,
      labelSelector: {},
      namespaces: {},
    },
    members: [
      {
        referenceId: 'imageIntegrityNotationVerification',
        definition: 'signet-image-verification',
        parameters: { ...passThrough(...MATCH, 'excludedImages'), requiredVerifiers: ['notation'] },
      },
    ],
  },
  {
    name: 'signet-image-signatures-cosign',
    displayName: 'Signet: container images must carry cosign (Sigstore) signatures',
    description:
      "Every image of every pod-bearing workload must be verified by signet with a successful report from each of the required cosign Verifiers (key-based or keyless Sigstore, as configured in signet's Verifier resources).",
    version: '1.0.0',
    parameters: {
      effect: {},
      excludedNamespaces: {},
      excludedImages: SET_EXCLUDED_IMAGES,
      labelSelector: {},
      namespaces: {},
      requiredVerifiers: {
        displayName: 'Required cosign verifiers',
        description:
          "Names of signet's cosign Verifier resources (spec.name) that must each report a successful verification for the image.",
        defaultValue: ['cosign'],
      },
    },
    members: [
      {
        referenceId: 'cosignSignatureVerification',
        definition: 'signet-image-verification',
        parameters: passThrough(...MATCH, 'excludedImages', 'requiredVerifiers'),
      },
    ],
  },
  {
    name: 'signet-digest-attestation',
    displayName: 'Signet: container images must be referenced by digest and attested',
    description:
      'The Kritis scenario: every image of every pod-bearing workload must be referenced by a sha256 digest and attested by an attestor of its namespace\'s attestation policy, verified by signet with the namespace in the key. A tag reference reads "image <ref> is not attested".',
    version: '1.0.0',
    parameters: {
      effect: {},
      excludedNamespaces: {},
      excludedImages: SET_EXCLUDED_IMAGES,
      labelSelector: {},
      namespaces: {},
      requiredAttestors: {
        displayName: 'Required attestors',
        description:
          "Names of signet AttestationAuthority resources that must each have attested the image, on top of the namespace's attestation policy. Empty: the namespace's policy decides.",
        defaultValue: [],
      },
    },
    members: [
      {
        referenceId: 'digestReferences',
        definition: 'signet-digest-only',
        parameters: { ...passThrough(...MATCH, 'excludedImages'), messageStyle: 'attestation' },
      },
      {
        referenceId: 'attestorVerification',
        definition: 'signet-image-verification',
        parameters: {
          ...passThrough(...MATCH, 'excludedImages'),
          requiredVerifiers: parameterReference('requiredAttestors'),
          namespacedKeys: true,
        },
      },
    ],
  },
];

interface TemplateParameterSchema {
  readonly type: string;
  readonly description: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly [keyword: string]: unknown;
}

/** What a generated templates/<name>/template.yaml says about itself. */
export interface ParsedTemplate {
  readonly name: string;
  readonly kind: string;
  readonly version: string;
  readonly parameters: Readonly<Record<string, TemplateParameterSchema>>;
  /** The file's text, byte for byte what Base64Encoded content carries. */
  readonly text: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads name, kind, version and parameter schemas from a generated ConstraintTemplate. */
export function parseTemplateYaml(name: string, text: string): ParsedTemplate {
  const template: unknown = parse(text);
  const fail = (what: string): never => {
    throw new Error(`templates/${name}/template.yaml: ${what}`);
  };
  if (!isRecord(template) || template.kind !== 'ConstraintTemplate')
    return fail('is not a ConstraintTemplate');
  const metadata = isRecord(template.metadata) ? template.metadata : {};
  if (metadata.name !== name) return fail(`metadata.name must be ${name}`);
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const version = annotations['metadata.gatekeeper.sh/version'];
  if (typeof version !== 'string') return fail('has no metadata.gatekeeper.sh/version annotation');
  const crd = (template.spec as { crd?: { spec?: Record<string, unknown> } } | undefined)?.crd?.spec;
  const kind = (crd?.names as { kind?: unknown } | undefined)?.kind;
  if (typeof kind !== 'string') return fail('has no spec.crd.spec.names.kind');
  const properties = (crd?.validation as { openAPIV3Schema?: { properties?: unknown } } | undefined)
    ?.openAPIV3Schema?.properties;
  const parameters: Record<string, TemplateParameterSchema> = {};
  for (const [parameter, schema] of Object.entries(isRecord(properties) ? properties : {})) {
    if (!isRecord(schema) || typeof schema.type !== 'string' || typeof schema.description !== 'string')
      return fail(`parameter ${parameter} needs a type and a description`);
    parameters[parameter] = schema as TemplateParameterSchema;
  }
  return { name, kind, version, parameters, text };
}

const AZURE_TYPES: Readonly<Record<string, AzureParameterType>> = {
  string: 'String',
  array: 'Array',
  object: 'Object',
  boolean: 'Boolean',
  integer: 'Integer',
  number: 'Float',
};

function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A template parameter (openAPIV3Schema property) as an Azure definition parameter. */
function toAzureParameter(template: string, name: string, schema: TemplateParameterSchema): AzureParameter {
  const type = AZURE_TYPES[schema.type];
  if (type === undefined) throw new Error(`templates/${template}: parameter ${name} has type ${schema.type}`);
  const { description, default: defaultValue, enum: allowed, ...shape } = schema;
  const implicitDefault = type === 'Array' ? [] : type === 'Object' ? {} : undefined;
  return {
    type,
    metadata: { displayName: DISPLAY_NAMES[name] ?? humanize(name), description },
    ...((defaultValue ?? implicitDefault) === undefined
      ? {}
      : { defaultValue: defaultValue ?? implicitDefault }),
    ...(allowed === undefined ? {} : { allowedValues: allowed }),
    // Azure takes `schema` on Object parameters only; `signet assign` checks the rest against the template.
    ...(type === 'Object' ? { schema: shape } : {}),
  };
}

function templateInfo(template: ParsedTemplate, source: TemplateInfo['sourceType']): TemplateInfo {
  return source === 'Base64Encoded'
    ? { sourceType: 'Base64Encoded', content: Buffer.from(template.text, 'utf8').toString('base64') }
    : { sourceType: 'PublicURL', url: `${TEMPLATE_BASE_URL_PLACEHOLDER}/${template.name}/template.yaml` };
}

/** One member definition: the template's ConstraintTemplate, matched on every pod-bearing kind. */
export function renderPolicyDefinition(
  member: MemberSpec,
  template: ParsedTemplate,
  source: TemplateInfo['sourceType'],
): PolicyDefinition {
  const templateParameters = Object.fromEntries(
    Object.entries(template.parameters).map(([name, schema]) => [
      name,
      toAzureParameter(template.name, name, schema),
    ]),
  );
  const clash = Object.keys(templateParameters).find((name) => Object.hasOwn(MATCH_PARAMETERS, name));
  if (clash !== undefined)
    throw new Error(`templates/${template.name}: parameter ${clash} clashes with Azure's`);
  return {
    name: member.name,
    properties: {
      displayName: member.displayName,
      description: member.description,
      policyType: 'Custom',
      mode: 'Microsoft.Kubernetes.Data',
      metadata: { category: 'Kubernetes', version: member.version },
      version: member.version,
      parameters: { ...MATCH_PARAMETERS, ...templateParameters },
      policyRule: {
        if: { field: 'type', in: CLUSTER_TYPES },
        then: {
          effect: parameterReference('effect'),
          details: {
            templateInfo: templateInfo(template, source),
            apiGroups: POD_BEARING.apiGroups,
            kinds: POD_BEARING.kinds,
            namespaces: parameterReference('namespaces'),
            excludedNamespaces: parameterReference('excludedNamespaces'),
            labelSelector: parameterReference('labelSelector'),
            values: Object.fromEntries(
              Object.keys(templateParameters).map((name) => [name, parameterReference(name)]),
            ),
          },
        },
      },
    },
  };
}

/** One set definition; `definitions` are the members it may reference, by name. */
export function renderPolicySetDefinition(
  spec: SetSpec,
  definitions: ReadonlyMap<string, PolicyDefinition>,
): PolicySetDefinition {
  const references: PolicyDefinitionReference[] = spec.members.map((member) => {
    const definition = definitions.get(member.definition);
    if (definition === undefined) throw new Error(`${spec.name}: no member definition ${member.definition}`);
    for (const parameter of Object.keys(member.parameters)) {
      if (!Object.hasOwn(definition.properties.parameters, parameter))
        throw new Error(
          `${spec.name}/${member.referenceId}: ${member.definition} has no parameter ${parameter}`,
        );
    }
    return {
      policyDefinitionReferenceId: member.referenceId,
      policyDefinitionId: `${DEFINITION_ID_PREFIX}${definition.name}`,
      definitionVersion: `${definition.properties.version.split('.')[0] ?? '1'}.*.*`,
      parameters: Object.fromEntries(
        Object.entries(member.parameters).map(([name, value]) => [name, { value }]),
      ),
    };
  });
  const parameters = Object.fromEntries(
    Object.entries(spec.parameters).map(([name, overrides]) => {
      const fed = spec.members.flatMap((member) =>
        Object.entries(member.parameters)
          .filter(([, value]) => value === parameterReference(name))
          .map(
            ([memberParameter]) => definitions.get(member.definition)?.properties.parameters[memberParameter],
          ),
      )[0];
      if (fed === undefined) throw new Error(`${spec.name}: parameter ${name} feeds no member`);
      const parameter: AzureParameter = {
        ...fed,
        metadata: {
          displayName: overrides.displayName ?? fed.metadata.displayName,
          description: overrides.description ?? fed.metadata.description,
        },
        ...(overrides.defaultValue === undefined ? {} : { defaultValue: overrides.defaultValue }),
      };
      return [name, parameter];
    }),
  );
  return {
    name: spec.name,
    properties: {
      displayName: spec.displayName,
      description: spec.description,
      policyType: 'Custom',
      metadata: { category: 'Kubernetes', version: spec.version },
      version: spec.version,
      parameters,
      policyDefinitions: references,
    },
  };
}

/** Every generated file, path relative to constraints/initiatives/ → its JSON value, from the templates' text. */
export function renderInitiativeFiles(templateTexts: ReadonlyMap<string, string>): Map<string, unknown> {
  const files = new Map<string, unknown>();
  const definitions = new Map<string, PolicyDefinition>();
  for (const member of MEMBERS) {
    const text = templateTexts.get(member.template);
    if (text === undefined) throw new Error(`${member.name}: no templates/${member.template}/template.yaml`);
    const template = parseTemplateYaml(member.template, text);
    const definition = renderPolicyDefinition(member, template, 'Base64Encoded');
    definitions.set(member.name, definition);
    files.set(join(DEFINITIONS_SUBDIR, `${member.name}.json`), definition);
    files.set(
      join(DEFINITIONS_SUBDIR, `${member.name}.public-url.json`),
      renderPolicyDefinition(member, template, 'PublicURL'),
    );
  }
  for (const spec of INITIATIVES)
    files.set(`${spec.name}.json`, renderPolicySetDefinition(spec, definitions));
  return files;
}

/** The templates the members are built on: name → text of templates/<name>/template.yaml. */
export function readMemberTemplates(dir: string = TEMPLATES_DIR): Map<string, string> {
  return new Map(
    MEMBERS.map(({ template }) => [template, readFileSync(join(dir, template, 'template.yaml'), 'utf8')]),
  );
}

/** Generated files pass the repository's Prettier check like hand-written ones. */
async function formatLikeRepository(path: string, value: unknown): Promise<string> {
  return format(JSON.stringify(value, null, 2), { ...(await resolveConfig(path)), filepath: path });
}

/** Path relative to constraints/initiatives/ → file text, as the generator writes them. */
export async function generateInitiativeFiles(
  templateTexts: ReadonlyMap<string, string> = readMemberTemplates(),
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const [path, value] of renderInitiativeFiles(templateTexts))
    texts.set(path, await formatLikeRepository(join(INITIATIVES_DIR, path), value));
  return texts;
}

/** The .json files the generator owns: in constraints/initiatives/ and its definitions/ (schema/ is hand-written). */
export function listGeneratedFiles(dir: string = INITIATIVES_DIR): string[] {
  const jsonIn = (subdir: string): string[] =>
    (existsSync(join(dir, subdir)) ? readdirSync(join(dir, subdir), { withFileTypes: true }) : [])
      .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
      .map((entry) => join(subdir, entry.name));
  return [...jsonIn(''), ...jsonIn(DEFINITIONS_SUBDIR)].sort();
}

async function main(): Promise<void> {
  const files = await generateInitiativeFiles();
  mkdirSync(join(INITIATIVES_DIR, DEFINITIONS_SUBDIR), { recursive: true });
  for (const stale of listGeneratedFiles().filter((path) => !files.has(path))) {
    rmSync(join(INITIATIVES_DIR, stale));
    console.log(`removed constraints/initiatives/${stale}`);
  }
  for (const [path, text] of files) {
    writeFileSync(join(INITIATIVES_DIR, path), text);
    console.log(`constraints/initiatives/${path}`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
