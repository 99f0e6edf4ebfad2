// `signet report -o html`: one self-contained page (inline CSS, inline SVG charts drawn here, no script, no
// fetch of any kind) a person opens and reads. Every chart is an <svg role="img"> with a <title> and <desc>,
// text labels on its bars, and a table beside it with the same numbers, so it reads without colour or sight.
import { formatPercent, tallyCells } from './tally-cells.js';
import type { ComplianceReport, ComplianceState, Tally } from './report.types.js';

const STATE_COLOURS: Readonly<Record<ComplianceState, string>> = {
  Compliant: '#2e7d32',
  NonCompliant: '#c62828',
  Error: '#ef6c00',
  Unknown: '#757575',
  Exempt: '#90a4ae',
};

const TALLY_PARTS: readonly { readonly state: ComplianceState; readonly field: keyof Tally }[] = [
  { state: 'Compliant', field: 'compliant' },
  { state: 'NonCompliant', field: 'nonCompliant' },
  { state: 'Error', field: 'error' },
  { state: 'Unknown', field: 'unknown' },
  { state: 'Exempt', field: 'exempt' },
];

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function percent(value: number | null): string {
  return formatPercent(value, 'n/a');
}

const CHART_WIDTH = 640;
const LABEL_WIDTH = 200;
const BAR_HEIGHT = 22;
const ROW_GAP = 10;
const RIGHT_LABEL = 70;

interface TallyRow extends Tally {
  readonly label: string;
}

/** Horizontal stacked bars of each row's states (share of its resources), its compliance % at the end. */
function stackedChart(id: string, title: string, rows: readonly TallyRow[]): string {
  const barWidth = CHART_WIDTH - LABEL_WIDTH - RIGHT_LABEL;
  const height = Math.max(1, rows.length) * (BAR_HEIGHT + ROW_GAP) + 30;
  const bars = rows
    .map((row, index) => {
      const y = index * (BAR_HEIGHT + ROW_GAP);
      let x = LABEL_WIDTH;
      const segments = TALLY_PARTS.map(({ state, field }) => {
        const count = row[field] as number;
        if (count === 0 || row.total === 0) return '';
        const width = (count / row.total) * barWidth;
        const segment = `<rect class="bar" data-state="${state}" x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${STATE_COLOURS[state]}"><title>${escapeHtml(`${row.label}: ${count} ${state}`)}</title></rect>`;
        x += width;
        return segment;
      }).join('');
      return (
        `<g class="row"><text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT / 2 + 5}" text-anchor="end">${escapeHtml(row.label)}</text>${segments}` +
        `<text x="${LABEL_WIDTH + barWidth + 8}" y="${y + BAR_HEIGHT / 2 + 5}">${percent(row.compliancePercent)}</text></g>`
      );
    })
    .join('');
  const legendY = height - 12;
  const legend = TALLY_PARTS.map(
    ({ state }, index) =>
      `<rect x="${LABEL_WIDTH + index * 104}" y="${legendY - 10}" width="12" height="12" fill="${STATE_COLOURS[state]}"/><text x="${LABEL_WIDTH + index * 104 + 16}" y="${legendY}">${state}</text>`,
  ).join('');
  const desc = rows
    .map(
      (row) =>
        `${row.label}: ${percent(row.compliancePercent)} compliant (${row.compliant} of ${row.compliant + row.nonCompliant + row.error} judged)`,
    )
    .join('; ');
  return (
    `<svg id="${id}" class="chart" role="img" aria-labelledby="${id}-title ${id}-desc" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${escapeHtml(title)}</title><desc id="${id}-desc">${escapeHtml(desc || 'no resources')}</desc>${bars}${legend}</svg>`
  );
}

/** Horizontal bars of counts (failure reasons), labelled with the count. */
function countChart(id: string, title: string, rows: readonly { label: string; count: number }[]): string {
  const barWidth = CHART_WIDTH - LABEL_WIDTH - RIGHT_LABEL;
  const max = Math.max(1, ...rows.map((row) => row.count));
  const height = Math.max(1, rows.length) * (BAR_HEIGHT + ROW_GAP);
  const short = (text: string) => (text.length > 30 ? `${text.slice(0, 29)}…` : text);
  const bars = rows
    .map((row, index) => {
      const y = index * (BAR_HEIGHT + ROW_GAP);
      const width = (row.count / max) * barWidth;
      return (
        `<g class="row"><text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT / 2 + 5}" text-anchor="end">${escapeHtml(short(row.label))}<title>${escapeHtml(row.label)}</title></text>` +
        `<rect class="bar" x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${STATE_COLOURS.NonCompliant}"><title>${escapeHtml(`${row.label}: ${row.count}`)}</title></rect>` +
        `<text x="${LABEL_WIDTH + width + 8}" y="${y + BAR_HEIGHT / 2 + 5}">${row.count}</text></g>`
      );
    })
    .join('');
  const desc = rows.map((row) => `${row.label}: ${row.count}`).join('; ');
  return (
    `<svg id="${id}" class="chart" role="img" aria-labelledby="${id}-title ${id}-desc" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${escapeHtml(title)}</title><desc id="${id}-desc">${escapeHtml(desc || 'no failures')}</desc>${bars}</svg>`
  );
}

function table(caption: string, header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = header.map((cell) => `<th scope="col">${escapeHtml(cell)}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${row.map((cell, index) => (index === 0 ? `<th scope="row">${escapeHtml(cell)}</th>` : `<td>${escapeHtml(cell)}</td>`)).join('')}</tr>`,
    )
    .join('');
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const TALLY_HEADER = ['Resources', 'Compliant', 'NonCompliant', 'Error', 'Unknown', 'Exempt', 'Compliance'];

function section(id: string, heading: string, chart: string, data: string): string {
  return `<section aria-labelledby="${id}-heading"><h2 id="${id}-heading">${escapeHtml(heading)}</h2><div class="pair"><figure>${chart}</figure>${data}</div></section>`;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b1b1b;background:#fff}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem}
.meta{color:#444;margin:0 0 1rem}.pair{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
figure{margin:0}svg.chart{font-size:12px;fill:#1b1b1b;max-width:100%;height:auto}
table{border-collapse:collapse;font-size:.85rem}caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}thead th{background:#f0f0f0}
.state{font-weight:600;padding:.05rem .4rem;border-radius:.25rem;color:#fff}
.summary{font-size:1.1rem}.stale{color:#b71c1c;font-weight:600}
`;

function stateBadge(state: ComplianceState): string {
  return `<span class="state" style="background:${STATE_COLOURS[state]}">${state}</span>`;
}

export function renderHtml(report: ComplianceReport): string {
  const { summary } = report;
  const title = `signet compliance report${report.assignment === undefined ? '' : `: ${report.assignment}`}`;
  const assignments = report.byAssignment.map((a) => ({ ...a, label: a.assignment }));
  const namespaces = report.byNamespace.map((n) => ({ ...n, label: n.namespace }));
  const reasons = report.topReasons.map((r) => ({ label: r.reason, count: r.count }));
  const policies = table(
    'Policies and their audits',
    ['Policy', 'Assignment', 'Action', 'Audit', 'Age (s)', 'Listed / total violations', ...TALLY_HEADER],
    report.byPolicy.map((p) => [
      `${p.constraintKind}/${p.policy}`,
      p.assignment,
      p.enforcementAction,
      p.auditTimestamp ?? 'never',
      `${p.auditAgeSeconds ?? '-'}${p.stale ? ' (stale)' : ''}`,
      `${p.listedViolations} / ${p.totalViolations}${p.truncated ? ' (truncated: completed by signet)' : ''}`,
      ...tallyCells(p, 'n/a'),
    ]),
  );
  const resourceRows = report.results
    .map(
      (r) =>
        `<tr><td>${stateBadge(r.state)}</td><td>${escapeHtml(r.source)}</td><td>${escapeHtml(r.resource.namespace)}</td><th scope="row">${escapeHtml(`${r.resource.kind}/${r.resource.name}`)}</th>` +
        `<td>${escapeHtml(r.policy)}</td><td>${escapeHtml(r.images.map((i) => i.image).join(', '))}</td><td>${escapeHtml(r.verifiers.join(', '))}</td>` +
        `<td>${escapeHtml(r.reason ?? '')}</td><td>${escapeHtml(r.remediation ?? '')}</td></tr>`,
    )
    .join('');
  const stale = report.byPolicy.filter((p) => p.stale).length;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Generated ${escapeHtml(report.generatedAt)}; schema ${escapeHtml(report.schemaVersion)}; signet evaluated ${report.evaluation.evaluated} results itself (mode ${report.evaluation.mode}).${stale > 0 ? ` <span class="stale">${stale} policy audit(s) older than ${report.staleAfterSeconds} s or missing.</span>` : ''}</p>
<p class="summary" id="summary">${summary.total} resources: ${summary.compliant} Compliant, ${summary.nonCompliant} NonCompliant, ${summary.error} Error, ${summary.unknown} Unknown, ${summary.exempt} Exempt. Compliance <strong>${percent(summary.compliancePercent)}</strong>.</p>
${section(
  'by-assignment',
  'Compliance by assignment',
  stackedChart('chart-by-assignment', 'Compliance by assignment', assignments),
  table(
    'Compliance by assignment',
    ['Assignment', ...TALLY_HEADER],
    report.byAssignment.map((a) => [a.assignment, ...tallyCells(a, 'n/a')]),
  ),
)}
${section(
  'by-namespace',
  'Compliance by namespace',
  stackedChart('chart-by-namespace', 'Compliance by namespace', namespaces),
  table(
    'Compliance by namespace',
    ['Namespace', ...TALLY_HEADER],
    report.byNamespace.map((n) => [n.namespace, ...tallyCells(n, 'n/a')]),
  ),
)}
${section(
  'reasons',
  'Failure reasons',
  countChart('chart-reasons', 'Failure reasons (images NonCompliant or Error)', reasons),
  table(
    'Failure reasons',
    ['Reason', 'Count'],
    report.topReasons.map((r) => [r.reason, String(r.count)]),
  ),
)}
<section aria-labelledby="images-heading"><h2 id="images-heading">Top failing images</h2>${table(
    'Top failing images',
    ['Image', 'Count', 'Reasons'],
    report.topFailingImages.map((i) => [i.image, String(i.count), i.reasons.join('; ')]),
  )}</section>
<section aria-labelledby="policies-heading"><h2 id="policies-heading">Policies</h2>${policies}</section>
<section aria-labelledby="resources-heading"><h2 id="resources-heading">Resources</h2>
<table id="resources"><caption>Every resource in scope, per policy</caption><thead><tr><th scope="col">State</th><th scope="col">Source</th><th scope="col">Namespace</th><th scope="col">Resource</th><th scope="col">Policy</th><th scope="col">Images</th><th scope="col">Verifier</th><th scope="col">Reason</th><th scope="col">Remediation</th></tr></thead><tbody>${resourceRows}</tbody></table></section>
</main></body></html>
`;
}
