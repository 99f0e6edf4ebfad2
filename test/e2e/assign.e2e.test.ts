// `signet assign` / `unassign` / `assignments` against a real cluster (issue 11, item 2): the CLI run from source as
// a user runs it, with the bed's admin kubeconfig, assigns constraints/initiatives/signet-image-integrity-notation
// by server-side apply; Gatekeeper then judges pods with signet (chart wiring) and notation-signed images. Each
// assignment is scoped to its own namespace, so the cases judge only their own pods.
import type { PushedManifest } from '../helpers/images.js';
import { runSignetCli, type CliRun } from '../helpers/signet-cli.js';
import { startAdmissionBed, type AdmissionBed } from './admission-bed.js';

const INITIATIVE = 'constraints/initiatives/signet-image-integrity-notation.json';
const DENIED = 'admission webhook "validation.gatekeeper.sh" denied the request:';
const RECORD_NAMESPACE = 'gatekeeper-system';
/** Constraints are named `<assignment>-<reference id in kebab case>`. */
const constraintOf = (assignment: string) => `${assignment}-image-integrity-notation-verification`;
const CLI_TIMEOUT_MS = 240_000;

let bed: AdmissionBed;
let signed: PushedManifest;
let unsigned: PushedManifest;

interface Listed {
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid: string;
    readonly generation?: number;
    readonly labels?: Record<string, string>;
    readonly managedFields?: readonly { readonly manager?: string }[];
  };
  readonly spec?: { readonly enforcementAction?: string };
}

/** `signet <args> --kubeconfig <admin>`; fails with its output unless it exits 0. */
async function signet(args: readonly string[], kubeconfig = bed.kube.kubeconfigPath): Promise<CliRun> {
  return runSignetCli([...args, '--kubeconfig', kubeconfig], { timeoutMs: CLI_TIMEOUT_MS });
}

async function assign(name: string, namespace: string, effect: string): Promise<CliRun> {
  const run = await signet([
    'assign',
    INITIATIVE,
    '--name',
    name,
    '--namespaces',
    namespace,
    '--param',
    `effect=${effect}`,
  ]);
  if (run.code !== 0) throw new Error(`signet assign exited ${run.code}: ${run.stderr}${run.stdout}`);
  return run;
}

async function getJson<T>(args: readonly string[]): Promise<T> {
  return JSON.parse(
    (await bed.kube.kubectl(['get', ...args, '-o', 'json', '--show-managed-fields'])).stdout,
  ) as T;
}

/** Every object of every kind signet assign writes (templates, all constraint kinds, ConfigMaps) with `selector`. */
async function labelled(selector: string): Promise<string[]> {
  const kinds = (
    await bed.kube.kubectl(['api-resources', '--api-group=constraints.gatekeeper.sh', '-o', 'name'])
  ).stdout
    .split('\n')
    .filter((line) => line !== '');
  const resources = ['constrainttemplates.templates.gatekeeper.sh', 'configmaps', ...kinds].join(',');
  const { items } = await getJson<{ items: Listed[] }>([resources, '-A', '-l', selector]);
  return items.map((item) => `${item.kind}/${item.metadata.name}`).sort();
}

function runPod(scenario: string, pod: string, image: string, namespace: string) {
  return bed.admit(scenario, ['run', pod, `--image=${image}`, '-n', namespace]);
}

/**
 * Gatekeeper drops a deleted constraint from its webhook once its informer sees the deletion; the server-side
 * dry run asks the webhook until it admits the image (bounded), so the real run that follows is not a race.
 */
async function untilAdmitted(image: string, namespace: string): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    const result = await bed.kube.runKubectl([
      'run',
      'probe',
      `--image=${image}`,
      '-n',
      namespace,
      '--dry-run=server',
    ]);
    if (result.exitCode === 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${image} still refused in ${namespace}`);
}

beforeAll(async () => {
  bed = await startAdmissionBed('assign');
  [signed, unsigned] = await Promise.all([
    bed.pushSigned('assign/app', 'signed'),
    bed.pushUnsigned('assign/app', 'unsigned'),
  ]);
  await Promise.all([bed.createNamespace('assign-a'), bed.createNamespace('assign-b')]);
}, 600_000);

afterAll(async () => {
  await bed?.stop();
}, 120_000);

describe('signet assign on a cluster', () => {
  let auditUid: string;

  it('effect=Audit: applies the template, a dryrun constraint and the record, all labelled; an unsigned pod is admitted', () =>
    bed.explain(async () => {
      const run = await assign('e2e-a', 'assign-a', 'Audit');
      expect(run.stdout.split('\n').filter((line) => line !== '')).toEqual([
        `configmap/signet-assignment-e2e-a serverside-applied`,
        'constrainttemplate.templates.gatekeeper.sh/signetverification serverside-applied',
        `signetverification.constraints.gatekeeper.sh/${constraintOf('e2e-a')} serverside-applied`,
      ]);
      expect(await labelled('assignment.signet.dev/e2e-a')).toEqual([
        'ConfigMap/signet-assignment-e2e-a',
        'ConstraintTemplate/signetverification',
        `SignetVerification/${constraintOf('e2e-a')}`,
      ]);
      const constraint = await getJson<Listed>(['signetverification', constraintOf('e2e-a')]);
      expect(constraint.spec?.enforcementAction).toBe('dryrun');
      expect(constraint.metadata.labels).toEqual(
        expect.objectContaining({ 'signet.dev/assignment': 'e2e-a', 'assignment.signet.dev/e2e-a': '' }),
      );
      auditUid = constraint.metadata.uid;

      const result = await runPod(
        'assign Audit: unsigned image',
        'audit-unsigned',
        unsigned.reference,
        'assign-a',
      );
      expect(result.stdout.trim()).toBe('pod/audit-unsigned created');
    }));

  it('effect=Deny: updates the constraint in place; unsigned refused with the seed wording, signed created', () =>
    bed.explain(async () => {
      await assign('e2e-a', 'assign-a', 'Deny');
      const constraint = await getJson<Listed>(['signetverification', constraintOf('e2e-a')]);
      expect(constraint.spec?.enforcementAction).toBe('deny');
      expect(constraint.metadata.uid).toBe(auditUid);

      const refused = await runPod(
        'assign Deny: unsigned image',
        'deny-unsigned',
        unsigned.reference,
        'assign-a',
      );
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr.trim()).toBe(
        `Error from server (Forbidden): ${DENIED} [${constraintOf('e2e-a')}] image verification failed for ${unsigned.reference}: signature not found`,
      );
      const created = await runPod('assign Deny: signed image', 'deny-signed', signed.reference, 'assign-a');
      expect(created.stderr).toBe('');
      expect(created.stdout.trim()).toBe('pod/deny-signed created');
    }));

  it('a second assignment shares the template: it carries both claims', () =>
    bed.explain(async () => {
      await assign('e2e-b', 'assign-b', 'Deny');
      const template = await getJson<Listed>(['constrainttemplate', 'signetverification']);
      expect(template.metadata.labels).toEqual(
        expect.objectContaining({ 'assignment.signet.dev/e2e-a': '', 'assignment.signet.dev/e2e-b': '' }),
      );
      const managers = (template.metadata.managedFields ?? []).map((entry) => entry.manager);
      expect(managers).toEqual(expect.arrayContaining(['signet-assign/e2e-a', 'signet-assign/e2e-b']));
    }));

  it('signet assignments lists both: initiative, effects, parameters, audit counts and compliance', () =>
    bed.explain(async () => {
      // The unsigned pod admitted under Audit is the one violation of e2e-a once Gatekeeper's audit has run.
      await bed.gatekeeper.waitForConstraintStatus(
        'SignetVerification',
        constraintOf('e2e-a'),
        (status) => status.totalViolations === 1,
      );
      const run = await signet(['assignments', '-o', 'json']);
      expect(run.stderr).toBe('');
      const listed = JSON.parse(run.stdout) as Array<{
        name: string;
        initiative: string;
        effects: Record<string, string>;
        parameters: Record<string, unknown>;
        constraints: Array<{ name: string; enforcementAction?: string; totalViolations?: number }>;
        totalViolations?: number;
        compliance: { total: number; compliant: number; nonCompliant: number } | null;
      }>;
      expect(listed.map(({ name, initiative, effects }) => ({ name, initiative, effects }))).toEqual(
        ['e2e-a', 'e2e-b'].map((name) => ({
          name,
          initiative: 'signet-image-integrity-notation',
          effects: { imageIntegrityNotationVerification: 'Deny' },
        })),
      );
      const [a, b] = listed;
      expect(b?.parameters).toEqual(expect.objectContaining({ effect: 'Deny', namespaces: ['assign-b'] }));
      expect(a?.constraints).toEqual([
        expect.objectContaining({
          name: constraintOf('e2e-a'),
          enforcementAction: 'deny',
          totalViolations: 1,
        }),
      ]);
      expect(a?.totalViolations).toBe(1);
      // signet report's module, from the audit alone: the admitted unsigned pod is NonCompliant.
      expect(a?.compliance).toEqual(expect.objectContaining({ nonCompliant: 1 }));

      const table = await signet(['assignments']);
      expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+INITIATIVE\s+EFFECTS/);
      expect(table.stdout).toContain('imageIntegrityNotationVerification=Deny');
    }));

  it('effect=Disabled: the constraint is deleted, the shared template kept; unsigned admitted again', () =>
    bed.explain(async () => {
      const run = await assign('e2e-a', 'assign-a', 'Disabled');
      expect(run.stdout).toContain(
        `signetverification.constraints.gatekeeper.sh/${constraintOf('e2e-a')} deleted`,
      );
      expect(run.stdout).toContain(
        'constrainttemplate.templates.gatekeeper.sh/signetverification kept (assignment e2e-b uses it); released by e2e-a',
      );
      const gone = await bed.kube.runKubectl(['get', 'signetverification', constraintOf('e2e-a')]);
      expect(gone.stderr).toContain('NotFound');
      expect(await labelled('assignment.signet.dev/e2e-a')).toEqual(['ConfigMap/signet-assignment-e2e-a']);

      await untilAdmitted(unsigned.reference, 'assign-a');
      const result = await runPod(
        'assign Disabled: unsigned image',
        'disabled-unsigned',
        unsigned.reference,
        'assign-a',
      );
      expect(result.stdout.trim()).toBe('pod/disabled-unsigned created');
    }));

  it('unassign leaves nothing of e2e-a behind; e2e-b is untouched and still enforced', () =>
    bed.explain(async () => {
      const before = await getJson<Listed>(['signetverification', constraintOf('e2e-b')]);
      const run = await signet(['unassign', 'e2e-a']);
      expect(run.code).toBe(0);
      expect(await labelled('assignment.signet.dev/e2e-a')).toEqual([]);
      const template = await getJson<Listed>(['constrainttemplate', 'signetverification']);
      expect(Object.keys(template.metadata.labels ?? {})).not.toContain('assignment.signet.dev/e2e-a');
      expect((template.metadata.managedFields ?? []).map((entry) => entry.manager)).not.toContain(
        'signet-assign/e2e-a',
      );

      const after = await getJson<Listed>(['signetverification', constraintOf('e2e-b')]);
      // Its spec untouched (Gatekeeper's audit rewrites its status, and with it the resourceVersion, every 5 s).
      expect([after.metadata.uid, after.metadata.generation]).toEqual([
        before.metadata.uid,
        before.metadata.generation,
      ]);
      expect(await labelled('assignment.signet.dev/e2e-b')).toEqual([
        'ConfigMap/signet-assignment-e2e-b',
        'ConstraintTemplate/signetverification',
        `SignetVerification/${constraintOf('e2e-b')}`,
      ]);
      const refused = await runPod('unassign a: unsigned in b', 'b-unsigned', unsigned.reference, 'assign-b');
      expect(refused.stderr.trim()).toBe(
        `Error from server (Forbidden): ${DENIED} [${constraintOf('e2e-b')}] image verification failed for ${unsigned.reference}: signature not found`,
      );

      const again = await signet(['unassign', 'e2e-a']);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('no assignment e2e-a in the cluster');
    }));

  it('unassigning the last user deletes the template too', () =>
    bed.explain(async () => {
      const run = await signet(['unassign', 'e2e-b']);
      expect(run.code).toBe(0);
      expect(await labelled('assignment.signet.dev/e2e-b')).toEqual([]);
      const { items } = await getJson<{ items: Listed[] }>([
        'constrainttemplates',
        '-l',
        'assignment.signet.dev',
      ]);
      expect(items).toEqual([]);
      const records = await getJson<{ items: Listed[] }>([
        'configmaps',
        '-n',
        RECORD_NAMESPACE,
        '-l',
        'signet.dev/assignment',
      ]);
      expect(records.items).toEqual([]);
    }));
});

describe('signet assign errors on a cluster', () => {
  it('RBAC forbidden: names the verb and the resource', () =>
    bed.explain(async () => {
      const kubeconfig = await bed.kube.kubeconfigForUser('assign-viewer');
      const run = await signet(
        ['assign', INITIATIVE, '--name', 'e2e-rbac', '--namespaces', 'assign-a'],
        kubeconfig,
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('CLUSTER_FORBIDDEN');
      expect(run.stderr).toMatch(/RBAC forbids list [a-z.]+/);
      expect(run.stderr).toContain('User "assign-viewer" cannot list resource');
    }));

  it('unknown initiative: refused before any cluster call', async () => {
    const run = await signet(['assign', 'no-such-initiative', '--name', 'e2e-x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no-such-initiative.json');
  });
});
