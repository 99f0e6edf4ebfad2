// A real Kubernetes control plane for e2e tests: etcd and kube-apiserver (built by test/tools/setup.sh) on
// 127.0.0.1 random ports, with their own CA, RBAC authorization and service-account token signing. No
// controller manager or scheduler: admission and the API are what the tests exercise, so namespaces are never
// finalized and pods stay Pending. The ServiceAccount admission plugin is off (as in controller-runtime's envtest):
// without the controller manager no namespace gets its `default` ServiceAccount, which that plugin requires of pods.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { logTail, startPeer, waitForPeer, type PeerProcess } from './e2e-process.js';
import { openssl } from './openssl-ca.js';
import { createCa, issue, issueProfileCertificate, type KeyPair } from './pki.js';
import { freePort } from './process.js';
import { toolPath } from './tools.js';

export interface KubectlOptions {
  /** Written to kubectl's standard input (e.g. manifests for `apply -f -`). */
  readonly input?: string;
  /** Another kubeconfig than the admin's (see `kubeconfigForUser`, `kubeconfigForServiceAccount`). */
  readonly kubeconfig?: string;
  /** Default 60 s. */
  readonly timeoutMs?: number;
}

export interface KubectlOutput {
  readonly stdout: string;
  readonly stderr: string;
}

export interface KubectlResult extends KubectlOutput {
  /** kubectl's exit status (0 on success). */
  readonly exitCode: number;
  /** Wall time of the kubectl call, for the admission latency figures of the e2e report. */
  readonly durationMs: number;
}

export interface KubeApiserver {
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  /** Admin kubeconfig (client certificate in group system:masters). */
  readonly kubeconfigPath: string;
  /** PEM of the CA that issued the serving and client certificates. */
  readonly caPem: string;
  readonly caCertPath: string;
  /** The CA's key, for tests that issue more certificates (e.g. webhook serving certificates). */
  readonly ca: KeyPair;
  readonly adminCertPath: string;
  readonly adminKeyPath: string;
  /** Working directory of this control plane (certificates, etcd data, logs). */
  readonly dir: string;
  readonly etcdUrl: string;
  readonly logPaths: { readonly etcd: string; readonly apiserver: string };
  /** The kubectl binary the helpers run (for commands printed to a user). */
  readonly kubectlPath: string;
  /** Runs kubectl; rejects with its exit status, stderr and the apiserver's log tail when it fails. */
  kubectl(args: readonly string[], options?: KubectlOptions): Promise<KubectlOutput>;
  /** Runs kubectl and resolves with its exit status whatever it is (for expected rejections). */
  runKubectl(args: readonly string[], options?: KubectlOptions): Promise<KubectlResult>;
  /** A kubeconfig authenticating with a client certificate as `user` in `groups` (subject to RBAC). */
  kubeconfigForUser(user: string, groups?: readonly string[]): Promise<string>;
  /** A kubeconfig with a TokenRequest token of the ServiceAccount (created when missing), as a pod would use. */
  kubeconfigForServiceAccount(namespace: string, name: string): Promise<string>;
  /** Last lines of the etcd and apiserver logs. */
  logTails(lines?: number): Promise<string>;
  /** Stops and starts kube-apiserver on the same port with the same data (etcd keeps running). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartKubeApiserverOptions {
  /** Extra kube-apiserver flags (`--name=value`), appended last so they override the defaults. */
  readonly extraArgs?: readonly string[];
  /** Default 90 s (a cold start on a loaded 2-core machine takes ~10-20 s). */
  readonly startTimeoutMs?: number;
  /** Keep the working directory after stop (for debugging by hand). */
  readonly keepDir?: boolean;
}

const defaultStartTimeoutMs = 90_000;
const maxKubectlOutput = 16 * 1024 * 1024;

/** A client certificate for `user` in `groups` (the apiserver maps CN → user, O → groups). */
function issueClientCertificate(
  dir: string,
  ca: KeyPair,
  fileName: string,
  user: string,
  groups: readonly string[],
): Promise<KeyPair> {
  return issueProfileCertificate(dir, ca, fileName, {
    commonName: user,
    organizations: groups,
    extendedKeyUsage: ['clientAuth'],
  });
}

type KubeconfigUser =
  | { readonly $case: 'certificate'; readonly pair: KeyPair }
  | { readonly $case: 'token'; readonly token: string };

async function writeKubeconfig(
  path: string,
  server: string,
  caCertPath: string,
  user: KubeconfigUser,
): Promise<void> {
  const credentials =
    user.$case === 'certificate'
      ? { 'client-certificate': user.pair.cert, 'client-key': user.pair.key }
      : { token: user.token };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'signet-e2e', cluster: { server, 'certificate-authority': caCertPath } }],
    users: [{ name: 'user', user: credentials }],
    contexts: [{ name: 'signet-e2e', context: { cluster: 'signet-e2e', user: 'user' } }],
    'current-context': 'signet-e2e',
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
}

/** GET over HTTPS with the admin certificate; resolves with status and body. */
function adminGet(
  url: string,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: 3_000, agent: false, ...tls }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 64 * 1024) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in 3 s`)));
    req.on('error', reject);
    req.end();
  });
}

function runKubectlProcess(
  args: readonly string[],
  kubeconfig: string,
  options: KubectlOptions,
): Promise<KubectlResult> {
  const timeout = options.timeoutMs ?? 60_000;
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      toolPath('kubectl'),
      ['--kubeconfig', kubeconfig, ...args],
      { timeout, maxBuffer: maxKubectlOutput, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const durationMs = performance.now() - started;
        if (error === null) {
          resolve({ exitCode: 0, stdout, stderr, durationMs });
          return;
        }
        const exitCode = typeof error.code === 'number' ? error.code : -1;
        const why = error.killed ? `\n(killed after ${timeout} ms)` : '';
        resolve({ exitCode, stdout, stderr: `${stderr}${why}`, durationMs });
      },
    );
    child.stdin?.end(options.input);
  });
}

export async function startKubeApiserver(options: StartKubeApiserverOptions = {}): Promise<KubeApiserver> {
  const etcdPath = toolPath('etcd');
  const apiserverPath = toolPath('kube-apiserver');
  const kubectlPath = toolPath('kubectl');
  const dir = await mkdtemp(join(tmpdir(), 'signet-kube-'));
  const pkiDir = join(dir, 'pki');
  await mkdir(pkiDir);
  const ca = await createCa(pkiDir, 'kube-ca');
  const serving = await issue(pkiDir, ca, 'kube-apiserver', 'serverAuth');
  const admin = await issueClientCertificate(pkiDir, ca, 'admin', 'signet-e2e-admin', ['system:masters']);
  const serviceAccountKey = join(pkiDir, 'service-account.key');
  const serviceAccountPublicKey = join(pkiDir, 'service-account.pub');
  await openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', serviceAccountKey],
    pkiDir,
  );
  // The verification key file takes public keys (or RSA/SEC1 private keys, not PKCS#8 ones).
  await openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPublicKey], pkiDir);
  const caPem = await readFile(ca.cert, 'utf8');
  const tls = { ca: Buffer.from(caPem), cert: await readFile(admin.cert), key: await readFile(admin.key) };

  const etcdPort = await freePort();
  const etcdPeerPort = await freePort();
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  const logPaths = { etcd: join(dir, 'etcd.log'), apiserver: join(dir, 'kube-apiserver.log') };
  const startTimeoutMs = options.startTimeoutMs ?? defaultStartTimeoutMs;

  const etcd = startPeer({
    name: 'etcd',
    command: etcdPath,
    logPath: logPaths.etcd,
    args: [
      '--name',
      'default',
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      etcdUrl,
      '--advertise-client-urls',
      etcdUrl,
      '--listen-peer-urls',
      etcdPeerUrl,
      '--initial-advertise-peer-urls',
      etcdPeerUrl,
      '--initial-cluster',
      `default=${etcdPeerUrl}`,
      // A throwaway test store: durability is not worth the fsync latency on a shared disk.
      '--unsafe-no-fsync',
      '--log-level',
      'warn',
    ],
  });
  let apiserver: PeerProcess | undefined;
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const apiserverArgs = [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${serving.cert}`,
    `--tls-private-key-file=${serving.key}`,
    `--client-ca-file=${ca.cert}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=${url}`,
    `--service-account-key-file=${serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${serviceAccountKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    '--profiling=false',
    // The `kubernetes` Service endpoints cannot hold a loopback address: do not keep trying to write them.
    '--endpoint-reconciler-type=none',
    ...(options.extraArgs ?? []),
  ];

  const startApiserver = async (): Promise<PeerProcess> => {
    const peer = startPeer({
      name: 'kube-apiserver',
      command: apiserverPath,
      args: apiserverArgs,
      logPath: logPaths.apiserver,
    });
    await waitForPeer(
      peer,
      `${url}/readyz`,
      async () => {
        const { status, body } = await adminGet(`${url}/readyz`, tls);
        if (status === 200) return true;
        throw new Error(
          `readyz HTTP ${status}: ${body
            .split('\n')
            .filter((l) => l.includes('[-]'))
            .join(' ')}`,
        );
      },
      startTimeoutMs,
    );
    return peer;
  };

  const stop = async () => {
    await apiserver?.stop();
    await etcd.stop();
    if (!options.keepDir) await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitForPeer(
      etcd,
      `${etcdUrl}/health`,
      async () => {
        const response = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2_000) });
        const body = (await response.json()) as { health?: string };
        return body.health === 'true';
      },
      startTimeoutMs,
      100,
    );
    apiserver = await startApiserver();
  } catch (error) {
    await stop();
    throw error;
  }

  const kubeconfigPath = join(dir, 'admin.kubeconfig');
  await writeKubeconfig(kubeconfigPath, url, ca.cert, { $case: 'certificate', pair: admin });

  const logTails = async (lines = 30) =>
    `--- etcd (${logPaths.etcd}):\n${await logTail(logPaths.etcd, lines)}\n` +
    `--- kube-apiserver (${logPaths.apiserver}):\n${await logTail(logPaths.apiserver, lines)}`;

  const runKubectl = (args: readonly string[], kubectlOptions: KubectlOptions = {}) =>
    runKubectlProcess(args, kubectlOptions.kubeconfig ?? kubeconfigPath, kubectlOptions);

  const kubectl = async (
    args: readonly string[],
    kubectlOptions: KubectlOptions = {},
  ): Promise<KubectlOutput> => {
    const result = await runKubectl(args, kubectlOptions);
    if (result.exitCode !== 0) {
      throw new Error(
        `kubectl ${args.join(' ')} failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}\n` +
          (await logTails(15)),
      );
    }
    return { stdout: result.stdout, stderr: result.stderr };
  };

  let userCount = 0;
  return {
    url,
    kubeconfigPath,
    caPem,
    caCertPath: ca.cert,
    ca,
    adminCertPath: admin.cert,
    adminKeyPath: admin.key,
    dir,
    etcdUrl,
    logPaths,
    kubectlPath,
    kubectl,
    runKubectl,
    logTails,
    async kubeconfigForUser(user, groups = []) {
      userCount += 1;
      const fileName = `user-${userCount}`;
      const pair = await issueClientCertificate(pkiDir, ca, fileName, user, groups);
      const path = join(dir, `${fileName}.kubeconfig`);
      await writeKubeconfig(path, url, ca.cert, { $case: 'certificate', pair });
      return path;
    },
    async kubeconfigForServiceAccount(namespace, name) {
      await kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace, name } }),
      });
      const { stdout } = await kubectl([
        'create',
        'token',
        name,
        '--namespace',
        namespace,
        '--duration',
        '2h',
      ]);
      const path = join(dir, `sa-${namespace}-${name}.kubeconfig`);
      await writeKubeconfig(path, url, ca.cert, { $case: 'token', token: stdout.trim() });
      return path;
    },
    async restart() {
      await apiserver?.stop();
      apiserver = await startApiserver();
    },
    stop,
  };
}
