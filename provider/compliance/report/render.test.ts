import { compileReportSchema } from '../../../test/helpers/report-schema.js';
import { computeReport } from './compute-report.js';
import { parseConstraint } from './constraints.js';
import { toPolicyReports } from './policy-reports.js';
import { escapeHtml, renderHtml } from './render-html.js';
import { formatTable, renderTable } from './render-table.js';
import type { ComplianceReport } from './report.types.js';

function sampleReport(): ComplianceReport {
  const constraint = parseConstraint({
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind: 'SignetVerification',
    metadata: {
      name: 'integrity-notation',
      labels: { 'signet.dev/assignment': 'integrity' },
      annotations: { 'signet.dev/initiative': 'signet-image-integrity-notation' },
    },
    spec: {
      enforcementAction: 'dryrun',
      match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }], excludedNamespaces: ['kube-system'] },
      parameters: { requiredVerifiers: ['notation'] },
    },
    status: {
      auditTimestamp: '2026-12-01T10:00:00Z',
      totalViolations: 1,
      violations: [
        {
          kind: 'Pod',
          namespace: 'team-a',
          name: 'bad',
          message: 'image verification failed for reg/<script>:1: signature not found',
        },
      ],
    },
  });
  const pod = (namespace: string, name: string, image: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid: name, creationTimestamp: '2026-12-01T09:00:00Z' },
    spec: { containers: [{ name: 'c', image }] },
  });
  return computeReport({
    constraints: [constraint],
    objects: [
      pod('team-a', 'bad', 'reg/<script>:1'),
      pod('team-a', 'good', 'reg/a:1'),
      pod('kube-system', 's', 'x'),
    ],
    now: new Date('2026-12-01T10:00:10Z'),
    staleAfterSeconds: 600,
    mode: 'auto',
  });
}

describe('renderers', () => {
  const report = sampleReport();

  describe('JSON', () => {
    it('fits compliance-report.schema.json', () => {
      const validate = compileReportSchema();
      const valid = validate(JSON.parse(JSON.stringify(report)));
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    });
    it('is refused by the schema when a state is not one of the five', () => {
      const validate = compileReportSchema();
      const broken = JSON.parse(JSON.stringify(report)) as { results: { state: string }[] };
      broken.results[0]!.state = 'Fine';
      expect(validate(broken)).toBe(false);
    });
  });

  describe('table', () => {
    it('aligns columns', () => {
      expect(formatTable(['A', 'BB'], [['xxx', 'y']])).toBe('A    BB\nxxx  y');
    });
    it('shows the summary, the policies and each resource with state, source and reason', () => {
      const text = renderTable(report);
      expect(text).toContain(
        '3 resources: 1 Compliant, 1 NonCompliant, 0 Error, 0 Unknown, 1 Exempt; compliance 50.0%',
      );
      expect(text).toMatch(
        /NonCompliant\s+gatekeeper-audit\s+team-a\s+Pod\/bad\s+integrity-notation\s+reg\/<script>:1\s+notation\s+reg\/<script>:1: signature not found/,
      );
      expect(text).toMatch(/Exempt\s+constraint-scope\s+kube-system\s+Pod\/s/);
    });
  });

  describe('HTML', () => {
    const html = renderHtml(report);
    it('is one self-contained document: no script, no external URL', () => {
      expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
      expect(html.match(/https?:\/\/[^"'\s<]+/g) ?? []).toEqual([
        'http://www.w3.org/2000/svg',
        'http://www.w3.org/2000/svg',
        'http://www.w3.org/2000/svg',
      ]);
    });
    it('escapes what comes from the cluster', () => {
      expect(html).not.toContain('reg/<script>');
      expect(html).toContain(escapeHtml('reg/<script>:1'));
    });
    it('draws three labelled charts, each with a title, a description and a table beside it', () => {
      for (const id of ['chart-by-assignment', 'chart-by-namespace', 'chart-reasons']) {
        expect(html).toContain(
          `<svg id="${id}" class="chart" role="img" aria-labelledby="${id}-title ${id}-desc"`,
        );
        expect(html).toContain(`<title id="${id}-title">`);
      }
      expect(html.match(/<figure>.*?<\/figure><table>/gs)).toHaveLength(3);
      expect(html).toContain('data-state="Compliant"');
      expect(html).toContain('data-state="NonCompliant"');
    });
  });

  describe('PolicyReports', () => {
    it('one per assignment and namespace; pass, fail and skip with the image, reason and summary', () => {
      const reports = toPolicyReports(report);
      expect(reports.map((r) => [r.kind, r.metadata.namespace, r.metadata.name])).toEqual([
        ['PolicyReport', 'kube-system', 'signet-integrity'],
        ['PolicyReport', 'team-a', 'signet-integrity'],
      ]);
      const teamA = reports[1]!;
      expect(teamA.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'signet',
        'signet.dev/assignment': 'integrity',
      });
      expect(teamA.summary).toEqual({ pass: 1, fail: 1, warn: 0, error: 0, skip: 0 });
      expect(teamA.results).toEqual([
        expect.objectContaining({
          source: 'signet',
          policy: 'integrity-notation',
          result: 'fail',
          message: 'reg/<script>:1: signature not found',
          timestamp: { seconds: Date.parse('2026-12-01T10:00:10Z') / 1000, nanos: 0 },
          resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'bad', namespace: 'team-a', uid: 'bad' }],
          properties: expect.objectContaining({ images: 'reg/<script>:1', state: 'NonCompliant' }) as unknown,
        }),
        expect.objectContaining({ result: 'pass' }),
      ]);
      expect(reports[0]!.results).toEqual([expect.objectContaining({ result: 'skip' })]);
    });
  });
});
