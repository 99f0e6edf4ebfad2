export { decide, DEFAULT_DECISION_POLICY, ruleFor } from './decide.js';
export type { Decision, DecisionPolicy } from './decide.js';
export { judgingVerifiers, toSubjectPolicy, verifySubject } from './verify-subject.js';
export type { Subject, SubjectPolicy, VerifyHandles } from './verify-subject.js';
export { combineCosignReports } from './cosign-rules.js';
