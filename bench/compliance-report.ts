// How long `signet report` spends on its own work for 1,000 resources in scope: computing the states (a truncated
// audit, so every unlisted resource is judged from signet's answers), the summaries, and the table, JSON and HTML
// renderings, plus the PolicyReports. The cluster reads and the provider calls are not in this figure (they are
// the apiserver's and the provider's time; the e2e test runs them for real).
//
//   npx tsx bench/compliance-report.ts [--resources 1000] [--rounds 5]
import { parseArgs } from 'node:util';
import {
  computeReport,
  parseConstraint,
  renderHtml,
  renderTable,
  toPolicyReports,
  type KeyAnswer,
} from '../provider/compliance/report/index.js';

const { values } = parseArgs({
  options: { resources: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' } },
});
const resources = Math.min(100_000, Number(values.resources));
const rounds = Math.min(100, Number(values.rounds));
const KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'];
const namespaces = Array.from({ length: 20 }, (_, i) => `team-${i}`);

const imageOf = (i: number) => `reg.example/app-${i % 50}:v${i % 3}`;
const objects = Array.from({ length: resources }, (_, i) => {
  const kind = KINDS[i % KINDS.length] ?? 'Pod';
  const podSpec = { containers: [{ name: 'c', image: imageOf(i) }] };
  const spec =
    kind === 'Pod'
      ? podSpec
      : kind === 'CronJob'
        ? { jobTemplate: { spec: { template: { spec: podSpec } } } }
        : { template: { spec: podSpec } };
  return {
    apiVersion: 'v1',
    kind,
    metadata: {
      name: `w-${i}`,
      namespace: namespaces[i % namespaces.length],
      creationTimestamp: '2026-12-01T09:00:00Z',
    },
    spec,
  };
});
const constraint = parseConstraint({
  apiVersion: 'constraints.gatekeeper.sh/v1beta1',
  kind: 'SignetVerification',
  metadata: { name: 'integrity-notation', labels: { 'signet.dev/assignment': 'integrity' } },
  spec: { enforcementAction: 'dryrun', match: {}, parameters: { requiredVerifiers: ['notation'] } },
  status: {
    auditTimestamp: '2026-12-01T10:00:00Z',
    totalViolations: Math.floor(resources / 3),
    violations: objects.slice(0, 20).map((o, i) => ({
      kind: o.kind,
      namespace: o.metadata.namespace,
      name: o.metadata.name,
      message: `image verification failed for ${imageOf(i)}: signature not found`,
    })),
  },
});
const answers = new Map<string, KeyAnswer>(
  Array.from({ length: 150 }, (_, i) => [
    `reg.example/app-${i % 50}:v${Math.floor(i / 50)}`,
    i % 3 === 0
      ? {
          $case: 'result',
          isSuccess: false,
          reports: [{ name: 'notation', isSuccess: false, message: 'signature not found' }],
        }
      : { $case: 'result', isSuccess: true, reports: [{ name: 'notation', isSuccess: true }] },
  ]),
);

const timings: number[] = [];
let bytes = 0;
for (let round = 0; round < rounds; round += 1) {
  const started = performance.now();
  const report = computeReport({
    constraints: [constraint],
    objects,
    now: new Date('2026-12-01T10:01:00Z'),
    staleAfterSeconds: 600,
    mode: 'auto',
    answers,
  });
  const outputs = [
    renderTable(report),
    JSON.stringify(report),
    renderHtml(report),
    JSON.stringify(toPolicyReports(report)),
  ];
  timings.push(performance.now() - started);
  bytes = outputs.reduce((sum, text) => sum + text.length, 0);
  if (report.results.length !== resources)
    throw new Error(`expected ${resources} results, got ${report.results.length}`);
}
timings.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    resources,
    rounds,
    medianMs: Math.round(timings[Math.floor(timings.length / 2)] ?? 0),
    maxMs: Math.round(timings[timings.length - 1] ?? 0),
    outputBytes: bytes,
  }),
);
