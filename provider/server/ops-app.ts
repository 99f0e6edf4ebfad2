import express from 'express';
import type { Express } from 'express';
import type { Logger, SignetMetrics } from '../observability/index.js';
import { createErrorHandler, createNotFoundHandler } from './error-handler.js';
import { createHealthRouter } from './routes/health.js';

export interface OpsAppDependencies {
  readonly metrics: SignetMetrics;
  readonly isReady: () => boolean;
  readonly logger: Logger;
}

/**
 * The plain-HTTP operations listener: /metrics, and the health probes again, because kubelet probes
 * cannot present the client certificate the mTLS provider port demands.
 */
export function createOpsApp(deps: OpsAppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(createHealthRouter(deps.isReady));
  app.get('/metrics', async (_req, res) => {
    const body = await deps.metrics.registry.metrics();
    res.status(200).type(deps.metrics.registry.contentType).send(body);
  });
  app.use(createNotFoundHandler([]));
  app.use(createErrorHandler(deps.logger));
  return app;
}
