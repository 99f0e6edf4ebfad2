// signet's own evaluation of an image, read from the provider's Gatekeeper answer and judged exactly as the
// signet templates judge it (system error / missing key → Error, item error by its code, isSuccess false →
// NonCompliant with the first failing report's message, required verifiers on top of isSuccess). Pure.
import type { ImageVerdict } from './report.types.js';
import {
  REMEDIATION_ERROR,
  REMEDIATION_NON_COMPLIANT,
  classifyReason,
  withoutImagePrefix,
} from './constraints.js';

export interface AnsweredReport {
  readonly name?: string;
  readonly verifierName?: string;
  readonly isSuccess: boolean;
  readonly message?: string;
  readonly remediation?: string;
}

/** The provider's answer for one key. */
export type KeyAnswer =
  | {
      readonly $case: 'result';
      /** undefined when the value carries no boolean isSuccess (a violation in the templates). */
      readonly isSuccess: boolean | undefined;
      readonly reports: readonly AnsweredReport[];
    }
  | { readonly $case: 'itemError'; readonly error: string }
  /** Left out of `items` (transient: the response's systemError says why), or the request failed. */
  | { readonly $case: 'unanswered'; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function toReport(value: unknown): AnsweredReport | undefined {
  if (!isRecord(value) || typeof value.isSuccess !== 'boolean') return undefined;
  const name = optionalString(value.name);
  const verifierName = optionalString(value.verifierName);
  const message = optionalString(value.message);
  const remediation = optionalString(value.remediation);
  return {
    isSuccess: value.isSuccess,
    ...(name === undefined ? {} : { name }),
    ...(verifierName === undefined ? {} : { verifierName }),
    ...(message === undefined ? {} : { message }),
    ...(remediation === undefined ? {} : { remediation }),
  };
}

/**
 * A ProviderResponse body → an answer per requested key. Anything that is not a ProviderResponse answers every
 * key `unanswered` (fail closed), naming what was wrong.
 */
export function parseProviderResponse(body: unknown, keys: readonly string[]): Map<string, KeyAnswer> {
  const answers = new Map<string, KeyAnswer>();
  const response = isRecord(body) && isRecord(body.response) ? body.response : undefined;
  const systemError = optionalString(response?.systemError);
  const items = Array.isArray(response?.items) ? (response.items as unknown[]) : [];
  for (const item of items) {
    if (!isRecord(item) || typeof item.key !== 'string' || !keys.includes(item.key)) continue;
    const error = optionalString(item.error);
    if (error !== undefined) {
      answers.set(item.key, { $case: 'itemError', error });
      continue;
    }
    const value = isRecord(item.value) ? item.value : {};
    const reports = Array.isArray(value.verifierReports) ? (value.verifierReports as unknown[]) : [];
    answers.set(item.key, {
      $case: 'result',
      isSuccess: typeof value.isSuccess === 'boolean' ? value.isSuccess : undefined,
      reports: reports.map(toReport).filter((report) => report !== undefined),
    });
  }
  const missing =
    response === undefined
      ? 'the provider did not answer with a ProviderResponse'
      : systemError === undefined
        ? 'no result from the provider for this image'
        : `provider system error: ${systemError}`;
  for (const key of keys) if (!answers.has(key)) answers.set(key, { $case: 'unanswered', reason: missing });
  return answers;
}

function reportNames(report: AnsweredReport): string[] {
  return [report.name, report.verifierName].filter((name) => name !== undefined);
}

/** The verdict on `image` from its answer, as the signet templates decide. */
export function judgeAnswer(
  image: string,
  answer: KeyAnswer,
  requiredVerifiers: readonly string[],
): ImageVerdict {
  const source = 'signet-evaluation';
  switch (answer.$case) {
    case 'unanswered':
      return {
        image,
        state: 'Error',
        source,
        reason: answer.reason,
        remediation: REMEDIATION_ERROR,
        verifiers: [...requiredVerifiers],
      };
    case 'itemError': {
      const meaning = classifyReason(answer.error);
      return {
        image,
        state: meaning.state,
        source,
        reason: meaning.reason,
        remediation: meaning.remediation,
        verifiers: [...requiredVerifiers],
      };
    }
    case 'result': {
      const decided = answer.reports.filter((report) => report.isSuccess === answer.isSuccess);
      const verifiers = [...new Set(decided.flatMap((report) => reportNames(report).slice(0, 1)))];
      if (answer.isSuccess === undefined)
        return {
          image,
          state: 'Error',
          source,
          reason: "the provider's answer has no boolean isSuccess",
          remediation: REMEDIATION_ERROR,
          verifiers: [...requiredVerifiers],
        };
      if (!answer.isSuccess) {
        const failing = answer.reports.find((report) => !report.isSuccess && report.message !== undefined);
        const reason = failing?.message ?? 'verification failed';
        const meaning = classifyReason(withoutImagePrefix(reason));
        return {
          image,
          state: 'NonCompliant',
          source,
          reason: meaning.reason,
          remediation: failing?.remediation ?? meaning.remediation,
          verifiers: verifiers.length > 0 ? verifiers : [...requiredVerifiers],
        };
      }
      const missing = requiredVerifiers.find(
        (verifier) =>
          !answer.reports.some((report) => report.isSuccess && reportNames(report).includes(verifier)),
      );
      if (missing !== undefined)
        return {
          image,
          state: 'NonCompliant',
          source,
          reason: `no successful report from verifier ${missing}`,
          remediation: REMEDIATION_NON_COMPLIANT,
          verifiers: [missing],
        };
      return { image, state: 'Compliant', source, verifiers };
    }
  }
}
