/** Azure-Policy-style initiatives: the JSON shapes and the expression syntax signet reads and writes. */
export type * from './azure-policy.types.js';
export {
  DEFINITION_ID_PREFIX,
  MANAGEMENT_GROUP_PLACEHOLDER,
  TEMPLATE_BASE_URL_PLACEHOLDER,
  definitionNameOf,
  isExpression,
  parameterReference,
  referencedParameter,
} from './azure-expressions.js';
