/** `signet report`: compliance states per resource from Gatekeeper's audit and signet's own evaluation. */
export {
  buildReport,
  readAssignedConstraints,
  readWorkloads,
  type BuildReportOptions,
} from './build-report.js';
export { createClusterClient, type ClusterClient, type WritableObject } from './cluster.js';
export { computeReport, keysToEvaluate, tally, type ReportInput } from './compute-report.js';
export { parseConstraint, type AssignedConstraint } from './constraints.js';
export { judgeAnswer, parseProviderResponse, type KeyAnswer } from './provider-answer.js';
export { createProviderEvaluator, type KeyEvaluator, type ProviderClientOptions } from './provider-client.js';
export {
  POLICY_REPORT_API_VERSION,
  policyReportName,
  toPolicyReports,
  writePolicyReports,
} from './policy-reports.js';
export { renderHtml } from './render-html.js';
export { renderReport, type ReportFormat } from './render-report.js';
export { renderTable } from './render-table.js';
export * from './report.types.js';
export { LeaderElector, kubernetesLeaseStore, type LeaseRecord, type LeaseStore } from './lease.js';
export { startPeriodicReport, type PeriodicReport, type PeriodicReportOptions } from './periodic-report.js';
