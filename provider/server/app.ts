import express from 'express';
import type { Express } from 'express';
import type { Logger, SignetMetrics } from '../observability/index.js';
import { newTraceId as defaultNewTraceId } from '../observability/index.js';
import type { ImagePipeline } from '../pipeline/result.types.js';
import { createAdmissionControl, DEFAULT_MAX_IN_FLIGHT } from './admission-control.js';
import type { AdmissionOptions } from './admission-control.js';
import { createErrorHandler, createNotFoundHandler } from './error-handler.js';
import { DEFAULT_PROTOCOL_OPTIONS } from './protocol.js';
import type { ProtocolOptions } from './protocol.js';
import { createGatekeeperRouteMiddleware, createRequestContextMiddleware } from './request-context.js';
import { createHealthRouter } from './routes/health.js';
import { createMutateHandler } from './routes/mutate.js';
import { createVerifyHandler } from './routes/verify.js';

export interface AppDependencies {
  readonly pipeline: ImagePipeline;
  readonly logger: Logger;
  readonly metrics: SignetMetrics;
  /** True once a config snapshot is loaded; /readyz answers 503 until then. */
  readonly isReady: () => boolean;
  readonly protocol?: Partial<ProtocolOptions>;
  /** The bound on keys verified at once over all requests (default DEFAULT_MAX_IN_FLIGHT) and its queue. */
  readonly admission?: Partial<AdmissionOptions>;
  readonly now?: () => Date;
  readonly newTraceId?: () => string;
}

/** The provider's express app (no listener): Gatekeeper verify/mutate routes and health probes. */
export function createApp(deps: AppDependencies): Express {
  const protocol: ProtocolOptions = { ...DEFAULT_PROTOCOL_OPTIONS, ...deps.protocol };
  const routeDeps = {
    pipeline: deps.pipeline,
    metrics: deps.metrics,
    protocol,
    now: deps.now ?? (() => new Date()),
    admission: createAdmissionControl({
      ...deps.admission,
      maxInFlight: deps.admission?.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
    }),
  };
  // The size limit is enforced while streaming; any content type is parsed as JSON (Gatekeeper sends
  // application/json) and compressed bodies are refused rather than inflated past the limit.
  const jsonBody = express.json({
    limit: protocol.maxBodyBytes,
    type: () => true,
    inflate: false,
    strict: true,
  });

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(
    createRequestContextMiddleware(deps.logger, deps.newTraceId ?? defaultNewTraceId, protocol.providerName),
  );
  // Probes come first and touch neither the body parser nor admission control: they answer under any load.
  app.use(createHealthRouter(deps.isReady));
  app.post(
    protocol.verifyPath,
    createGatekeeperRouteMiddleware('verify', protocol.providerName, deps.metrics),
    jsonBody,
    createVerifyHandler(routeDeps),
  );
  app.post(
    protocol.mutatePath,
    createGatekeeperRouteMiddleware('mutate', protocol.providerName, deps.metrics),
    jsonBody,
    createMutateHandler(routeDeps),
  );
  app.use(createNotFoundHandler([protocol.verifyPath, protocol.mutatePath]));
  app.use(createErrorHandler(deps.logger));
  return app;
}
