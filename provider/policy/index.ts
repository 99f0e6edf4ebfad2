export { decide, DEFAULT_DECISION_POLICY, ruleFor } from './decide.js';
export type { ArtifactRule, Decision, DecisionPolicy } from './decide.js';
