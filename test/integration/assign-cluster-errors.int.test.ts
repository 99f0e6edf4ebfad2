// `signet assign` / `unassign` / `assignments` where no assignment can happen, run as a user runs the CLI: a
// real kube-apiserver (etcd + kube-apiserver of the e2e bed, no Gatekeeper) and a kubeconfig naming a closed port.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeApiserver, type KubeApiserver } from '../helpers/kube-apiserver.js';
import { freePort } from '../helpers/process.js';
import { runSignetCli } from '../helpers/signet-cli.js';

const INITIATIVE = 'signet-image-integrity-notation';
/** Each run starts the CLI from source (tsx), which takes tens of seconds on a loaded 2-core machine. */
const CLI = { timeoutMs: 180_000 };
const TEST_TIMEOUT_MS = 200_000;

let kube: KubeApiserver;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-assign-errors-'));
  kube = await startKubeApiserver();
}, 180_000);

afterAll(async () => {
  await kube?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('signet assign without Gatekeeper', () => {
  it.each([['assign', INITIATIVE, '--name', 'team-a'], ['unassign', 'team-a'], ['assignments']])(
    'signet %s … → GATEKEEPER_NOT_INSTALLED (exit 2)',
    async (...args) => {
      const run = await runSignetCli([...args, '--kubeconfig', kube.kubeconfigPath], CLI);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('GATEKEEPER_NOT_INSTALLED');
      expect(run.stderr).toContain(
        `the cluster at ${kube.url} has no ConstraintTemplate CRD (API group templates.gatekeeper.sh is not served)`,
      );
    },
    TEST_TIMEOUT_MS,
  );
});

describe('signet assign with no cluster reachable', () => {
  it(
    'names the API server and the connection error (exit 1: worth retrying)',
    async () => {
      const closed = `https://127.0.0.1:${await freePort()}`;
      const kubeconfig = join(dir, 'closed.kubeconfig');
      // The admin kubeconfig pointed at a port nothing listens on.
      await writeFile(kubeconfig, (await readFile(kube.kubeconfigPath, 'utf8')).replaceAll(kube.url, closed));
      const run = await runSignetCli(
        ['assign', INITIATIVE, '--name', 'team-a', '--kubeconfig', kubeconfig],
        CLI,
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('CLUSTER_UNREACHABLE');
      expect(run.stderr).toContain(`cannot reach the Kubernetes API server ${closed}`);
      expect(run.stderr).toContain('ECONNREFUSED');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a kubeconfig that does not exist is named',
    async () => {
      const missing = join(dir, 'missing.kubeconfig');
      const run = await runSignetCli(['assignments', '--kubeconfig', missing], CLI);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`cannot load the kubeconfig ${missing}`);
    },
    TEST_TIMEOUT_MS,
  );
});
