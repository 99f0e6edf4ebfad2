// `signet report` on the real bed: the image-integrity initiative assigned with effect Audit (rendered by
// renderAssignment, applied as `signet assign` renders it) over workloads of every pod-bearing kind — signed,
// unsigned (more than Gatekeeper's --constraint-violations-limit of 20, so the audit lists fewer than it counts and
// signet completes the picture through the provider's verify endpoint over mTLS), exempt by namespace, image and
// label, and in an unreachable registry. After an audit that saw them all, the report (run as a user runs it) gives
// exactly the expected state per resource and the expected percentages in table, JSON (schema-valid) and HTML; the
// HTML is rendered by headless Chromium and its charts measured; the PolicyReports are applied and read back, and
// a deleted workload's result disappears from them on the next write.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { loadInitiative } from '../../provider/commands/assign.js';
import { renderAssignment } from '../../provider/compliance/assign/index.js';
import type { ComplianceReport } from '../../provider/compliance/report/index.js';
import { pngSize, renderInChromium } from '../helpers/chromium.js';
import { goModuleDir, type KubeObject } from '../helpers/gatekeeper.js';
import { issue } from '../helpers/pki.js';
import { REPO_ROOT, startProvider, type StartedProvider } from '../helpers/process.js';
import { compileReportSchema } from '../helpers/report-schema.js';
import { runSignetCli } from '../helpers/signet-cli.js';
import { POD_BEARING_KINDS as KINDS, workload as workloadIn } from '../helpers/workloads.js';
import { startAdmissionBed, type AdmissionBed } from './admission-bed.js';

const ASSIGNMENT = 'integrity';
const NAMESPACE = 'compliance';
const EXCLUDED_NAMESPACE = 'compliance-excluded';
/** Gatekeeper's default --constraint-violations-limit; the bed sets 50, this suite sets it back. */
const VIOLATIONS_LIMIT = 20;
const UNSIGNED_PODS = 22;
const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts');

let bed: AdmissionBed;
let dir: string;
let providerArgs: string[];
let constraintKind: string;
let constraintName: string;
const expected = new Map<string, string>();

function versionOf(name: string): string {
  const versions = readFileSync(join(REPO_ROOT, 'test', 'tools', 'versions.env'), 'utf8');
  const version = new RegExp(`^${name}=(\\S+)$`, 'm').exec(versions)?.[1];
  if (version === undefined) throw new Error(`test/tools/versions.env has no ${name}`);
  return version;
}

const workload = (
  kind: string,
  name: string,
  image: string,
  namespace = NAMESPACE,
  labels: Record<string, string> = {},
) => workloadIn(kind, name, image, namespace, labels);

async function report(args: readonly string[]) {
  const run = await runSignetCli(
    ['report', '--assignment', ASSIGNMENT, '--kubeconfig', bed.kube.kubeconfigPath, ...providerArgs, ...args],
    { timeoutMs: 240_000 },
  );
  if (run.code !== 0) throw new Error(`signet report exited ${run.code}: ${run.stderr}`);
  return run;
}

beforeAll(async () => {
  bed = await startAdmissionBed('compliance-report', {
    gatekeeper: { extraArgs: [`--constraint-violations-limit=${VIOLATIONS_LIMIT}`] },
  });
  dir = join(bed.kube.dir, 'compliance-report');
  await mkdir(dir, { recursive: true });
  await mkdir(ARTIFACTS, { recursive: true });

  // The wg-policy CRDs, from Kyverno's module (versions.env), as Kyverno ships them.
  const kyverno = await goModuleDir('github.com/kyverno/kyverno', versionOf('KYVERNO_VERSION'));
  const crds = await Promise.all(
    ['wgpolicyk8s.io_policyreports.yaml', 'wgpolicyk8s.io_clusterpolicyreports.yaml'].map((file) =>
      readFile(join(kyverno, 'config', 'crds', 'policyreport', file), 'utf8'),
    ),
  );
  await bed.kube.kubectl(['apply', '--server-side', '-f', '-'], {
    input: crds.map((c) => `---\n${c}`).join('\n'),
  });
  await bed.kube.kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/policyreports.wgpolicyk8s.io',
    'crd/clusterpolicyreports.wgpolicyk8s.io',
  ]);

  // The report's client certificate, from the CA the provider trusts for Gatekeeper (its --client-ca).
  const client = await issue(dir, bed.gatekeeper.ca, 'signet-report', 'clientAuth');
  const providerCa = join(dir, 'provider-ca.pem');
  await writeFile(providerCa, bed.signet.caPem);
  providerArgs = [
    '--provider-url',
    `${bed.signet.provider.url}/ratify/gatekeeper/v1/verify`,
    '--provider-ca',
    providerCa,
    '--client-cert',
    client.cert,
    '--client-key',
    client.key,
  ];

  const [signed, unsigned, excluded] = await Promise.all([
    bed.pushSigned('compliance/app', 'signed'),
    bed.pushUnsigned('compliance/app', 'unsigned'),
    bed.pushUnsigned('compliance/excluded', 'v1'),
  ]);
  const unreachable = '127.0.0.1:1/compliance/app:v1';

  const rendered = renderAssignment({
    initiative: await loadInitiative('signet-image-integrity-notation'),
    name: ASSIGNMENT,
    parameters: [
      'effect="Audit"',
      `namespaces=${JSON.stringify([NAMESPACE, EXCLUDED_NAMESPACE])}`,
      `excludedNamespaces=${JSON.stringify([EXCLUDED_NAMESPACE])}`,
      `excludedImages=${JSON.stringify([`${bed.registry.host}/compliance/excluded:*`])}`,
      `labelSelector=${JSON.stringify({ matchExpressions: [{ key: 'signet.dev/exempt', operator: 'DoesNotExist' }] })}`,
    ],
  });
  const [template, ...constraints] = rendered.objects;
  const constraint = constraints[0] as unknown as KubeObject;
  expect(constraints).toHaveLength(1);
  expect((constraint.spec as { enforcementAction?: string }).enforcementAction).toBe('dryrun');
  constraintKind = constraint.kind;
  constraintName = constraint.metadata.name;
  await bed.gatekeeper.applyTemplate(JSON.stringify(template));
  await bed.gatekeeper.applyConstraint(constraint);
  await bed.createNamespace(NAMESPACE);
  await bed.createNamespace(EXCLUDED_NAMESPACE);

  const objects: object[] = [];
  const add = (object: ReturnType<typeof workload>, state: string) => {
    objects.push(object);
    expected.set(`${object.metadata.namespace}/${object.kind}/${object.metadata.name}`, state);
  };
  for (const kind of KINDS)
    add(workload(kind, `signed-${kind.toLowerCase()}`, signed.reference), 'Compliant');
  for (let i = 0; i < UNSIGNED_PODS; i += 1)
    add(workload('Pod', `unsigned-${i}`, unsigned.reference), 'NonCompliant');
  for (const kind of ['Deployment', 'CronJob', 'StatefulSet'])
    add(workload(kind, `unsigned-${kind.toLowerCase()}`, unsigned.reference), 'NonCompliant');
  add(workload('Pod', 'unreachable', unreachable), 'Error');
  add(workload('Pod', 'excluded-image', excluded.reference), 'Exempt');
  add(
    workload('Deployment', 'labelled', unsigned.reference, NAMESPACE, { 'signet.dev/exempt': 'true' }),
    'Exempt',
  );
  add(workload('Pod', 'excluded-namespace', unsigned.reference, EXCLUDED_NAMESPACE), 'Exempt');
  // Audit effect: every one is admitted (Gatekeeper answers dryrun violations with no denial).
  await bed.admit('create workloads', ['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });

  // An audit that started after the last workload was created (timestamps are whole seconds).
  const created = JSON.parse(
    (
      await bed.kube.kubectl([
        'get',
        'pods,replicationcontrollers,deployments,replicasets,statefulsets,daemonsets,jobs,cronjobs',
        '-A',
        '-o',
        'json',
      ])
    ).stdout,
  ) as { items: { metadata: { creationTimestamp: string } }[] };
  const lastCreated = Math.max(...created.items.map((item) => Date.parse(item.metadata.creationTimestamp)));
  await bed.gatekeeper.waitForConstraintStatus(
    constraintKind,
    constraintName,
    (status) =>
      Date.parse(status.auditTimestamp ?? '') > lastCreated &&
      (status.totalViolations ?? 0) > VIOLATIONS_LIMIT,
    120_000,
  );
}, 900_000);

afterAll(async () => {
  await bed?.stop();
}, 120_000);

const key = (r: ComplianceReport['results'][number]) =>
  `${r.resource.namespace}/${r.resource.kind}/${r.resource.name}`;

describe('signet report', () => {
  let json: ComplianceReport;

  it('JSON: exactly the expected state per resource, its source, and the percentages; schema-valid', () =>
    bed.explain(async () => {
      const run = await report(['-o', 'json']);
      const parsed: unknown = JSON.parse(run.stdout);
      const validate = compileReportSchema();
      expect(validate(parsed) ? [] : validate.errors).toEqual([]);
      json = parsed as ComplianceReport;
      expect(new Map(json.results.map((r) => [key(r), r.state]))).toEqual(expected);

      const [policy] = json.byPolicy;
      expect(policy).toMatchObject({
        assignment: ASSIGNMENT,
        policy: constraintName,
        enforcementAction: 'dryrun',
        listedViolations: VIOLATIONS_LIMIT,
        truncated: true,
        stale: false,
      });
      expect(policy!.totalViolations).toBeGreaterThan(VIOLATIONS_LIMIT);
      // Gatekeeper listed 20 violations; the other non-compliant workloads were found by signet itself.
      const nonCompliant = json.results.filter((r) => r.state === 'NonCompliant');
      const bySource = (source: string) => nonCompliant.filter((r) => r.source === source).length;
      expect(bySource('gatekeeper-audit')).toBeGreaterThan(0);
      expect(bySource('signet-evaluation')).toBeGreaterThanOrEqual(25 - VIOLATIONS_LIMIT);
      expect(bySource('gatekeeper-audit') + bySource('signet-evaluation')).toBe(25);
      expect(json.evaluation.evaluated).toBeGreaterThan(0);
      for (const result of nonCompliant)
        expect(result).toMatchObject({
          reason: expect.stringContaining('signature not found') as unknown,
          verifiers: ['notation'],
        });
      expect(json.results.find((r) => r.resource.name === 'unreachable')?.reason).toMatch(
        /REGISTRY_UNAVAILABLE|system error|no result/,
      );
      expect(json.results.find((r) => r.resource.name === 'labelled')?.reason).toContain('labelSelector');
      expect(json.results.find((r) => r.resource.name === 'excluded-image')?.reason).toContain(
        'excludedImages',
      );
      expect(json.results.find((r) => r.resource.name === 'excluded-namespace')?.reason).toContain(
        'excludedNamespaces',
      );

      // 8 Compliant, 25 NonCompliant, 1 Error → 8 / 34.
      const tally = {
        total: 37,
        compliant: 8,
        nonCompliant: 25,
        error: 1,
        unknown: 0,
        exempt: 3,
        compliancePercent: 23.5,
      };
      expect(json.summary).toEqual(tally);
      expect(json.byAssignment).toEqual([
        { assignment: ASSIGNMENT, initiative: 'signet-image-integrity-notation', ...tally },
      ]);
      expect(json.byNamespace).toEqual([
        { namespace: NAMESPACE, ...tally, total: 36, exempt: 2 },
        {
          namespace: EXCLUDED_NAMESPACE,
          total: 1,
          compliant: 0,
          nonCompliant: 0,
          error: 0,
          unknown: 0,
          exempt: 1,
          compliancePercent: null,
        },
      ]);
      expect(json.topFailingImages[0]).toMatchObject({ count: 25, reasons: ['signature not found'] });
      expect(json.topReasons[0]).toEqual({ reason: 'signature not found', count: 25 });
    }));

  it('table: the summary line and a row per resource', () =>
    bed.explain(async () => {
      const { stdout } = await report(['-o', 'table']);
      expect(stdout).toContain(
        '37 resources: 8 Compliant, 25 NonCompliant, 1 Error, 0 Unknown, 3 Exempt; compliance 23.5%',
      );
      for (const [name, state] of expected) {
        const [namespace, kind, resource] = name.split('/');
        expect(stdout).toMatch(
          new RegExp(`^${state}\\s+\\S+\\s+${namespace}\\s+${kind}/${resource}\\s`, 'm'),
        );
      }
      expect(stdout).toMatch(/truncated/);
    }));

  it('HTML: one self-contained file whose charts Chromium draws', () =>
    bed.explain(async () => {
      const htmlPath = join(ARTIFACTS, 'compliance-report.html');
      await report(['-o', 'html', '--out', htmlPath]);
      const html = await readFile(htmlPath, 'utf8');
      expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
      const page = await renderInChromium<string>(
        htmlPath,
        `JSON.stringify({
          title: document.title,
          summary: document.getElementById('summary').textContent,
          charts: [...document.querySelectorAll('svg.chart')].map((svg) => ({
            id: svg.id,
            label: svg.querySelector('title').textContent,
            width: svg.getBoundingClientRect().width,
            height: svg.getBoundingClientRect().height,
            bars: [...svg.querySelectorAll('rect.bar')].map((bar) => ({
              state: bar.dataset.state ?? null,
              width: bar.getBoundingClientRect().width,
              height: bar.getBoundingClientRect().height,
            })),
            tableBeside: svg.closest('figure').nextElementSibling.tagName,
          })),
          resourceRows: document.querySelectorAll('#resources tbody tr').length,
        })`,
        { screenshotPath: join(ARTIFACTS, 'compliance-report.png') },
      );
      const rendered = JSON.parse(page.value) as {
        title: string;
        summary: string;
        charts: {
          id: string;
          label: string;
          width: number;
          height: number;
          bars: { state: string | null; width: number; height: number }[];
          tableBeside: string;
        }[];
        resourceRows: number;
      };
      expect(rendered.title).toBe(`signet compliance report: ${ASSIGNMENT}`);
      expect(rendered.summary).toContain('Compliance 23.5%');
      expect(rendered.resourceRows).toBe(expected.size);
      expect(rendered.charts.map((c) => c.id)).toEqual([
        'chart-by-assignment',
        'chart-by-namespace',
        'chart-reasons',
      ]);
      for (const chart of rendered.charts) {
        expect(chart.width).toBeGreaterThan(300);
        expect(chart.height).toBeGreaterThan(20);
        expect(chart.tableBeside).toBe('TABLE');
        expect(chart.bars.length).toBeGreaterThan(0);
        for (const bar of chart.bars) {
          expect(bar.width).toBeGreaterThan(0);
          expect(bar.height).toBeGreaterThan(0);
        }
      }
      // The assignment's bar: its segments' widths in the proportions of the states (8 : 25 : 1 : 3 of 37).
      const assignmentBars = rendered.charts[0]!.bars;
      const width = (state: string) => assignmentBars.find((b) => b.state === state)?.width ?? 0;
      expect(width('NonCompliant') / width('Compliant')).toBeCloseTo(25 / 8, 1);
      expect(width('Exempt') / width('Error')).toBeCloseTo(3, 1);
      const { width: pngWidth, height: pngHeight } = pngSize(page.screenshot);
      expect(pngWidth).toBeGreaterThanOrEqual(1280);
      expect(pngHeight).toBeGreaterThan(900);
    }));

  it('PolicyReports: applied per namespace, read back with kubectl, stale results replaced', () =>
    bed.explain(async () => {
      const run = await report(['-o', 'json', '--write-policy-reports']);
      expect(run.stderr).toContain('applied 2 policy reports');
      const read = async (namespace: string) =>
        JSON.parse(
          (
            await bed.kube.kubectl([
              'get',
              'policyreport',
              `signet-${ASSIGNMENT}`,
              '-n',
              namespace,
              '-o',
              'json',
            ])
          ).stdout,
        ) as {
          metadata: { labels: Record<string, string> };
          summary: Record<string, number>;
          results: {
            source: string;
            result: string;
            policy: string;
            resources: { name: string }[];
            properties: Record<string, string>;
          }[];
        };
      const main = await read(NAMESPACE);
      expect(main.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'signet',
        'signet.dev/assignment': ASSIGNMENT,
      });
      expect(main.summary).toEqual({ pass: 8, fail: 25, warn: 0, error: 1, skip: 2 });
      expect(main.results).toHaveLength(36);
      expect(new Set(main.results.map((r) => r.source))).toEqual(new Set(['signet']));
      const unsigned = main.results.find((r) => r.resources[0]?.name === 'unsigned-0');
      expect(unsigned).toMatchObject({ result: 'fail', policy: constraintName });
      expect(unsigned?.properties.images).toContain('compliance/app:unsigned');
      expect((await read(EXCLUDED_NAMESPACE)).summary).toEqual({
        pass: 0,
        fail: 0,
        warn: 0,
        error: 0,
        skip: 1,
      });

      // A workload deleted: the next write replaces the results without it (the audit still lists it).
      await bed.kube.kubectl(['delete', 'pod', 'unsigned-0', '-n', NAMESPACE, '--wait=false']);
      await report(['-o', 'json', '--write-policy-reports']);
      const after = await read(NAMESPACE);
      expect(after.summary).toEqual({ pass: 8, fail: 24, warn: 0, error: 1, skip: 2 });
      expect(after.results.some((r) => r.resources[0]?.name === 'unsigned-0')).toBe(false);
    }));

  it('serve: of two replicas the Lease holder writes the PolicyReports and exports the gauges; the other takes over', () =>
    bed.explain(async () => {
      const leaseName = 'signet-compliance-e2e';
      // The bed's configuration file (the chart's --config), so the replicas judge images as the provider does.
      const config = /^--config=(.+)$/.exec(
        bed.signet.expectedArgv.find((arg) => arg.startsWith('--config=')) ?? '',
      )?.[1];
      expect(config).toBeDefined();
      const replica = (name: string) =>
        startProvider(
          [
            '--insecure-http',
            '--host',
            '127.0.0.1',
            `--config=${config}`,
            '--compliance-report-interval=2',
            '--compliance-lease-duration=3',
            `--compliance-lease-name=${leaseName}`,
            `--compliance-lease-namespace=${NAMESPACE}`,
          ],
          { KUBECONFIG: bed.kube.kubeconfigPath, POD_NAME: name },
        );
      const gauge = async (provider: StartedProvider) => {
        const text = await (
          await fetch(new URL('/metrics', provider.metricsUrl), { signal: AbortSignal.timeout(5_000) })
        ).text();
        const line = text
          .split('\n')
          .find((l) =>
            l.startsWith(`signet_compliance_resources{assignment="${ASSIGNMENT}",state="NonCompliant"}`),
          );
        return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
      };
      const outputs: StartedProvider[] = [];
      /** Polls until `probe` holds (the gauge appears only after a report round of the leader). */
      const until = async (what: string, probe: () => Promise<boolean>) => {
        for (const deadline = Date.now() + 60_000; Date.now() < deadline; await delay(250))
          if (await probe()) return;
        const logs = outputs.map((p) => `--- ${p.argv.join(' ')}\n${p.output().slice(-3_000)}`).join('\n');
        throw new Error(`not reached in 60 s: ${what}\n${logs}`);
      };
      const holder = async () =>
        (
          JSON.parse(
            (await bed.kube.kubectl(['get', 'lease', leaseName, '-n', NAMESPACE, '-o', 'json'])).stdout,
          ) as {
            spec: { holderIdentity?: string; leaseTransitions?: number };
          }
        ).spec;
      const a = await replica('replica-a');
      const b = await replica('replica-b');
      outputs.push(a, b);
      const replicas = new Map([
        ['replica-a', a],
        ['replica-b', b],
      ]);
      try {
        await bed.kube.kubectl([
          'wait',
          `lease/${leaseName}`,
          '-n',
          NAMESPACE,
          '--for=create',
          '--timeout=60s',
        ]);
        const first = (await holder()).holderIdentity ?? '';
        const leader = replicas.get(first);
        const follower = first === 'replica-a' ? b : a;
        expect(leader).toBeDefined();
        await until(
          'the leader exports signet_compliance_resources',
          async () => (await gauge(leader!)) === 24,
        );
        expect(await gauge(follower)).toBeUndefined();
        await leader!.stop();
        // The leader released the Lease on SIGTERM: the follower takes over and reports.
        await until('the follower holds the Lease', async () => (await holder()).holderIdentity !== first);
        await until('the new leader exports the gauge', async () => (await gauge(follower)) === 24);
        expect((await holder()).leaseTransitions).toBeGreaterThanOrEqual(1);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    }));
});
