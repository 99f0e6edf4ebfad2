import { SignetError } from '../errors.js';
import { classifyOutcome, type ImageResult, type VerifierReport } from '../verdict/index.js';
import type { GatekeeperApiVersion, ProviderResponse, ProviderResponseItem } from './gatekeeper.types.js';

/**
 * Ratify's result version for config-policy results that carry traceID and timestamp
 * (ratify-project/ratify `httpserver/types.go`, ResultVersion0_2_0).
 */
export const RATIFY_RESULT_VERSION = '0.2.0';

/** Ratify's `verifier.VerifierResult` (pkg/verifier/result.go); Go omitempty on all but isSuccess. */
export interface RatifyVerifierReport {
  readonly subject?: string;
  readonly isSuccess: boolean;
  readonly name?: string;
  readonly verifierName?: string;
  readonly type?: string;
  readonly verifierType?: string;
  readonly artifactType?: string;
  readonly message?: string;
  readonly errorReason?: string;
  readonly remediation?: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly nestedResults?: readonly RatifyVerifierReport[];
}

/** Ratify's `httpserver.VerificationResponse`: the `value` of a verify item. */
export interface RatifyResult {
  readonly version: string;
  readonly isSuccess: boolean;
  readonly traceID: string;
  readonly timestamp: string;
  readonly verifierReports: readonly RatifyVerifierReport[];
}

export interface RenderContext {
  readonly traceId: string;
  readonly now: Date;
}

/** Go's omitempty for strings: empty and absent are the same on the wire. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** A report in Ratify's schema; a failing report's code and stage are its `extensions.code` / `extensions.stage`. */
export function toRatifyReport(report: VerifierReport): RatifyVerifierReport {
  return {
    subject: nonEmpty(report.subject),
    isSuccess: report.isSuccess,
    name: nonEmpty(report.name),
    verifierName: nonEmpty(report.verifierName),
    type: nonEmpty(report.type),
    verifierType: nonEmpty(report.verifierType),
    artifactType: nonEmpty(report.artifactType),
    message: nonEmpty(report.message),
    errorReason: nonEmpty(report.errorReason),
    remediation: nonEmpty(report.remediation),
    extensions:
      report.error === undefined
        ? report.extensions
        : { ...report.extensions, code: report.error.code, stage: report.error.stage },
    nestedResults: report.nestedReports.length === 0 ? undefined : report.nestedReports.map(toRatifyReport),
  };
}

/** Like Ratify's ErrorToVerifyResult: a failure without verifier reports becomes one report naming it. */
function toErrorReport(result: ImageResult, error: SignetError): RatifyVerifierReport {
  return {
    subject: result.subject ?? result.key,
    isSuccess: false,
    message: error.message,
    errorReason: error.reason,
    remediation: error.remediation,
    extensions: { code: error.code, stage: error.stage },
  };
}

export function toRatifyResult(result: ImageResult, context: RenderContext): RatifyResult {
  const reports =
    result.reports.length === 0 && result.error !== undefined && !result.isSuccess
      ? [toErrorReport(result, result.error)]
      : result.reports.map(toRatifyReport);
  return {
    version: RATIFY_RESULT_VERSION,
    isSuccess: result.isSuccess,
    traceID: context.traceId,
    timestamp: context.now.toISOString(),
    verifierReports: reports,
  };
}

/**
 * Whether an answer is final and may sit in Gatekeeper's response cache: allowed images and verdicts
 * are; inconclusive failures (timeout, registry down, rate limited…) are not (classifyOutcome).
 */
export function isFinalAnswer(isSuccess: boolean, error: SignetError | undefined): boolean {
  return classifyOutcome({ isSuccess, error }) !== 'inconclusive';
}

export interface TransientFailure {
  readonly key: string;
  readonly error: SignetError;
}

const LISTED_FAILURES = 10;

/** The systemError naming the keys left out of `items` so that Gatekeeper asks for them again. */
export function toTransientSystemError(failures: readonly TransientFailure[], traceId: string): string {
  const listed = failures
    .slice(0, LISTED_FAILURES)
    .map(({ key, error }) => (error.image === undefined ? `${key}: ${error.describe()}` : error.describe()));
  const more = failures.length > LISTED_FAILURES ? `; and ${failures.length - LISTED_FAILURES} more` : '';
  return (
    `${failures.length} image(s) could not be verified now and are left out of the answer so that they are retried: ` +
    `${listed.join('; ')}${more} (traceID ${traceId})`
  );
}

/** A denial that carries no reason is inconclusive (fail closed) and still named in systemError. */
function unexplained(key: string): SignetError {
  return new SignetError('INTERNAL', {
    stage: 'server',
    image: key,
    reason: 'the image was denied without a reason',
  });
}

function missing(key: string): SignetError {
  return new SignetError('INTERNAL', {
    stage: 'server',
    image: key,
    reason: 'no result was recorded for this key',
  });
}

function toResponse(
  apiVersion: GatekeeperApiVersion,
  items: ProviderResponseItem[],
  failures: readonly TransientFailure[],
  traceId: string,
): ProviderResponse {
  return {
    apiVersion,
    kind: 'ProviderResponse',
    response: {
      idempotent: true,
      items,
      ...(failures.length === 0 ? {} : { systemError: toTransientSystemError(failures, traceId) }),
    },
  };
}

/**
 * The verify answer: one item per key in request order (duplicates repeat the shared result) for every
 * final answer; keys whose failure is transient get no item and are named in systemError instead,
 * because Gatekeeper caches every returned item (see README "Gatekeeper caching").
 */
export function toVerifyResponse(
  apiVersion: GatekeeperApiVersion,
  keys: readonly string[],
  results: ReadonlyMap<string, ImageResult>,
  context: RenderContext,
): ProviderResponse {
  const items: ProviderResponseItem[] = [];
  const failures: TransientFailure[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    const result = results.get(key);
    if (result === undefined) throw missing(key);
    if (isFinalAnswer(result.isSuccess, result.error)) {
      items.push({ key, value: toRatifyResult(result, context) });
    } else if (!seen.has(key)) {
      failures.push({ key, error: result.error ?? unexplained(key) });
    }
    seen.add(key);
  }
  return toResponse(apiVersion, items, failures, context.traceId);
}

export type MutateOutcome =
  | { readonly $case: 'resolved'; readonly reference: string }
  | { readonly $case: 'failed'; readonly error: SignetError };

/** The mutate answer: the digest-pinned reference, a final per-key error, or a transient systemError entry. */
export function toMutateResponse(
  apiVersion: GatekeeperApiVersion,
  keys: readonly string[],
  outcomes: ReadonlyMap<string, MutateOutcome>,
  traceId: string,
): ProviderResponse {
  const items: ProviderResponseItem[] = [];
  const failures: TransientFailure[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    const outcome = outcomes.get(key);
    if (outcome === undefined) throw missing(key);
    switch (outcome.$case) {
      case 'resolved':
        items.push({ key, value: outcome.reference });
        break;
      case 'failed':
        if (isFinalAnswer(false, outcome.error)) items.push({ key, error: outcome.error.describe() });
        else if (!seen.has(key)) failures.push({ key, error: outcome.error });
        break;
    }
    seen.add(key);
  }
  return toResponse(apiVersion, items, failures, traceId);
}
