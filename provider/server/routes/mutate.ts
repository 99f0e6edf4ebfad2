import type { Request, RequestHandler, Response } from 'express';
import { toSignetError } from '../../errors.js';
import type { SignetError } from '../../errors.js';
import { createCachedKeyHints } from '../admission-control.js';
import { parseProviderRequest } from '../protocol.js';
import { toMutateResponse } from '../render.js';
import type { MutateOutcome } from '../render.js';
import { requestContext } from '../request-context.js';
import { logShedKeys, settleKeys } from './batch.js';
import type { RouteDependencies } from './route.types.js';

/** POST mutate: each distinct key resolved once to its digest-pinned reference, under the request deadline. */
export function createMutateHandler(deps: RouteDependencies): RequestHandler {
  const { pipeline, metrics, protocol } = deps;
  const labels = { provider: protocol.providerName, route: 'mutate' };
  const hints = createCachedKeyHints();

  return async (req: Request, res: Response) => {
    const context = requestContext(req);
    const providerRequest = parseProviderRequest(req.body, protocol);
    const keys = providerRequest.request.keys;
    metrics.observeKeysPerRequest(labels, keys.length);

    const settlements = await settleKeys<MutateOutcome>({
      keys,
      deadlineMs: protocol.deadlineMs,
      receivedAt: context.startedAt,
      res,
      admission: deps.admission,
      hints,
      run: (key, signal, deadline) =>
        pipeline.resolveDigest(key, { signal, deadline, traceId: context.traceId }).then(
          (reference) => ({ $case: 'resolved', reference }),
          (error: unknown) => ({ $case: 'failed', error: toSignetError(error, 'resolve', key) }),
        ),
      onAbort: (_key, error) => ({ $case: 'failed', error }),
    });

    const outcomes = new Map<string, MutateOutcome>();
    const shed: Array<{ key: string; error: SignetError }> = [];
    for (const [key, { value: outcome, durationMs }] of settlements) {
      outcomes.set(key, outcome);
      if (outcome.$case === 'failed' && outcome.error.code === 'OVERLOADED') {
        shed.push({ key, error: outcome.error });
      } else if (outcome.$case === 'failed') {
        const { error } = outcome;
        context.log.info(
          {
            key,
            code: error.code,
            stage: error.stage,
            reason: error.message,
            durationMs: Math.round(durationMs),
          },
          'image not resolved',
        );
      }
    }
    if (shed.length > 0) logShedKeys(context.log, shed);

    const body = toMutateResponse(providerRequest.apiVersion, keys, outcomes, context.traceId);
    context.answeredWithSystemError = body.response.systemError !== undefined;
    res.status(200).json(body);
  };
}
