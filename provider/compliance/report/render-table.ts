// `signet report -o table`: the report as aligned plain-text tables for a terminal.
import { formatPercent, tallyCells } from './tally-cells.js';
import type { ComplianceReport } from './report.types.js';

function percent(value: number | null): string {
  return formatPercent(value, '-');
}

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const TALLY_HEADER = ['RESOURCES', 'COMPLIANT', 'NON-COMPLIANT', 'ERROR', 'UNKNOWN', 'EXEMPT', 'COMPLIANCE'];

function age(seconds: number | undefined): string {
  if (seconds === undefined) return 'never';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h`;
}

export function renderTable(report: ComplianceReport): string {
  const { summary } = report;
  const sections = [
    `signet compliance report, generated ${report.generatedAt}${report.assignment === undefined ? '' : `, assignment ${report.assignment}`}`,
    `${summary.total} resources: ${summary.compliant} Compliant, ${summary.nonCompliant} NonCompliant, ${summary.error} Error, ${summary.unknown} Unknown, ${summary.exempt} Exempt; compliance ${percent(summary.compliancePercent)}`,
    `signet evaluated ${report.evaluation.evaluated} results (${report.evaluation.images} images) itself (--evaluate ${report.evaluation.mode})`,
    `POLICIES\n${formatTable(
      ['ASSIGNMENT', 'POLICY', 'ACTION', 'AUDIT', 'AGE', 'VIOLATIONS', ...TALLY_HEADER],
      report.byPolicy.map((policy) => [
        policy.assignment,
        `${policy.constraintKind}/${policy.policy}`,
        policy.enforcementAction,
        policy.auditTimestamp ?? 'never',
        `${age(policy.auditAgeSeconds)}${policy.stale ? ' (stale)' : ''}`,
        `${policy.listedViolations}/${policy.totalViolations}${policy.truncated ? ' (truncated)' : ''}`,
        ...tallyCells(policy, '-'),
      ]),
    )}`,
    `ASSIGNMENTS\n${formatTable(
      ['ASSIGNMENT', 'INITIATIVE', ...TALLY_HEADER],
      report.byAssignment.map((a) => [a.assignment, a.initiative ?? '-', ...tallyCells(a, '-')]),
    )}`,
    `NAMESPACES\n${formatTable(
      ['NAMESPACE', ...TALLY_HEADER],
      report.byNamespace.map((n) => [n.namespace, ...tallyCells(n, '-')]),
    )}`,
    `TOP FAILING IMAGES\n${formatTable(
      ['COUNT', 'IMAGE', 'REASONS'],
      report.topFailingImages.map((i) => [String(i.count), i.image, i.reasons.join('; ')]),
    )}`,
    `TOP REASONS\n${formatTable(
      ['COUNT', 'REASON'],
      report.topReasons.map((r) => [String(r.count), r.reason]),
    )}`,
    `RESOURCES\n${formatTable(
      ['STATE', 'SOURCE', 'NAMESPACE', 'RESOURCE', 'POLICY', 'IMAGES', 'VERIFIER', 'REASON', 'REMEDIATION'],
      report.results.map((result) => [
        result.state,
        result.source,
        result.resource.namespace,
        `${result.resource.kind}/${result.resource.name}`,
        result.policy,
        result.images.map((image) => image.image).join(',') || '-',
        result.verifiers.join(',') || '-',
        result.reason ?? '-',
        result.remediation ?? '-',
      ]),
    )}`,
  ];
  return `${sections.join('\n\n')}\n`;
}
