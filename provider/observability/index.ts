export { createLogger, newTraceId } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { createComplianceMetrics, createMetrics } from './metrics.js';
export type {
  AssignmentCompliance,
  ComplianceMetrics,
  ImageOutcome,
  MetricsOptions,
  RegistryRequestEvent,
  RequestLabels,
  RequestOutcome,
  SignetMetrics,
} from './metrics.js';
