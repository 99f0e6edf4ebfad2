// The few pieces of Azure Policy's expression and id syntax that signet writes and reads.

/**
 * Where the member definitions live. The set definitions reference them at management-group scope, with
 * `{managementGroupId}` left for the importer to fill in (constraints/initiatives/README.md); definitions
 * created at subscription scope are referenced as `/subscriptions/<id>/providers/…` instead.
 */
export const MANAGEMENT_GROUP_PLACEHOLDER = '{managementGroupId}';
export const DEFINITION_ID_PREFIX = `/providers/Microsoft.Management/managementGroups/${MANAGEMENT_GROUP_PLACEHOLDER}/providers/Microsoft.Authorization/policyDefinitions/`;

/** Where the PublicURL variants expect templates/ to be published; replaced by the importer. */
export const TEMPLATE_BASE_URL_PLACEHOLDER = '{templateBaseUrl}';

const PARAMETER_REFERENCE = /^\[parameters\('([^']+)'\)\]$/;
const DEFINITION_ID =
  /^(?:\/providers\/Microsoft\.Management\/managementGroups\/[^/]+|\/subscriptions\/[^/]+)?\/providers\/Microsoft\.Authorization\/policyDefinitions\/([^/]+)$/i;

/** `[parameters('name')]`, Azure's reference to a parameter of the enclosing definition. */
export function parameterReference(name: string): string {
  return `[parameters('${name}')]`;
}

/** The parameter a `[parameters('name')]` expression names; undefined for anything else. */
export function referencedParameter(value: unknown): string | undefined {
  return typeof value === 'string' ? PARAMETER_REFERENCE.exec(value)?.[1] : undefined;
}

/** Any other `[…]` string is an Azure template expression signet does not evaluate (`[[` escapes a literal). */
export function isExpression(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('[') && !value.startsWith('[[') && value.endsWith(']');
}

/** The definition name at the end of a policyDefinitionId (management group, subscription or built-in). */
export function definitionNameOf(policyDefinitionId: string): string | undefined {
  return DEFINITION_ID.exec(policyDefinitionId)?.[1];
}
