import type { VerdictCodec } from '../cache/index.js';
import { SignetError } from '../errors.js';
import type { ImageResult, VerifierReport } from '../verdict/index.js';

/** Nesting of verifier reports (cosign nests one level) accepted when reading a stored verdict. */
const MAX_REPORT_DEPTH = 8;

type Decoded<T> =
  { readonly $case: 'ok'; readonly value: T } | { readonly $case: 'invalid'; readonly reason: string };

class Invalid extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(reason: string): never {
  throw new Invalid(reason);
}

function text(record: Record<string, unknown>, field: string, where: string): string {
  const value = record[field];
  return typeof value === 'string' ? value : fail(`${where}.${field} must be a string`);
}

function optionalText(record: Record<string, unknown>, field: string, where: string): string | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : fail(`${where}.${field} must be a string`);
}

function toReport(value: unknown, where: string, depth: number): VerifierReport {
  if (depth > MAX_REPORT_DEPTH) fail(`${where} is nested more than ${MAX_REPORT_DEPTH} levels`);
  if (!isRecord(value)) fail(`${where} must be an object`);
  if (typeof value.isSuccess !== 'boolean') fail(`${where}.isSuccess must be a boolean`);
  const extensions = value.extensions;
  if (extensions !== undefined && extensions !== null && !isRecord(extensions))
    fail(`${where}.extensions must be an object`);
  const nested = value.nestedReports;
  if (!Array.isArray(nested)) fail(`${where}.nestedReports must be an array`);
  const errorReason = optionalText(value, 'errorReason', where);
  const remediation = optionalText(value, 'remediation', where);
  const error = optionalError(value.error, `${where}.error`);
  return {
    subject: text(value, 'subject', where),
    isSuccess: value.isSuccess,
    name: text(value, 'name', where),
    verifierName: text(value, 'verifierName', where),
    type: text(value, 'type', where),
    verifierType: text(value, 'verifierType', where),
    message: text(value, 'message', where),
    ...(errorReason === undefined ? {} : { errorReason }),
    ...(remediation === undefined ? {} : { remediation }),
    artifactType: text(value, 'artifactType', where),
    ...(isRecord(extensions) ? { extensions } : {}),
    nestedReports: nested.map((report, index) =>
      toReport(report, `${where}.nestedReports[${index}]`, depth + 1),
    ),
    ...(error === undefined ? {} : { error }),
  };
}

/** A SignetError `toJSON` wrote, rebuilt; absent stays absent, anything else is invalid. */
function optionalError(value: unknown, where: string): SignetError | undefined {
  if (value === undefined || value === null) return undefined;
  return SignetError.fromJSON(value) ?? fail(`${where} is not a serialised SignetError`);
}

function toReportJson(report: VerifierReport): Record<string, unknown> {
  const { error, nestedReports, ...fields } = report;
  return {
    ...fields,
    nestedReports: nestedReports.map(toReportJson),
    ...(error === undefined ? {} : { error: error.toJSON() }),
  };
}

function toImageResult(value: unknown): ImageResult {
  if (!isRecord(value)) fail('the verdict must be an object');
  const key = text(value, 'key', 'verdict');
  if (key === '') fail('verdict.key is empty');
  if (typeof value.isSuccess !== 'boolean') fail('verdict.isSuccess must be a boolean');
  const subject = optionalText(value, 'subject', 'verdict');
  if (!Array.isArray(value.reports)) fail('verdict.reports must be an array');
  const reports = value.reports.map((report, index) => toReport(report, `verdict.reports[${index}]`, 0));
  const error = optionalError(value.error, 'verdict.error');
  // Only verdicts are shared: an allow without an error, or a denial whose error is a verdict (never inconclusive).
  if (value.isSuccess && error !== undefined) fail('an allowed verdict carries an error');
  if (!value.isSuccess && error?.kind !== 'verdict') fail('a denied verdict needs an error of kind verdict');
  const verifiedAt = new Date(text(value, 'verifiedAt', 'verdict'));
  if (Number.isNaN(verifiedAt.getTime())) fail('verdict.verifiedAt is not a date');
  return { key, isSuccess: value.isSuccess, subject, reports, error, verifiedAt };
}

/**
 * ImageResult ⇄ JSON for the shared (Redis) verdict cache. The SignetError is written with `toJSON` and rebuilt
 * with `fromJSON`; its cause is not kept. Decoding checks every field: a value that is not exactly what `encode`
 * writes is invalid (a miss), never an allow.
 */
export const imageResultCodec: VerdictCodec<ImageResult> = {
  encode: (result) => ({
    key: result.key,
    isSuccess: result.isSuccess,
    ...(result.subject === undefined ? {} : { subject: result.subject }),
    reports: result.reports.map(toReportJson),
    ...(result.error === undefined ? {} : { error: result.error.toJSON() }),
    verifiedAt: result.verifiedAt.toISOString(),
  }),
  decode(value): Decoded<ImageResult> {
    try {
      return { $case: 'ok', value: toImageResult(value) };
    } catch (error) {
      if (error instanceof Invalid) return { $case: 'invalid', reason: error.message };
      throw error;
    }
  },
};
