/** `signet assign`: an initiative and an assignment's parameters → Gatekeeper ConstraintTemplates and Constraints. */
export { parseInitiative, type InitiativeFile } from './parse-initiative.js';
export {
  ASSIGNMENT_LABEL,
  DEFINITION_ANNOTATION,
  INITIATIVE_ANNOTATION,
  INITIATIVE_VERSION_ANNOTATION,
  PARAMETERS_ANNOTATION,
  REFERENCE_ANNOTATION,
  parseParameterArguments,
  renderAssignment,
  type AssignmentRequest,
  type KubernetesObject,
  type RenderedAssignment,
} from './render-assignment.js';
