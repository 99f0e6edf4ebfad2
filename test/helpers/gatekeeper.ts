// The real Gatekeeper controller manager (built by test/tools/setup.sh) run out of cluster against the e2e
// kube-apiserver, installed from Gatekeeper's own release manifest (deploy/gatekeeper.yaml in its Go module,
// read at test time): its CRDs, namespace, ServiceAccount and RBAC (Gatekeeper runs with its shipped
// ClusterRole, through a ServiceAccount token), and its webhook configurations pointed at the process by URL.
// Gatekeeper's certificate serves the webhook and is its client certificate towards external data providers,
// so it carries serverAuth and clientAuth; cert rotation is off (the certificate is ours).
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { logTail, startPeer, waitForPeer, type PeerProcess } from './e2e-process.js';
import type { KubeApiserver } from './kube-apiserver.js';
import { toProviderResource } from '../../provider/server/provider-cr.js';
import { createCa, issue, issueProfileCertificate, type KeyPair } from './pki.js';
import { freePort, REPO_ROOT, startProvider, type StartedProvider } from './process.js';
import { toolPath } from './tools.js';

const execFileAsync = promisify(execFile);

export const GATEKEEPER_NAMESPACE = 'gatekeeper-system';
const serviceAccount = 'gatekeeper-admin';
const podName = 'gatekeeper-e2e';

export interface StartGatekeeperOptions {
  /** `--audit-interval` in seconds (default 5; Gatekeeper's default is 60). */
  readonly auditIntervalSeconds?: number;
  /** `--external-data-provider-response-cache-ttl` (default `3s`; Gatekeeper's default is `3m`). */
  readonly responseCacheTtl?: string;
  /** `timeoutSeconds` of the validating webhook (default 10: above the Provider timeouts the tests use). */
  readonly validatingTimeoutSeconds?: number;
  /** `timeoutSeconds` of the mutating webhook (default 10). */
  readonly mutatingTimeoutSeconds?: number;
  readonly extraArgs?: readonly string[];
  /** Default 120 s. */
  readonly startTimeoutMs?: number;
}

export interface Gatekeeper {
  /** `https://127.0.0.1:PORT` of the webhook server (`/v1/admit`, `/v1/mutate`). */
  readonly webhookUrl: string;
  /** Gatekeeper's Prometheus endpoint. */
  readonly metricsUrl: string;
  /** CA of Gatekeeper's certificate: what signet's `--client-ca` trusts. */
  readonly ca: KeyPair;
  /** The status id of this Gatekeeper (its pod name). */
  readonly podName: string;
  readonly logPath: string;
  logTail(lines?: number): Promise<string>;
  /** Applies a ConstraintTemplate and waits until Gatekeeper created its constraint CRD. */
  applyTemplate(yamlText: string): Promise<void>;
  /** Applies a constraint and waits until this Gatekeeper enforces it. */
  applyConstraint(constraint: KubeObject): Promise<void>;
  /** Applies an external data Provider and waits until Gatekeeper has it in its provider cache. */
  applyProvider(provider: KubeObject): Promise<void>;
  /** Applies a mutator (Assign, AssignMetadata, ...) and waits until this Gatekeeper enforces it. */
  applyMutator(mutator: KubeObject): Promise<void>;
  /** Polls the constraint's status until `accept` holds; fails naming the last status seen. */
  waitForConstraintStatus(
    kind: string,
    name: string,
    accept: (status: ConstraintStatus) => boolean,
    timeoutMs?: number,
  ): Promise<ConstraintStatus>;
  /** `sum` and `count` of a Gatekeeper histogram (e.g. `gatekeeper_validation_request_duration_seconds`). */
  histogram(name: string): Promise<{ sum: number; count: number }>;
  stop(): Promise<void>;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string } & Record<string, unknown>;
  readonly [field: string]: unknown;
}

export interface AuditViolation {
  readonly enforcementAction?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly message?: string;
}

export interface ConstraintStatus {
  readonly auditTimestamp?: string;
  readonly totalViolations?: number;
  readonly violations?: readonly AuditViolation[];
  readonly byPod?: readonly { readonly id?: string; readonly enforced?: boolean }[];
}

/** A Go module's directory in the module cache (`go mod download`, through the module proxy when missing). */
export async function goModuleDir(module: string, version: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', `${module}@${version}`], {
      cwd: REPO_ROOT,
      timeout: 300_000,
      encoding: 'utf8',
    });
    const { Dir } = JSON.parse(stdout) as { Dir?: string };
    if (Dir === undefined) throw new Error(`go mod download printed no Dir: ${stdout}`);
    return Dir;
  } catch (error) {
    throw new Error(
      `the e2e tests read files of the Go module ${module}@${version}; \`go mod download\` failed: ` +
        (error instanceof Error ? error.message : String(error)),
    );
  }
}

/** Gatekeeper's module (the version test/tools/setup.sh builds). */
async function gatekeeperModuleDir(): Promise<string> {
  const versions = await readFile(join(REPO_ROOT, 'test', 'tools', 'versions.env'), 'utf8');
  const version = /^GATEKEEPER_VERSION=(\S+)$/m.exec(versions)?.[1];
  if (version === undefined) throw new Error('test/tools/versions.env has no GATEKEEPER_VERSION');
  return goModuleDir('github.com/open-policy-agent/gatekeeper/v3', version);
}

function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null) return false;
  const object = value as { kind?: unknown; metadata?: { name?: unknown } };
  return typeof object.kind === 'string' && typeof object.metadata?.name === 'string';
}

/** The documents of Gatekeeper's release manifest, as objects. */
async function releaseManifest(): Promise<KubeObject[]> {
  const path = join(await gatekeeperModuleDir(), 'deploy', 'gatekeeper.yaml');
  const documents = parseAllDocuments(await readFile(path, 'utf8'));
  const objects: KubeObject[] = [];
  for (const document of documents) {
    if (document.errors.length > 0)
      throw new Error(`${path}: ${document.errors[0]?.message ?? 'YAML error'}`);
    const value: unknown = document.toJS();
    if (isKubeObject(value)) objects.push(value);
  }
  return objects;
}

const installedKinds = new Set([
  'CustomResourceDefinition',
  'Namespace',
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
]);

interface WebhookEntry {
  name?: string;
  clientConfig?: { service?: { path?: string }; url?: string; caBundle?: string };
  timeoutSeconds?: number;
}

/** The release's webhook configuration with each webhook called by URL on this process, trusting its CA. */
function toLocalWebhookConfiguration(
  configuration: KubeObject,
  webhookUrl: string,
  caPem: string,
  timeoutSeconds: number,
): KubeObject {
  const webhooks = (configuration.webhooks as WebhookEntry[] | undefined) ?? [];
  return {
    ...configuration,
    webhooks: webhooks.map((webhook) => {
      const path = webhook.clientConfig?.service?.path;
      if (path === undefined)
        throw new Error(`webhook ${webhook.name ?? '?'} of the release has no service path`);
      return {
        ...webhook,
        clientConfig: { url: `${webhookUrl}${path}`, caBundle: Buffer.from(caPem).toString('base64') },
        timeoutSeconds,
      };
    }),
  };
}

/** GET `url` over HTTPS trusting `ca`; resolves with the status (any TLS or socket error rejects). */
function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca, timeout: 2_000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in 2 s`)));
    req.on('error', reject);
    req.end();
  });
}

function parseHistogram(text: string, name: string): { sum: number; count: number } {
  const total = (suffix: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name}${suffix}{`) || line.startsWith(`${name}${suffix} `))
      .reduce((acc, line) => acc + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return { sum: total('_sum'), count: total('_count') };
}

export async function startGatekeeper(
  kube: KubeApiserver,
  options: StartGatekeeperOptions = {},
): Promise<Gatekeeper> {
  const binary = toolPath('gatekeeper');
  const dir = join(kube.dir, 'gatekeeper');
  const certDir = join(dir, 'certs');
  await mkdir(certDir, { recursive: true });
  await mkdir(join(dir, 'audit'));
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const manifest = await releaseManifest();

  // JSON, not YAML: kubectl reads YAML 1.1, where an unquoted `yes` (Gatekeeper's labels) is a boolean.
  const apply = (objects: readonly KubeObject[]) =>
    kube.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    });

  await apply(manifest.filter((o) => installedKinds.has(o.kind)));
  await kube.kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd',
    '-l',
    'gatekeeper.sh/system=yes',
  ]);
  // Gatekeeper reads its own Pod (owner of its status objects): the release's controller-manager pod template
  // (so it passes the namespace's `restricted` Pod Security level); without a scheduler it stays Pending.
  const releaseDeployment = manifest.find(
    (o) => o.kind === 'Deployment' && o.metadata.name === 'gatekeeper-controller-manager',
  );
  const podTemplate = (
    releaseDeployment?.spec as { template?: { metadata?: object; spec?: object } } | undefined
  )?.template;
  if (podTemplate?.spec === undefined)
    throw new Error("Gatekeeper's release manifest has no gatekeeper-controller-manager pod template");
  await apply([
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...podTemplate.metadata, name: podName, namespace: GATEKEEPER_NAMESPACE },
      spec: podTemplate.spec,
    },
  ]);
  const kubeconfig = await kube.kubeconfigForServiceAccount(GATEKEEPER_NAMESPACE, serviceAccount);

  const ca = await createCa(certDir, 'gatekeeper-ca');
  // tls.crt / tls.key: the names Gatekeeper reads from its cert dir, for its webhook and as provider client cert.
  await issueProfileCertificate(certDir, ca, 'tls', {
    commonName: 'gatekeeper-webhook-service.gatekeeper-system.svc',
    extendedKeyUsage: ['serverAuth', 'clientAuth'],
    loopbackNames: true,
  });
  const caPem = await readFile(ca.cert, 'utf8');

  const port = await freePort();
  const healthPort = await freePort();
  const prometheusPort = await freePort();
  const webhookUrl = `https://127.0.0.1:${port}`;
  const metricsUrl = `http://127.0.0.1:${prometheusPort}/metrics`;
  const logPath = join(dir, 'gatekeeper.log');
  const peer: PeerProcess = startPeer({
    name: 'gatekeeper',
    command: binary,
    logPath,
    cwd: dir,
    env: {
      KUBECONFIG: kubeconfig,
      POD_NAMESPACE: GATEKEEPER_NAMESPACE,
      POD_NAME: podName,
      NAMESPACE: GATEKEEPER_NAMESPACE,
    },
    args: [
      `--kubeconfig=${kubeconfig}`,
      '--host=127.0.0.1',
      `--port=${port}`,
      `--cert-dir=${certDir}`,
      '--disable-cert-rotation',
      `--health-addr=127.0.0.1:${healthPort}`,
      // Gatekeeper's Prometheus exporter has no address flag: it listens on every interface, on a random port.
      `--prometheus-port=${prometheusPort}`,
      '--operation=webhook',
      '--operation=audit',
      '--operation=status',
      '--operation=mutation-webhook',
      '--operation=mutation-status',
      '--operation=mutation-controller',
      // generate: the operation that creates each template's constraint CRD (the audit pod's job upstream).
      '--operation=generate',
      `--audit-interval=${options.auditIntervalSeconds ?? 5}`,
      '--constraint-violations-limit=50',
      `--api-cache-dir=${join(dir, 'audit')}`,
      `--external-data-provider-response-cache-ttl=${options.responseCacheTtl ?? '3s'}`,
      `--exempt-namespace=${GATEKEEPER_NAMESPACE}`,
      '--disable-opa-builtin={http.send}',
      '--log-denies',
      '--shutdown-delay=0',
      ...(options.extraArgs ?? []),
    ],
  });
  const failWith = async (message: string): Promise<never> => {
    throw new Error(
      `${message}\n--- gatekeeper (${logPath}):\n${await logTail(logPath)}\n${await kube.logTails(10)}`,
    );
  };

  /** Polls a resource until `accept` holds for it; the failure names the last state seen. */
  const waitForResource = async <T>(
    args: readonly string[],
    what: string,
    accept: (resource: T) => boolean,
    timeoutMs: number,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let last = 'not read yet';
    while (Date.now() < deadline) {
      if (peer.exited()) await failWith(`gatekeeper exited while waiting for ${what}`);
      const result = await kube.runKubectl([...args, '-o', 'json']);
      if (result.exitCode === 0) {
        const resource = JSON.parse(result.stdout) as T;
        if (accept(resource)) return resource;
        last = JSON.stringify((resource as { status?: unknown }).status ?? resource).slice(0, 2_000);
      } else {
        last = result.stderr.trim();
      }
      await sleep(250);
    }
    return failWith(`${what} not reached after ${timeoutMs} ms; last state: ${last}`);
  };
  const enforcedHere = (resource: { status?: ConstraintStatus }) =>
    (resource.status?.byPod ?? []).some((pod) => pod.id === podName && pod.enforced === true);

  try {
    await waitForPeer(
      peer,
      'readiness (/readyz)',
      async () => {
        const response = await fetch(`http://127.0.0.1:${healthPort}/readyz`, {
          signal: AbortSignal.timeout(2_000),
        });
        if (response.ok) return true;
        throw new Error(`readyz HTTP ${response.status}`);
      },
      startTimeoutMs,
    );
    await waitForPeer(
      peer,
      `its webhook server at ${webhookUrl}`,
      async () => (await httpsStatus(`${webhookUrl}/`, caPem)) > 0,
      startTimeoutMs,
    );
    const release = (kind: string) => {
      const found = manifest.find((o) => o.kind === kind);
      if (found === undefined) throw new Error(`Gatekeeper's release manifest has no ${kind}`);
      return found;
    };
    await apply([
      toLocalWebhookConfiguration(
        release('ValidatingWebhookConfiguration'),
        webhookUrl,
        caPem,
        options.validatingTimeoutSeconds ?? 10,
      ),
      toLocalWebhookConfiguration(
        release('MutatingWebhookConfiguration'),
        webhookUrl,
        caPem,
        options.mutatingTimeoutSeconds ?? 10,
      ),
    ]);
    // The webhook path works once Gatekeeper's label check answers for a namespace it does not exempt.
    const probe = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'gatekeeper-probe', labels: { 'admission.gatekeeper.sh/ignore': 'yes' } },
    });
    await waitForPeer(
      peer,
      'the apiserver calling its webhook',
      async () => {
        const result = await kube.runKubectl(['create', '--dry-run=server', '-f', '-'], { input: probe });
        if (result.stderr.includes('admission.gatekeeper.sh/ignore')) return true;
        throw new Error(
          `namespace probe: exit ${result.exitCode} ${result.stderr.trim() || result.stdout.trim()}`,
        );
      },
      startTimeoutMs,
      250,
    );
  } catch (error) {
    await peer.stop();
    throw error;
  }

  return {
    webhookUrl,
    metricsUrl,
    ca,
    podName,
    logPath,
    logTail: (lines = 40) => logTail(logPath, lines),
    async applyTemplate(yamlText) {
      const template = parseAllDocuments(yamlText)[0]?.toJS() as unknown;
      if (!isKubeObject(template)) throw new Error('applyTemplate: the text is not a Kubernetes object');
      await kube.kubectl(['apply', '-f', '-'], { input: yamlText });
      // On a loaded machine Gatekeeper's retry backoff for "no matches for kind" (its constraint CRD not yet
      // served) can outgrow the wait; touching the template makes it reconcile again at once.
      for (let attempt = 1; ; attempt += 1) {
        try {
          await waitForResource<{ status?: { created?: boolean } }>(
            ['get', 'constrainttemplate', template.metadata.name],
            `ConstraintTemplate ${template.metadata.name} created`,
            (resource) => resource.status?.created === true,
            20_000,
          );
          break;
        } catch (error) {
          if (attempt === 4) throw error;
          await kube.kubectl([
            'annotate',
            '--overwrite',
            'constrainttemplate',
            template.metadata.name,
            `signet.test/reconcile=${attempt}`,
          ]);
        }
      }
      await kube.kubectl([
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        `crd/${template.metadata.name}.constraints.gatekeeper.sh`,
      ]);
    },
    async applyConstraint(constraint) {
      await apply([constraint]);
      await waitForResource(
        ['get', `${constraint.kind.toLowerCase()}.constraints.gatekeeper.sh`, constraint.metadata.name],
        `${constraint.kind} ${constraint.metadata.name} enforced by ${podName}`,
        enforcedHere,
        60_000,
      );
    },
    async applyProvider(provider) {
      await apply([provider]);
      await waitForResource<{
        status?: { byPod?: readonly { id?: string; active?: boolean; errors?: unknown[] }[] };
      }>(
        ['get', 'providers.externaldata.gatekeeper.sh', provider.metadata.name],
        `Provider ${provider.metadata.name} active in ${podName}`,
        (resource) => (resource.status?.byPod ?? []).some((pod) => pod.id === podName && pod.active === true),
        60_000,
      );
    },
    async applyMutator(mutator) {
      await apply([mutator]);
      await waitForResource(
        ['get', `${mutator.kind.toLowerCase()}.mutations.gatekeeper.sh`, mutator.metadata.name],
        `${mutator.kind} ${mutator.metadata.name} enforced by ${podName}`,
        enforcedHere,
        60_000,
      );
    },
    async waitForConstraintStatus(kind, name, accept, timeoutMs = 60_000) {
      const resource = await waitForResource<{ status?: ConstraintStatus }>(
        ['get', `${kind.toLowerCase()}.constraints.gatekeeper.sh`, name],
        `status of ${kind} ${name}`,
        (r) => accept(r.status ?? {}),
        timeoutMs,
      );
      return resource.status ?? {};
    },
    async histogram(name) {
      const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
      return parseHistogram(await response.text(), name);
    },
    stop: () => peer.stop(),
  };
}

export interface SignetForGatekeeper {
  readonly provider: StartedProvider;
  /** CA of signet's serving certificate (the Provider `caBundle`). */
  readonly caPem: string;
  /** A Provider resource for signet's `verify` or `mutate` endpoint. */
  providerResource(name: string, endpoint: 'verify' | 'mutate', timeoutSeconds: number): KubeObject;
  /** A Provider resource named `name` for any other HTTPS URL, trusting signet's CA (for unreachable providers). */
  providerResourceAt(name: string, url: string, timeoutSeconds: number): KubeObject;
  stop(): Promise<void>;
}

export interface StartSignetForGatekeeperOptions {
  /** Ratify config resources file for `signet serve --config`; omitted with `--config-source` in `extraArgs`. */
  readonly configPath?: string;
  /** Where signet's serving certificate is written. */
  readonly dir: string;
  readonly extraArgs?: readonly string[];
  /** Environment added to the test process's (e.g. a kubeconfig, Azure Workload Identity's variables). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `signet serve` as Gatekeeper's provider: HTTPS on 127.0.0.1 with its own serving CA, mutual TLS requiring
 * Gatekeeper's client certificate.
 */
export async function startSignetForGatekeeper(
  gatekeeper: Pick<Gatekeeper, 'ca'>,
  options: StartSignetForGatekeeperOptions,
): Promise<SignetForGatekeeper> {
  await mkdir(options.dir, { recursive: true });
  const ca = await createCa(options.dir, 'signet-ca');
  const serving = await issue(options.dir, ca, 'signet-server', 'serverAuth');
  const caPem = await readFile(ca.cert, 'utf8');
  const provider = await startProvider(
    [
      ...(options.configPath === undefined ? [] : ['--config', options.configPath]),
      '--host',
      '127.0.0.1',
      '--tls-cert',
      serving.cert,
      '--tls-key',
      serving.key,
      '--client-ca',
      gatekeeper.ca.cert,
      ...(options.extraArgs ?? []),
    ],
    options.env,
  );
  const providerResourceAt = (name: string, url: string, timeoutSeconds: number): KubeObject =>
    toProviderResource({ name, url, timeoutSeconds, caBundlePem: caPem });
  return {
    provider,
    caPem,
    providerResource: (name, endpoint, timeoutSeconds) =>
      providerResourceAt(name, `${provider.url}/ratify/gatekeeper/v1/${endpoint}`, timeoutSeconds),
    providerResourceAt,
    stop: () => provider.stop(),
  };
}
