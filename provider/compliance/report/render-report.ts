// `signet report -o <format>`: the report as the chosen format writes it.
import { renderHtml } from './render-html.js';
import { renderTable } from './render-table.js';
import type { ComplianceReport } from './report.types.js';

export type ReportFormat = 'table' | 'json' | 'html';

export function renderReport(report: ComplianceReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'html':
      return renderHtml(report);
    case 'table':
      return renderTable(report);
  }
}
