import { SignetError, type ErrorCode } from '../../../errors.js';
import type { ValidationType } from '../levels.js';

/** A failed validation, coded for the pipeline and tagged with notation's validation name. */
export function stageFailure(
  code: ErrorCode,
  validation: ValidationType,
  reason: string,
  cause?: unknown,
): SignetError {
  return new SignetError(code, { stage: 'verify', reason, cause, details: { validation } });
}

/** Go's time.RFC1123Z layout, which notation uses in its messages: `Tue, 27 Jun 2023 06:10:00 +0000`. */
export function formatRfc1123z(date: Date): string {
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][date.getUTCDay()] ?? '';
  const month =
    ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
      date.getUTCMonth()
    ] ?? '';
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${day}, ${pad(date.getUTCDate())} ${month} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
