import { performance } from 'node:perf_hooks';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { SignetError } from '../errors.js';
import type { Logger, RequestOutcome, SignetMetrics } from '../observability/index.js';

export type GatekeeperRoute = 'verify' | 'mutate';

/** What every part of one request shares: its trace ID and a logger that stamps it on every line. */
export interface RequestContext {
  readonly traceId: string;
  readonly log: Logger;
  /** Whether debug lines are logged at all (checked before a debug line, so a warm request makes no child logger). */
  readonly debugLogged: boolean;
  readonly startedAt: number;
  /** Set on provider routes, so errors are answered as ProviderResponses there. */
  gatekeeperRoute: GatekeeperRoute | undefined;
  /** Set when an answered batch carries a systemError (for the request outcome metric). */
  answeredWithSystemError: boolean;
}

const contexts = new WeakMap<Request, RequestContext>();

export function requestContext(req: Request): RequestContext {
  const context = contexts.get(req);
  if (context === undefined) {
    throw new SignetError('INTERNAL', {
      stage: 'server',
      reason: 'the request context middleware did not run',
    });
  }
  return context;
}

export function findRequestContext(req: Request): RequestContext | undefined {
  return contexts.get(req);
}

/** Gives each request a trace ID (echoed as X-Trace-Id) and logs one line when it ends. Never logs headers. */
export function createRequestContextMiddleware(
  logger: Logger,
  newTraceId: () => string,
  providerName: string,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const traceId = newTraceId();
    const bindings = { traceId, provider: providerName };
    // The child logger is made only when a line other than the access line is logged: making one costs a
    // serialisation of its bindings through the redaction, which a warm request would otherwise pay for nothing.
    let child: Logger | undefined;
    const context: RequestContext = {
      traceId,
      get log() {
        child ??= logger.child(bindings);
        return child;
      },
      debugLogged: logger.isLevelEnabled('debug'),
      startedAt: performance.now(),
      gatekeeperRoute: undefined,
      answeredWithSystemError: false,
    };
    contexts.set(req, context);
    res.setHeader('X-Trace-Id', traceId);
    res.on('close', () => {
      const fields = {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Math.round(performance.now() - context.startedAt),
        completed: res.writableFinished,
      };
      if (context.gatekeeperRoute === undefined) logger.debug({ ...bindings, ...fields }, 'request finished');
      else logger.info({ ...bindings, ...fields }, 'request finished');
    });
    next();
  };
}

function toOutcome(status: number, context: RequestContext, completed: boolean): RequestOutcome {
  if (!completed || status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return context.answeredWithSystemError ? 'system_error' : 'ok';
}

/** Marks a provider route and records its request count, latency and in-flight gauge. */
export function createGatekeeperRouteMiddleware(
  route: GatekeeperRoute,
  providerName: string,
  metrics: SignetMetrics,
): RequestHandler {
  const labels = { provider: providerName, route };
  return (req: Request, res: Response, next: NextFunction) => {
    const context = requestContext(req);
    context.gatekeeperRoute = route;
    const done = metrics.trackInFlight(labels);
    res.on('close', () => {
      done();
      const seconds = (performance.now() - context.startedAt) / 1000;
      metrics.observeRequest(labels, toOutcome(res.statusCode, context, res.writableFinished), seconds);
    });
    next();
  };
}
