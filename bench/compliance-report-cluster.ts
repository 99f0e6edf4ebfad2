// How long `signet report` takes end to end for N resources in scope on the real bed (kube-apiserver + etcd,
// Gatekeeper, the signet provider from the Helm chart, notation-signed images in a real registry): the image-integrity
// initiative assigned with effect Audit, N workloads of every pod-bearing kind (one in three unsigned, so the audit
// counts far more violations than its cap of 20 lists and the report evaluates the rest through the provider),
// then `signet report -o json` run as a user runs it (a fresh `node --import tsx` process: start-up, listings,
// provider evaluation over mTLS, rendering) — once cold (the provider has not been asked by the report) and then
// warm. Writes bench/results/compliance-report-cluster.json and prints a table.
//
//   npx tsx bench/compliance-report-cluster.ts [--resources 1000] [--rounds 3]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadInitiative } from '../provider/commands/assign.js';
import { renderAssignment } from '../provider/compliance/assign/index.js';
import type { ComplianceReport } from '../provider/compliance/report/index.js';
import { startAdmissionBed } from '../test/e2e/admission-bed.js';
import type { KubeObject } from '../test/helpers/gatekeeper.js';
import { issue } from '../test/helpers/pki.js';
import { REPO_ROOT } from '../test/helpers/process.js';
import { runSignetCli } from '../test/helpers/signet-cli.js';
import { POD_BEARING_KINDS as KINDS, workload } from '../test/helpers/workloads.js';

const { values } = parseArgs({
  options: { resources: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '3' } },
});
const resources = Math.max(1, Math.min(5_000, Number(values.resources)));
const rounds = Math.max(1, Math.min(10, Number(values.rounds)));
const ASSIGNMENT = 'integrity';
const NAMESPACES = Array.from({ length: 10 }, (_, i) => `report-bench-${i}`);
const DISTINCT_IMAGES = 30;

const bed = await startAdmissionBed('compliance-report-bench', {
  gatekeeper: { extraArgs: ['--constraint-violations-limit=20'] },
});
try {
  const dir = join(bed.kube.dir, 'compliance-report-bench');
  await mkdir(dir, { recursive: true });
  const client = await issue(dir, bed.gatekeeper.ca, 'signet-report', 'clientAuth');
  const providerCa = join(dir, 'provider-ca.pem');
  await writeFile(providerCa, bed.signet.caPem);

  const images = await Promise.all(
    Array.from({ length: DISTINCT_IMAGES }, (_, i) =>
      i % 3 === 2 ? bed.pushUnsigned('bench/app', `u${i}`) : bed.pushSigned('bench/app', `s${i}`),
    ),
  );
  const rendered = renderAssignment({
    initiative: await loadInitiative('signet-image-integrity-notation'),
    name: ASSIGNMENT,
    parameters: ['effect="Audit"', `namespaces=${JSON.stringify(NAMESPACES)}`],
  });
  const [template, ...constraints] = rendered.objects;
  const constraint = constraints[0] as unknown as KubeObject;
  await bed.gatekeeper.applyTemplate(JSON.stringify(template));
  await bed.gatekeeper.applyConstraint(constraint);
  for (const namespace of NAMESPACES) await bed.createNamespace(namespace);

  const objects = Array.from({ length: resources }, (_, i) => {
    const kind = KINDS[i % KINDS.length] ?? 'Pod';
    const image = images[i % DISTINCT_IMAGES]?.reference ?? '';
    return workload(kind, `w-${i}`, image, NAMESPACES[i % NAMESPACES.length] ?? 'default');
  });
  const createdAt = Date.now();
  // Applied in chunks: one List of 1,000 objects is a large request for the admission webhook's timeout.
  for (let i = 0; i < objects.length; i += 100)
    await bed.admit('create workloads', ['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects.slice(i, i + 100) }),
    });
  const createSeconds = (Date.now() - createdAt) / 1000;
  // An audit that started after the last workload was created (its timestamp is whole seconds).
  const createdBy = Date.now();
  await bed.gatekeeper.waitForConstraintStatus(
    constraint.kind,
    constraint.metadata.name,
    (status) => Date.parse(status.auditTimestamp ?? '') >= createdBy + 1000,
    600_000,
  );

  const args = [
    'report',
    '--assignment',
    ASSIGNMENT,
    '--kubeconfig',
    bed.kube.kubeconfigPath,
    '--provider-url',
    `${bed.signet.provider.url}/ratify/gatekeeper/v1/verify`,
    '--provider-ca',
    providerCa,
    '--client-cert',
    client.cert,
    '--client-key',
    client.key,
    '-o',
    'json',
  ];
  const runs: {
    seconds: number;
    results: number;
    evaluated: number;
    summary: ComplianceReport['summary'];
  }[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const started = performance.now();
    const run = await runSignetCli(args, { timeoutMs: 600_000 });
    const seconds = (performance.now() - started) / 1000;
    if (run.code !== 0) throw new Error(`signet report exited ${run.code}: ${run.stderr}`);
    const report = JSON.parse(run.stdout) as ComplianceReport;
    runs.push({
      seconds,
      results: report.results.length,
      evaluated: report.evaluation.evaluated,
      summary: report.summary,
    });
    process.stdout.write(
      `[report-bench] round ${round + 1}: ${seconds.toFixed(2)} s, ${report.results.length} resources, ${report.evaluation.evaluated} evaluated through the provider, ${report.summary.compliancePercent}% compliant\n`,
    );
  }
  const result = {
    date: new Date().toISOString(),
    resources,
    distinctImages: DISTINCT_IMAGES,
    workloadsCreatedInSeconds: createSeconds,
    rounds: runs,
    medianSeconds: [...runs.map((r) => r.seconds)].sort((a, b) => a - b)[Math.floor(runs.length / 2)],
  };
  const out = join(REPO_ROOT, 'bench', 'results', 'compliance-report-cluster.json');
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `| resources | round | seconds | evaluated |\n|---:|---:|---:|---:|\n${runs.map((r, i) => `| ${r.results} | ${i + 1} | ${r.seconds.toFixed(2)} | ${r.evaluated} |`).join('\n')}\n\nwritten to ${out}\n`,
  );
} finally {
  await bed.stop();
}
