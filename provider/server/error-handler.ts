import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { SignetError, toSignetError } from '../errors.js';
import type { Logger } from '../observability/index.js';
import { DEFAULT_API_VERSION } from './gatekeeper.types.js';
import type { ProviderErrorResponse } from './gatekeeper.types.js';
import { findRequestContext } from './request-context.js';

/** body-parser's errors carry an HTTP status and a `type` such as `entity.too.large`. */
interface BodyParserError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    error instanceof Error &&
    'status' in error &&
    typeof error.status === 'number' &&
    'type' in error &&
    typeof error.type === 'string'
  );
}

function fromBodyParser(error: BodyParserError): SignetError {
  if (error.status === 413) {
    return new SignetError('REQUEST_TOO_LARGE', {
      stage: 'request',
      reason: 'the request body exceeds the size limit',
      details: { type: error.type },
      cause: error,
    });
  }
  const reason =
    error.type === 'entity.parse.failed'
      ? `the request body is not valid JSON (${error.message})`
      : error.message;
  const httpStatus = error.status >= 400 && error.status < 500 ? error.status : 400;
  return new SignetError('REQUEST_INVALID', {
    stage: 'request',
    reason,
    details: { type: error.type, httpStatus },
    cause: error,
  });
}

function toHttpStatus(error: SignetError): number {
  if (error.code === 'REQUEST_TOO_LARGE') return 413;
  if (error.code === 'REQUEST_INVALID') {
    const requested = error.details.httpStatus;
    return typeof requested === 'number' && requested >= 400 && requested < 500 ? requested : 400;
  }
  return error.kind === 'config' ? 503 : 500;
}

/** Unknown paths and wrong methods, as errors so the error handler answers them like any other. */
export function createNotFoundHandler(providerPaths: readonly string[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const isProviderPath = providerPaths.includes(req.path);
    if (isProviderPath) res.setHeader('Allow', 'POST');
    next(
      new SignetError('REQUEST_INVALID', {
        stage: 'request',
        reason: isProviderPath
          ? `${req.method} is not allowed on ${req.path}; use POST`
          : `no route for ${req.method} ${req.path}`,
        details: { httpStatus: isProviderPath ? 405 : 404 },
      }),
    );
  };
}

/**
 * The only place errors become responses. Provider routes answer with a ProviderResponse whose
 * systemError carries the reason (so Gatekeeper denies and caches nothing) plus an `error` object;
 * other routes answer `{ error: { code, message, traceID } }`.
 */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (thrown: unknown, req: Request, res: Response, next: NextFunction) => {
    const context = findRequestContext(req);
    const log = context?.log ?? logger;
    const traceId = context?.traceId ?? '';
    const error = isBodyParserError(thrown) ? fromBodyParser(thrown) : toSignetError(thrown, 'server');
    const status = toHttpStatus(error);
    if (status >= 500) log.error({ err: error, code: error.code, status }, 'request failed');
    else log.warn({ code: error.code, status, reason: error.message }, 'request rejected');

    if (res.headersSent) {
      next(thrown);
      return;
    }
    const errorBody = { code: error.code, message: error.message, traceID: traceId };
    if (context?.gatekeeperRoute === undefined) {
      res.status(status).json({ error: errorBody });
      return;
    }
    const body: ProviderErrorResponse = {
      apiVersion: DEFAULT_API_VERSION,
      kind: 'ProviderResponse',
      response: { idempotent: true, systemError: `${error.describe()} (traceID ${traceId})` },
      error: errorBody,
    };
    res.status(status).json(body);
  };
}
