// Azure Policy's JSON shapes as signet writes and reads them: a policy definition in mode
// Microsoft.Kubernetes.Data (a Gatekeeper ConstraintTemplate plus the constraint's match and values) and a
// policy set definition (an "initiative") that references its members by policyDefinitionId.
// constraints/initiatives/schema/ holds the JSON Schemas the generated files are checked against.

/** Azure's parameter types (Azure compares them case-insensitively; signet writes this casing). */
export type AzureParameterType = 'String' | 'Array' | 'Object' | 'Boolean' | 'Integer' | 'Float' | 'DateTime';

export interface AzureParameter {
  readonly type: AzureParameterType;
  readonly metadata: { readonly displayName: string; readonly description: string };
  readonly defaultValue?: unknown;
  readonly allowedValues?: readonly unknown[];
  /** A JSON Schema the value must fit (Azure supports it on Array and Object parameters). */
  readonly schema?: Readonly<Record<string, unknown>>;
}

export type AzureParameters = Readonly<Record<string, AzureParameter>>;

/** `templateInfo` of a Microsoft.Kubernetes.Data definition: the ConstraintTemplate inline or by URL. */
export type TemplateInfo =
  | { readonly sourceType: 'Base64Encoded'; readonly content: string }
  | { readonly sourceType: 'PublicURL'; readonly url: string };

/** `then.details` of a Microsoft.Kubernetes.Data definition; strings may be `[parameters('x')]` expressions. */
export interface KubernetesDetails {
  readonly templateInfo: TemplateInfo;
  readonly apiGroups: readonly string[];
  readonly kinds: readonly string[];
  readonly namespaces?: string | readonly string[];
  readonly excludedNamespaces?: string | readonly string[];
  readonly labelSelector?: string | Readonly<Record<string, unknown>>;
  readonly values?: Readonly<Record<string, unknown>>;
}

export interface PolicyDefinition {
  readonly name: string;
  readonly properties: {
    readonly displayName: string;
    readonly description: string;
    readonly policyType: 'Custom';
    readonly mode: 'Microsoft.Kubernetes.Data';
    readonly metadata: { readonly category: 'Kubernetes'; readonly version: string };
    readonly version: string;
    readonly parameters: AzureParameters;
    readonly policyRule: {
      readonly if: { readonly field: 'type'; readonly in: readonly string[] };
      readonly then: { readonly effect: string; readonly details: KubernetesDetails };
    };
  };
}

export interface PolicyDefinitionReference {
  readonly policyDefinitionReferenceId: string;
  readonly policyDefinitionId: string;
  readonly definitionVersion: string;
  /** Member parameter → `{ value }`, a literal or a `[parameters('x')]` reference to a set parameter. */
  readonly parameters: Readonly<Record<string, { readonly value: unknown }>>;
}

export interface PolicySetDefinition {
  readonly name: string;
  readonly properties: {
    readonly displayName: string;
    readonly description: string;
    readonly policyType: 'Custom';
    readonly metadata: { readonly category: 'Kubernetes'; readonly version: string };
    readonly version: string;
    readonly parameters: AzureParameters;
    readonly policyDefinitions: readonly PolicyDefinitionReference[];
  };
}

/** A set definition with the member definitions its references resolve to (keyed by definition name). */
export interface Initiative {
  readonly setDefinition: PolicySetDefinition;
  readonly definitions: ReadonlyMap<string, PolicyDefinition>;
}
