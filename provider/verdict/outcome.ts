import type { SubjectVerdict } from './verdict.types.js';

/**
 * The one classification of a verification's outcome, read by the verdict cache (what is kept, for how long), the
 * metrics (`outcome` label) and the Gatekeeper renderer (what is an item, what goes to systemError).
 * - success: allowed.
 * - failure: a definite "no" (an error of kind verdict): cached, answered as an item.
 * - inconclusive: anything else — registry down, timeout, overload, or a denial without a reason (fail closed,
 *   never cached, retried by Gatekeeper).
 */
export type ImageOutcome = 'success' | 'failure' | 'inconclusive';

export function classifyOutcome(verdict: Pick<SubjectVerdict, 'isSuccess' | 'error'>): ImageOutcome {
  if (verdict.isSuccess) return 'success';
  return verdict.error?.kind === 'verdict' ? 'failure' : 'inconclusive';
}
