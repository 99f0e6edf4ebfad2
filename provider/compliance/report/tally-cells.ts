import type { Tally } from './report.types.js';

/** A compliance percentage with one decimal, or `absent` when nothing counts towards it. */
export function formatPercent(value: number | null, absent: string): string {
  return value === null ? absent : `${value.toFixed(1)}%`;
}

/** One tally as table cells, in the order of the renderers' tally headers. */
export function tallyCells(tally: Tally, absentPercent: string): string[] {
  return [
    String(tally.total),
    String(tally.compliant),
    String(tally.nonCompliant),
    String(tally.error),
    String(tally.unknown),
    String(tally.exempt),
    formatPercent(tally.compliancePercent, absentPercent),
  ];
}
