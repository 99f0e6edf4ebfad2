import type { Request, RequestHandler, Response } from 'express';
import { toSignetError } from '../../errors.js';
import type { SignetError } from '../../errors.js';
import { classifyOutcome, type ImageResult } from '../../verdict/index.js';
import { createCachedKeyHints } from '../admission-control.js';
import { parseProviderRequest } from '../protocol.js';
import { toVerifyResponse } from '../render.js';
import { requestContext } from '../request-context.js';
import { logShedKeys, settleKeys } from './batch.js';
import type { RouteDependencies } from './route.types.js';

/** How many deadlines' worth of work may continue after an answer was given up (see settleKeys' carryOverMs). */
const CARRY_OVER_DEADLINES = 2;

/** POST verify: every distinct key verified once, in parallel, under the request deadline. */
export function createVerifyHandler(deps: RouteDependencies): RequestHandler {
  const { pipeline, metrics, protocol } = deps;
  const labels = { provider: protocol.providerName, route: 'verify' };
  const hints = createCachedKeyHints();
  const failed = (key: string, error: SignetError): ImageResult => ({
    key,
    isSuccess: false,
    subject: undefined,
    reports: [],
    error,
    verifiedAt: deps.now(),
  });

  return async (req: Request, res: Response) => {
    const context = requestContext(req);
    const providerRequest = parseProviderRequest(req.body, protocol);
    const keys = providerRequest.request.keys;
    metrics.observeKeysPerRequest(labels, keys.length);

    const settlements = await settleKeys({
      keys,
      deadlineMs: protocol.deadlineMs,
      receivedAt: context.startedAt,
      res,
      admission: deps.admission,
      hints,
      run: (key, signal, deadline) =>
        pipeline
          .verify(key, { signal, deadline, traceId: context.traceId })
          .catch((error: unknown) => failed(key, toSignetError(error, 'server', key))),
      onAbort: failed,
      // A batch larger than one deadline allows keeps verifying into the cache, so the next call answers more.
      carryOverMs: CARRY_OVER_DEADLINES * protocol.deadlineMs,
    });

    const results = new Map<string, ImageResult>();
    const shed: Array<{ key: string; error: SignetError }> = [];
    for (const [key, { value: result, durationMs }] of settlements) {
      results.set(key, result);
      const outcome = classifyOutcome(result);
      metrics.observeImage(outcome, durationMs / 1000, result.error?.code);
      if (result.error?.code === 'OVERLOADED') {
        shed.push({ key, error: result.error });
        continue;
      }
      const fields = {
        key,
        outcome,
        subject: result.subject,
        code: result.error?.code,
        durationMs: Math.round(durationMs),
      };
      if (outcome === 'success') {
        if (context.debugLogged) context.log.debug(fields, 'image verified');
      } else
        context.log.info(
          { ...fields, stage: result.error?.stage, reason: result.error?.message },
          'image not allowed',
        );
    }
    if (shed.length > 0) logShedKeys(context.log, shed);

    const body = toVerifyResponse(providerRequest.apiVersion, keys, results, {
      traceId: context.traceId,
      now: deps.now(),
    });
    context.answeredWithSystemError = body.response.systemError !== undefined;
    res.status(200).json(body);
  };
}
