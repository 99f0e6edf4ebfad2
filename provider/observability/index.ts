export { createLogger, newTraceId } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { createMetrics } from './metrics.js';
export type {
  ImageOutcome,
  MetricsOptions,
  RegistryRequestEvent,
  RequestLabels,
  RequestOutcome,
  SignetMetrics,
} from './metrics.js';
