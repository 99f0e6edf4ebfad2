/** `signet assign`: an initiative and an assignment's parameters → Gatekeeper ConstraintTemplates and Constraints. */
export { parseInitiative, type InitiativeFile } from './parse-initiative.js';
export {
  fieldManagerOf,
  planAssignment,
  type ApplyPlan,
  type ClusterObject,
  type PlanOutcome,
} from './apply-plan.js';
export { DEFAULT_RECORD_NAMESPACE } from './record-namespace.js';
export {
  parseAssignmentRecord,
  recordNameOf,
  toAssignmentRecord,
  type AssignmentRecord,
} from './assignment-record.js';
// cluster.ts imports @kubernetes/client-node only inside AssignmentCluster.connect (a dynamic import).
export { AssignmentCluster } from './cluster.js';
export {
  listAssignments,
  toAssignmentTable,
  type AssignmentListing,
  type ComplianceTally,
} from './list-assignments.js';
export { syncAssignment, type SyncRequest } from './sync-assignment.js';
export {
  ASSIGNMENT_LABEL,
  CLAIM_LABEL_PREFIX,
  claimLabel,
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
