// The compliance report's JSON Schema (provider/compliance/report/compliance-report.schema.json) compiled
// strictly by ajv, with RFC 3339 date-times checked (ajv-formats is not a dependency).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { REPO_ROOT } from './process.js';

export const REPORT_SCHEMA_PATH = join(
  REPO_ROOT,
  'provider',
  'compliance',
  'report',
  'compliance-report.schema.json',
);

export function compileReportSchema(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  return ajv.compile(JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8')) as object);
}
