// The Helm chart deploy/helm/signet with the real helm (v4, built by test/tools/setup.sh): `helm lint --strict` and
// `helm template` over every values file in the chart's ci/ directory with the key rendered fields asserted, the
// wiring of the signet container checked against `signet serve --help` and the files the pod mounts, the seeded
// Ratify configuration validated by `signet config validate`, and deploy/manifests/signet.yaml checked to be what
// `npm run manifests` renders now. Then on a real kube-apiserver (etcd + kube-apiserver, no kubelet): every values
// file installed with `helm install` and each created object read back, the chart-generated certificate kept across
// `helm upgrade` and rotated by tls.regenerate, the plain manifests applied, and a CRD change carried by
// `helm upgrade` (install chart v1, add a field to a CRD in v2, upgrade, the field is served and used).
//
// Without a kubelet no pod runs, so the chart's pre-install/pre-upgrade Job (kubectl applying the CRDs) is run by this
// test as a kubelet would: the Job's own arguments, with its ConfigMap volume written to a directory, executed by
// the same kubectl version the Job's image carries (registry.k8s.io/kubectl:<KUBERNETES_VERSION>), authenticated
// as the Job's ServiceAccount (so its RBAC is what is tested); then the Job's status is set to Complete or Failed.
// The CRDs the chart's resources need come from their projects' Go modules: Gatekeeper's Provider (its release
// manifest), cert-manager's Certificate and Issuer, the Prometheus Operator's ServiceMonitor.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, parseAllDocuments, stringify } from 'yaml';
import {
  CHART_CI_DIR,
  CHART_DIR,
  DEFAULT_NAMESPACE,
  findManifest,
  helmValuesArgs,
  parseManifests,
  renderChart,
  renderedSignetArgs,
  type KubeManifest,
  type RenderChartOptions,
} from '../helpers/chart-deployment.js';
import { goModuleDir } from '../helpers/gatekeeper.js';
import { startKubeApiserver, type KubeApiserver } from '../helpers/kube-apiserver.js';
import { REPO_ROOT } from '../helpers/process.js';
import { runSignetCli } from '../helpers/signet-cli.js';
import { runTool, type ToolOutput } from '../helpers/tools.js';
import { PLAIN_MANIFEST, renderPlainManifests } from '../tools/render-manifests.js';

const VALUES_FILES = [
  'cert-manager-values.yaml',
  'default-values.yaml',
  'e2e-bed-values.yaml',
  'ha-values.yaml',
  'kubernetes-source-values.yaml',
  'seeded-notation-values.yaml',
  'workload-identity-redis-values.yaml',
] as const;
type ValuesFile = (typeof VALUES_FILES)[number];

const CRD_FILES = readdirSync(join(CHART_DIR, 'crds')).sort();
const RATIFY_API = 'config.ratify.deislabs.io/v1beta1';
const CI_CERT =
  (
    parse(readFileSync(join(CHART_CI_DIR, 'seeded-notation-values.yaml'), 'utf8')) as {
      notationCerts: string[];
    }
  ).notationCerts[0] ?? '';

function versionOf(name: string): string {
  const versions = readFileSync(join(REPO_ROOT, 'test', 'tools', 'versions.env'), 'utf8');
  const version = new RegExp(`^${name}=(\\S+)$`, 'm').exec(versions)?.[1];
  if (version === undefined) throw new Error(`test/tools/versions.env has no ${name}`);
  return version;
}
const KUBERNETES_VERSION = versionOf('KUBERNETES_VERSION');

// --- reading rendered objects ------------------------------------------------------------------------------------

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext?: Record<string, unknown>;
  resources?: Record<string, unknown>;
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  volumes?: ({ name: string } & Record<string, unknown>)[];
  priorityClassName?: string;
  topologySpreadConstraints?: Record<string, unknown>[];
  affinity?: unknown;
  tolerations?: unknown[];
  nodeSelector?: Record<string, string>;
  restartPolicy?: string;
}
interface Deployment extends KubeManifest {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: PodSpec;
    };
  };
}
interface Job extends KubeManifest {
  metadata: KubeManifest['metadata'] & { uid?: string };
  spec: { template: { spec: PodSpec } };
  status?: { conditions?: { type: string; status: string }[] };
}
interface ProviderObject extends KubeManifest {
  spec: { url: string; timeout: number; caBundle: string };
}

const deploymentOf = (objects: readonly KubeManifest[]) => findManifest(objects, 'Deployment') as Deployment;
const signetContainer = (objects: readonly KubeManifest[]): Container => {
  const container = deploymentOf(objects).spec.template.spec.containers.find((c) => c.name === 'signet');
  if (container === undefined) throw new Error('no signet container');
  return container;
};
const argsOf = (objects: readonly KubeManifest[]) => signetContainer(objects).args ?? [];
const isHook = (object: KubeManifest) => object.metadata.annotations?.['helm.sh/hook'] !== undefined;
const kinds = (objects: readonly KubeManifest[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const dataOf = (object: KubeManifest) => (object['data'] ?? {}) as Record<string, string>;
const decode = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');

function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The serving certificate is issued by one of the CAs of the bundle, for `host`, and matches its key. */
function expectServingPair(certPem: string, keyPem: string, caBundlePem: string, host: string): void {
  const certificate = new X509Certificate(certPem);
  const cas = pemBlocks(caBundlePem).map((pem) => new X509Certificate(pem));
  expect(cas.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey))).toBe(true);
  expect(certificate.checkHost(host)).toBe(host);
  expect(certificate.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
  expect(certificate.ca).toBe(false);
}

function render(file: ValuesFile | undefined, options: Omit<RenderChartOptions, 'valuesFiles'> = {}) {
  return renderChart({ ...options, valuesFiles: file === undefined ? [] : [file] });
}

/** `helm template` fails, naming `pattern`. */
async function expectRenderFailure(set: readonly string[], pattern: RegExp): Promise<void> {
  await expect(renderChart({ set })).rejects.toThrow(pattern);
}

/** Every field of `expected` is in `actual` with the same value (arrays element by element); the differences. */
function subsetDifferences(actual: unknown, expected: unknown, path = ''): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return [`${path}: ${JSON.stringify(actual)} is not ${JSON.stringify(expected)}`];
    return expected.flatMap((item: unknown, index) =>
      subsetDifferences(actual[index], item, `${path}[${index}]`),
    );
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${path}: missing`];
    return Object.entries(expected).flatMap(([key, value]) =>
      subsetDifferences((actual as Record<string, unknown>)[key], value, `${path}.${key}`),
    );
  }
  return actual === expected ? [] : [`${path}: ${JSON.stringify(actual)} is not ${JSON.stringify(expected)}`];
}

// --- helm lint, the schema and failures ----------------------------------------------------------------------------

describe('deploy/helm/signet', () => {
  it('is tested with every values file of its ci/ directory', () => {
    expect(readdirSync(CHART_CI_DIR).sort()).toEqual([...VALUES_FILES]);
  });

  it.each(VALUES_FILES)('helm lint --strict passes with ci/%s', async (file) => {
    const { stdout } = await runTool('helm', [
      'lint',
      '--strict',
      CHART_DIR,
      '--values',
      join(CHART_CI_DIR, file),
    ]);
    expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('values.schema.json rejects unknown keys, wrong types and malformed values', async () => {
    await expectRenderFailure(['replicas=3'], /replicas/);
    await expectRenderFailure(['replicaCount=two'], /replicaCount/);
    await expectRenderFailure(['configSource=crd'], /configSource/);
    await expectRenderFailure(['image.digest=latest'], /digest/);
    await expectRenderFailure(['providers.verify.name=Ratify_Provider'], /name/);
    await expectRenderFailure(['notationCerts[0]=not-a-certificate'], /notationCerts/);
    await expectRenderFailure(['redis.url=http://redis:6379'], /redis/);
    await expectRenderFailure(['tls.caBundle=not base64!'], /caBundle/);
    await expectRenderFailure(['credentialHelpers.home=tmp'], /home/);
    await expectRenderFailure(['dockerConfig.secret=pull'], /dockerConfig/);
  });

  it('refuses values that cannot work', async () => {
    await expectRenderFailure(
      ['deadlineMs=3000'],
      /deadlineMs \(3000\) must be below providers\.\w+\.timeoutSeconds/,
    );
    await expectRenderFailure(['tls.existingSecret=mine'], /tls\.caBundle .* is required/);
    await expectRenderFailure(
      [
        'certManager.enabled=true',
        'certManager.issuerRef.name=corp',
        'certManager.issuerRef.kind=ClusterIssuer',
      ],
      /tls\.caBundle .* is required/,
    );
    await expectRenderFailure(
      ['azureWorkloadIdentity.enabled=true'],
      /azureWorkloadIdentity\.clientId is required/,
    );
    await expectRenderFailure(
      ['dockerConfig.secretName=pull', 'dockerConfig.configMapName=helpers'],
      /dockerConfig: set secretName or configMapName, not both/,
    );
  });

  // --- helm template, values file by values file -----------------------------------------------------------------

  describe('ci/default-values.yaml', () => {
    let objects: KubeManifest[];
    beforeAll(async () => {
      objects = await render('default-values.yaml');
    });

    it('renders the provider, its two Gatekeeper Providers and the CRD upgrade hook, nothing optional', () => {
      expect(kinds(objects)).toEqual([
        'ClusterRole/signet-signet-crd-upgrade',
        'ClusterRoleBinding/signet-signet-crd-upgrade',
        'ConfigMap/signet-signet-crd-upgrade',
        'Deployment/signet-signet',
        'Job/signet-signet-crd-upgrade',
        'PodDisruptionBudget/signet-signet',
        'Provider/ratify-mutation-provider',
        'Provider/ratify-provider',
        'Secret/signet-signet-tls',
        'Service/signet-signet',
        'ServiceAccount/signet-signet',
        'ServiceAccount/signet-signet-crd-upgrade',
      ]);
    });

    it('points both Providers at the Service, trusting the chart-generated CA of the serving certificate', () => {
      const secret = findManifest(objects, 'Secret', 'signet-signet-tls');
      expect(secret['type']).toBe('kubernetes.io/tls');
      const tls = dataOf(secret);
      const verify = findManifest(objects, 'Provider', 'ratify-provider') as ProviderObject;
      const mutate = findManifest(objects, 'Provider', 'ratify-mutation-provider') as ProviderObject;
      expect(verify.apiVersion).toBe('externaldata.gatekeeper.sh/v1beta1');
      expect(verify.spec.url).toBe(
        'https://signet-signet.gatekeeper-system:6001/ratify/gatekeeper/v1/verify',
      );
      expect(mutate.spec.url).toBe(
        'https://signet-signet.gatekeeper-system:6001/ratify/gatekeeper/v1/mutate',
      );
      expect([verify.spec.timeout, mutate.spec.timeout]).toEqual([3, 3]);
      expect(mutate.spec.caBundle).toBe(verify.spec.caBundle);
      const bundle = decode(verify.spec.caBundle);
      expect(pemBlocks(bundle)).toEqual(pemBlocks(decode(tls['ca.crt'] ?? '')));
      expect(new X509Certificate(bundle).ca).toBe(true);
      for (const host of [
        'signet-signet.gatekeeper-system',
        'signet-signet.gatekeeper-system.svc',
        'signet-signet.gatekeeper-system.svc.cluster.local',
      ]) {
        expectServingPair(decode(tls['tls.crt'] ?? ''), decode(tls['tls.key'] ?? ''), bundle, host);
      }
      expect(verify.metadata.annotations).toBeUndefined();
    });

    it('runs signet with mTLS towards Gatekeeper and the embedded configuration', () => {
      expect(argsOf(objects)).toEqual([
        'serve',
        '--port=6001',
        '--metrics-port=8888',
        '--tls-cert=/etc/signet/tls/tls.crt',
        '--tls-key=/etc/signet/tls/tls.key',
        '--client-ca=/etc/signet/client-ca/ca.crt',
        '--provider-name=ratify-provider',
        '--verify-path=/ratify/gatekeeper/v1/verify',
        '--mutate-path=/ratify/gatekeeper/v1/mutate',
        '--deadline-ms=2500',
        '--max-keys=1000',
        '--verdict-ttl=300',
        '--failure-ttl=60',
        '--max-signatures=32',
        '--log-level=info',
      ]);
      const pod = deploymentOf(objects).spec.template.spec;
      expect(pod.volumes?.find((v) => v.name === 'client-ca')).toEqual({
        name: 'client-ca',
        secret: { secretName: 'gatekeeper-webhook-server-cert', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(deploymentOf(objects).spec.replicas).toBe(2);
      expect(signetContainer(objects).image).toBe('ghcr.io/signet/signet:0.1.0');
    });

    it("runs node with the image's own flags, unless nodeFlags replaces them", async () => {
      expect(signetContainer(objects).command).toBeUndefined();
      const dir = await mkdtemp(join(tmpdir(), 'signet-chart-'));
      await writeFile(join(dir, 'node-flags.yaml'), 'nodeFlags: []\n');
      const throughput = await renderChart({
        valuesFiles: ['default-values.yaml', join(dir, 'node-flags.yaml')],
      });
      await rm(dir, { recursive: true });
      expect(signetContainer(throughput).command).toEqual(['/usr/local/bin/node', '/app/dist/cli.js']);
      const tuned = await render('default-values.yaml', { set: ['nodeFlags={--max-semi-space-size=8}'] });
      expect(signetContainer(tuned).command).toEqual([
        '/usr/local/bin/node',
        '--max-semi-space-size=8',
        '/app/dist/cli.js',
      ]);
    });

    it('locks the container down by default', () => {
      const pod = deploymentOf(objects).spec.template.spec;
      expect(signetContainer(objects).securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        fsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const pdb = findManifest(objects, 'PodDisruptionBudget');
      expect(pdb['spec']).toEqual({
        minAvailable: 1,
        selector: {
          matchLabels: { 'app.kubernetes.io/name': 'signet', 'app.kubernetes.io/instance': 'signet' },
        },
      });
    });

    it('applies every chart CRD in a pre-install/pre-upgrade Job allowed to change those CRDs only', () => {
      const hooks = objects.filter(isHook);
      expect(kinds(hooks)).toEqual([
        'ClusterRole/signet-signet-crd-upgrade',
        'ClusterRoleBinding/signet-signet-crd-upgrade',
        'ConfigMap/signet-signet-crd-upgrade',
        'Job/signet-signet-crd-upgrade',
        'ServiceAccount/signet-signet-crd-upgrade',
      ]);
      for (const hook of hooks) {
        expect(hook.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
        expect(hook.metadata.annotations?.['helm.sh/hook-delete-policy']).toBe(
          'before-hook-creation,hook-succeeded',
        );
      }
      const configMap = findManifest(objects, 'ConfigMap', 'signet-signet-crd-upgrade');
      expect(Object.keys(dataOf(configMap)).sort()).toEqual(CRD_FILES);
      for (const file of CRD_FILES) {
        expect(dataOf(configMap)[file]).toBe(readFileSync(join(CHART_DIR, 'crds', file), 'utf8'));
      }
      const names = CRD_FILES.map(
        (file) => (parse(readFileSync(join(CHART_DIR, 'crds', file), 'utf8')) as KubeManifest).metadata.name,
      );
      expect(findManifest(objects, 'ClusterRole')['rules']).toEqual([
        { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['create'] },
        {
          apiGroups: ['apiextensions.k8s.io'],
          resources: ['customresourcedefinitions'],
          resourceNames: names,
          verbs: ['get', 'patch', 'update'],
        },
      ]);
      const job = findManifest(objects, 'Job') as Job;
      const [container] = job.spec.template.spec.containers;
      expect(container?.image).toBe(`registry.k8s.io/kubectl:${KUBERNETES_VERSION}`);
      expect(container?.args).toEqual([
        'apply',
        '--server-side',
        '--force-conflicts',
        '--field-manager=signet-crd-upgrade',
        '--cache-dir=/tmp/kube-cache',
        '--filename=/crds/',
      ]);
      expect(container?.securityContext).toEqual(signetContainer(objects).securityContext);
    });
  });

  describe('ci/cert-manager-values.yaml', () => {
    let objects: KubeManifest[];
    beforeAll(async () => {
      objects = await render('cert-manager-values.yaml');
    });

    it('has cert-manager issue the serving certificate from the chart CA, which the Providers trust', () => {
      const certificate = findManifest(objects, 'Certificate', 'signet-signet-serving');
      expect(certificate.apiVersion).toBe('cert-manager.io/v1');
      expect(certificate['spec']).toEqual({
        secretName: 'signet-signet-tls',
        commonName: 'signet-signet.gatekeeper-system.svc',
        dnsNames: [
          'signet-signet',
          'signet-signet.gatekeeper-system',
          'signet-signet.gatekeeper-system.svc',
          'signet-signet.gatekeeper-system.svc.cluster.local',
        ],
        duration: '720h',
        renewBefore: '240h',
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        usages: ['digital signature', 'key encipherment', 'server auth'],
        issuerRef: { name: 'signet-signet-ca', kind: 'Issuer', group: 'cert-manager.io' },
      });
      const issuer = findManifest(objects, 'Issuer', 'signet-signet-ca');
      expect(issuer['spec']).toEqual({ ca: { secretName: 'signet-signet-ca' } });
      const caSecret = findManifest(objects, 'Secret', 'signet-signet-ca');
      const caPem = decode(dataOf(caSecret)['tls.crt'] ?? '');
      expect(new X509Certificate(caPem).ca).toBe(true);
      expect(
        new X509Certificate(caPem).checkPrivateKey(
          createPrivateKey(decode(dataOf(caSecret)['tls.key'] ?? '')),
        ),
      ).toBe(true);
      // cert-manager writes the serving Secret; the chart does not render one.
      expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual([
        'signet-signet-ca',
      ]);
      for (const provider of objects.filter((o) => o.kind === 'Provider') as ProviderObject[]) {
        expect(decode(provider.spec.caBundle)).toBe(caPem);
        expect(provider.metadata.annotations).toEqual({
          'cert-manager.io/inject-ca-from': 'gatekeeper-system/signet-signet-serving',
        });
      }
      const tlsVolume = deploymentOf(objects).spec.template.spec.volumes?.find((v) => v.name === 'tls');
      expect(tlsVolume?.['secret']).toEqual({
        secretName: 'signet-signet-tls',
        items: [
          { key: 'tls.crt', path: 'tls.crt' },
          { key: 'tls.key', path: 'tls.key' },
        ],
      });
    });

    it('uses an issuer of yours with the CA bundle you give', async () => {
      const bundle = Buffer.from(CI_CERT).toString('base64');
      const own = await renderChart({
        valuesFiles: ['cert-manager-values.yaml'],
        set: [
          'certManager.issuerRef.name=corp-ca',
          'certManager.issuerRef.kind=ClusterIssuer',
          `tls.caBundle=${bundle}`,
        ],
      });
      expect((findManifest(own, 'Certificate')['spec'] as { issuerRef: unknown }).issuerRef).toEqual({
        name: 'corp-ca',
        kind: 'ClusterIssuer',
      });
      expect(own.filter((o) => o.kind === 'Issuer' || o.kind === 'Secret')).toEqual([]);
      expect((findManifest(own, 'Provider', 'ratify-provider') as ProviderObject).spec.caBundle).toBe(bundle);
    });
  });

  describe('ci/ha-values.yaml', () => {
    let objects: KubeManifest[];
    beforeAll(async () => {
      objects = await render('ha-values.yaml');
    });

    it('spreads three replicas over zones and nodes under a PodDisruptionBudget', () => {
      const deployment = deploymentOf(objects);
      const pod = deployment.spec.template.spec;
      const selector = { 'app.kubernetes.io/name': 'signet', 'app.kubernetes.io/instance': 'signet' };
      expect(deployment.spec.replicas).toBe(3);
      expect(pod.topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: selector },
        },
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: selector },
        },
      ]);
      expect(pod.priorityClassName).toBe('system-cluster-critical');
      expect(pod.tolerations).toEqual([{ key: 'CriticalAddonsOnly', operator: 'Exists' }]);
      expect(pod.affinity).toHaveProperty('podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution');
      expect(signetContainer(objects).resources).toEqual({
        requests: { cpu: '250m', memory: '256Mi' },
        limits: { memory: '1Gi' },
      });
      expect(findManifest(objects, 'PodDisruptionBudget')['spec']).toEqual({
        maxUnavailable: 1,
        selector: { matchLabels: selector },
      });
    });

    it('elects one replica for the periodic compliance report, with read-only RBAC beyond its Lease and PolicyReports', () => {
      const fullname = deploymentOf(objects).metadata.name;
      expect(argsOf(objects)).toEqual(
        expect.arrayContaining([
          '--compliance-report-interval=600',
          `--compliance-lease-name=${fullname}-compliance-report`,
          '--compliance-lease-duration=15',
        ]),
      );
      expect(argsOf(objects)).not.toContain('--no-compliance-policy-reports');
      expect(signetContainer(objects).env).toEqual(
        expect.arrayContaining([
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ]),
      );
      const reporter = findManifest(objects, 'ClusterRole', `${fullname}-compliance-reporter`);
      const rules = reporter['rules'] as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
      const writes = rules.filter((rule) => rule.verbs.some((verb) => verb !== 'list'));
      expect(writes).toEqual([
        {
          apiGroups: ['wgpolicyk8s.io'],
          resources: ['policyreports', 'clusterpolicyreports'],
          verbs: ['get', 'list', 'create', 'patch', 'delete'],
        },
      ]);
      expect(rules.flatMap((rule) => rule.resources)).toEqual(
        expect.arrayContaining(['constrainttemplates', '*', 'pods', 'deployments', 'cronjobs']),
      );
      const lease = findManifest(objects, 'Role', `${fullname}-compliance-lease`);
      expect(lease['rules']).toEqual([
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      ]);
    });

    it('creates a ServiceMonitor scraping the Service metrics port', () => {
      const monitor = findManifest(objects, 'ServiceMonitor');
      const service = findManifest(objects, 'Service');
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitor.metadata.labels?.['release']).toBe('prometheus');
      const spec = monitor['spec'] as {
        selector: { matchLabels: Record<string, string> };
        endpoints: unknown[];
      };
      expect(spec).toEqual({
        namespaceSelector: { matchNames: ['gatekeeper-system'] },
        selector: { matchLabels: (service['spec'] as { selector: Record<string, string> }).selector },
        endpoints: [
          {
            port: 'metrics',
            path: '/metrics',
            scheme: 'http',
            interval: '15s',
            scrapeTimeout: '10s',
            metricRelabelings: [{ action: 'drop', sourceLabels: ['__name__'], regex: 'nodejs_gc_.*' }],
          },
        ],
      });
      for (const [key, value] of Object.entries(spec.selector.matchLabels)) {
        expect(service.metadata.labels?.[key]).toBe(value);
      }
      expect((service['spec'] as { ports: { name: string }[] }).ports.map((p) => p.name)).toContain(
        'metrics',
      );
    });
  });

  describe('ci/workload-identity-redis-values.yaml', () => {
    let objects: KubeManifest[];
    beforeAll(async () => {
      objects = await render('workload-identity-redis-values.yaml');
    });

    it('labels the pod and annotates the ServiceAccount for Azure Workload Identity', () => {
      const account = findManifest(objects, 'ServiceAccount', 'signet-signet');
      expect(account.metadata.annotations).toEqual({
        'azure.workload.identity/client-id': '00000000-0000-0000-0000-000000000001',
        'azure.workload.identity/tenant-id': '00000000-0000-0000-0000-000000000002',
        'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/signet',
      });
      expect(account.metadata.labels?.['team']).toBe('platform');
      const template = deploymentOf(objects).spec.template;
      expect(template.metadata.labels['azure.workload.identity/use']).toBe('true');
      expect(template.metadata.labels['team']).toBe('platform');
      expect(template.metadata.annotations?.['example.com/owner']).toBe('platform');
      expect(template.spec.serviceAccountName).toBe('signet-signet');
    });

    it('shares verdicts in Redis with the password and CA from Secrets', () => {
      const args = argsOf(objects);
      expect(args).toEqual(
        expect.arrayContaining([
          '--redis-url=rediss://signet-redis.redis.svc:6380/0',
          '--redis-timeout-ms=100',
          '--redis-password-file=/etc/signet/redis/password',
          '--redis-tls-ca=/etc/signet/redis-tls/ca.crt',
        ]),
      );
      const volumes = deploymentOf(objects).spec.template.spec.volumes ?? [];
      expect(volumes.find((v) => v.name === 'redis-password')?.['secret']).toEqual({
        secretName: 'signet-redis',
        items: [{ key: 'password', path: 'password' }],
      });
      expect(volumes.find((v) => v.name === 'redis-tls')?.['secret']).toEqual({
        secretName: 'signet-redis-ca',
        items: [{ key: 'ca.crt', path: 'ca.crt' }],
      });
    });

    it('puts the credential helpers first on PATH and the docker config naming them where DOCKER_CONFIG points, with the proxy and the extra volumes', () => {
      const container = signetContainer(objects);
      const env = new Map((container.env ?? []).map((e) => [e.name, e.value]));
      expect(env.get('PATH')).toBe(
        '/opt/signet/credential-helpers:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      );
      // Helpers cache under HOME (ecr-login ~/.ecr): the writable /tmp, as the root filesystem is read-only.
      expect(env.get('HOME')).toBe('/tmp');
      expect(env.get('DOCKER_CONFIG')).toBe('/etc/signet/docker');
      expect(env.get('HTTPS_PROXY')).toBe('http://proxy.example:3128');
      expect(env.get('NODE_USE_ENV_PROXY')).toBe('1');
      expect(container.volumeMounts).toEqual(
        expect.arrayContaining([
          { name: 'credential-helpers', mountPath: '/opt/signet/credential-helpers', readOnly: true },
          { name: 'docker-config', mountPath: '/etc/signet/docker', readOnly: true },
          { name: 'scratch', mountPath: '/var/scratch' },
        ]),
      );
      expect(
        deploymentOf(objects).spec.template.spec.volumes?.find((v) => v.name === 'docker-config'),
      ).toEqual({
        name: 'docker-config',
        configMap: { name: 'signet-docker-config', items: [{ key: 'config.json', path: 'config.json' }] },
      });
      const pod = deploymentOf(objects).spec.template.spec;
      expect(pod.initContainers?.map((c) => [c.name, c.volumeMounts])).toEqual([
        [
          'copy-credential-helpers',
          [{ name: 'credential-helpers', mountPath: '/opt/signet/credential-helpers' }],
        ],
      ]);
      expect(pod.volumes?.find((v) => v.name === 'credential-helpers')).toEqual({
        name: 'credential-helpers',
        emptyDir: { sizeLimit: '128Mi' },
      });
    });
  });

  describe('ci/seeded-notation-values.yaml', () => {
    let objects: KubeManifest[];
    let dir: string;
    beforeAll(async () => {
      objects = await render('seeded-notation-values.yaml');
      dir = await mkdtemp(join(tmpdir(), 'signet-chart-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('seeds Ratify resources into the config file, which signet accepts', async () => {
      const configMap = findManifest(objects, 'ConfigMap', 'signet-signet-config');
      const text = dataOf(configMap)['config.yaml'] ?? '';
      const resources = parseManifests(text);
      expect(kinds(resources)).toEqual([
        'KeyManagementProvider/signet-signet-cosign-inline-key-0',
        'KeyManagementProvider/signet-signet-notation-inline-cert-0',
        'Policy/ratify-policy',
        'Store/store-oras',
        'Verifier/verifier-cosign',
        'Verifier/verifier-notation',
      ]);
      expect(resources.every((r) => r.apiVersion === RATIFY_API)).toBe(true);
      const cert = findManifest(resources, 'KeyManagementProvider', 'signet-signet-notation-inline-cert-0');
      expect(cert['spec']).toEqual({
        type: 'inline',
        parameters: { contentType: 'certificate', value: CI_CERT },
      });
      const notation = findManifest(resources, 'Verifier', 'verifier-notation');
      expect(notation['spec']).toMatchObject({
        name: 'notation',
        parameters: {
          verificationCertStores: { certs: ['signet-signet-notation-inline-cert-0'] },
          trustPolicyDoc: { version: '1.0', trustPolicies: [{ name: 'default', trustStores: ['ca:certs'] }] },
        },
      });
      const cosign = findManifest(resources, 'Verifier', 'verifier-cosign');
      expect(cosign['spec']).toMatchObject({
        name: 'cosign',
        parameters: {
          trustPolicies: [
            { name: 'default', keys: [{ provider: 'signet-signet-cosign-inline-key-0' }], tLogVerify: false },
          ],
        },
      });
      const path = join(dir, 'config.yaml');
      await writeFile(path, text);
      const run = await runSignetCli(['config', 'validate', path]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain('valid');
      expect(run.code).toBe(0);
    });

    it('reads it, trusts the inline Gatekeeper CA and pulls the image by digest', () => {
      expect(argsOf(objects)).toContain('--config=/etc/signet/config/config.yaml');
      const clientCa = findManifest(objects, 'ConfigMap', 'signet-signet-client-ca');
      expect(dataOf(clientCa)['ca.crt']).toBe(CI_CERT);
      expect(signetContainer(objects).image).toBe(
        'registry.example/signet@sha256:0000000000000000000000000000000000000000000000000000000000000001',
      );
      // Custom resources are not rendered in file mode.
      expect(objects.filter((o) => o.apiVersion === RATIFY_API)).toEqual([]);
    });
  });

  describe('ci/kubernetes-source-values.yaml', () => {
    let objects: KubeManifest[];
    let dir: string;
    beforeAll(async () => {
      objects = await render('kubernetes-source-values.yaml');
      dir = await mkdtemp(join(tmpdir(), 'signet-chart-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('creates the seeded resources as custom resources, which signet accepts', async () => {
      const resources = objects.filter((o) => o.apiVersion === RATIFY_API);
      expect(kinds(resources)).toEqual([
        'KeyManagementProvider/signet-signet-notation-inline-cert-0',
        'Policy/ratify-policy',
        'Store/store-oras',
        'Verifier/verifier-cosign',
        'Verifier/verifier-notation',
      ]);
      expect(resources.filter(isHook)).toEqual([]);
      expect(resources.every((r) => r.metadata.labels?.['app.kubernetes.io/instance'] === 'signet')).toBe(
        true,
      );
      expect(findManifest(resources, 'Store')['spec']).toEqual({
        name: 'oras',
        parameters: {
          cosignEnabled: true,
          authProvider: { name: 'k8Secrets', serviceAccountName: 'default' },
        },
      });
      expect(findManifest(resources, 'Verifier', 'verifier-cosign')['spec']).toMatchObject({
        parameters: {
          trustPolicies: [
            {
              keyless: {
                certificateIdentity:
                  'https://github.com/example/app/.github/workflows/release.yml@refs/heads/main',
                certificateOIDCIssuer: 'https://token.actions.githubusercontent.com',
                ctLogVerify: true,
              },
            },
          ],
        },
      });
      const path = join(dir, 'resources.yaml');
      await writeFile(path, resources.map((r) => stringify(r)).join('---\n'));
      const run = await runSignetCli(['config', 'validate', path]);
      expect(run.stdout).toContain('valid');
      expect(run.code).toBe(0);
    });

    it('watches them with the RBAC of templates/rbac.yaml and a service account token', () => {
      expect(argsOf(objects)).toEqual(
        expect.arrayContaining(['--config-source=kubernetes', '--kube-resync=30']),
      );
      expect(argsOf(objects).some((a) => a.startsWith('--config='))).toBe(false);
      expect(deploymentOf(objects).spec.template.spec.automountServiceAccountToken).toBe(true);
      expect(kinds(objects.filter((o) => /Role/.test(o.kind) && !isHook(o)))).toEqual([
        'ClusterRole/signet-signet-config-reader',
        'ClusterRoleBinding/signet-signet-config-reader',
        'Role/signet-signet-secret-reader',
        'RoleBinding/signet-signet-secret-reader',
      ]);
      expect(objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'signet-signet-config')).toBe(
        false,
      );
    });
  });

  // --- the container's wiring, for test beds --------------------------------------------------------------------

  describe('renderedSignetArgs', () => {
    const FILE_FLAGS = new Set([
      '--tls-cert',
      '--tls-key',
      '--client-ca',
      '--config',
      '--redis-password-file',
      '--redis-tls-ca',
    ]);
    let serveFlags: Set<string>;
    beforeAll(async () => {
      const help = await runSignetCli(['serve', '--help']);
      expect(help.code).toBe(0);
      serveFlags = new Set(help.stdout.match(/--[a-z][a-z-]+/g) ?? []);
    });

    it.each(VALUES_FILES)(
      'ci/%s: only `signet serve` flags, every file flag on a mounted file',
      async (file) => {
        const rendered = await renderedSignetArgs(file);
        expect(rendered.command).toEqual([]);
        expect(rendered.args[0]).toBe('serve');
        const mounted = new Set(rendered.files.map((f) => f.path));
        for (const arg of rendered.args.slice(1)) {
          const [flag, value] = arg.split('=', 2) as [string, string | undefined];
          expect(serveFlags).toContain(flag);
          if (FILE_FLAGS.has(flag)) expect(mounted).toContain(value);
        }
      },
    );

    it('gives a bed the files the pod would see, with the content the chart renders', async () => {
      const rendered = await renderedSignetArgs('seeded-notation-values.yaml');
      const files = new Map(rendered.files.map((f) => [f.path, f]));
      expect([...files.keys()].sort()).toEqual([
        '/etc/signet/client-ca/ca.crt',
        '/etc/signet/config/config.yaml',
        '/etc/signet/tls/tls.crt',
        '/etc/signet/tls/tls.key',
        '/tmp',
      ]);
      expect(files.get('/etc/signet/client-ca/ca.crt')?.content).toBe(CI_CERT);
      expect(files.get('/etc/signet/config/config.yaml')?.content).toContain('kind: Verifier');
      expect(files.get('/etc/signet/tls/tls.key')?.content).toMatch(/-----BEGIN RSA PRIVATE KEY-----/);
      expect(files.get('/etc/signet/tls/tls.crt')?.source).toEqual({
        kind: 'secret',
        name: 'signet-signet-tls',
        key: 'tls.crt',
      });
      expect(files.get('/tmp')?.source).toEqual({ kind: 'emptyDir' });
      const external = await renderedSignetArgs('default-values.yaml');
      const clientCa = external.files.find((f) => f.path === '/etc/signet/client-ca/ca.crt');
      expect(clientCa).toEqual({
        path: '/etc/signet/client-ca/ca.crt',
        volume: 'client-ca',
        readOnly: true,
        source: { kind: 'secret', name: 'gatekeeper-webhook-server-cert', key: 'ca.crt' },
        content: undefined,
      });
      expect(external.env).toEqual([
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ]);
    });
  });

  it('deploy/manifests/signet.yaml is what `npm run manifests` renders now', async () => {
    const committed = await readFile(PLAIN_MANIFEST, 'utf8');
    expect(committed).toBe(await renderPlainManifests());
    const objects = parseManifests(committed);
    expect(kinds(objects)).toEqual(
      [
        ...CRD_FILES.map(
          (file) =>
            `CustomResourceDefinition/${(parse(readFileSync(join(CHART_DIR, 'crds', file), 'utf8')) as KubeManifest).metadata.name}`,
        ),
        'Deployment/signet',
        'PodDisruptionBudget/signet',
        'Service/signet',
        'ServiceAccount/signet',
      ].sort(),
    );
    expect(
      objects
        .filter((o) => o.kind !== 'CustomResourceDefinition')
        .every((o) => o.metadata.namespace === 'gatekeeper-system'),
    ).toBe(true);
    const tls = deploymentOf(objects).spec.template.spec.volumes?.find((v) => v.name === 'tls');
    expect((tls?.['secret'] as { secretName: string }).secretName).toBe('signet-tls');
  });
});

// --- on a real kube-apiserver --------------------------------------------------------------------------------------

interface EmulatedJob {
  readonly name: string;
  readonly args: readonly string[];
  readonly exitCode: number;
  readonly output: string;
}

describe('deploy/helm/signet on a real kube-apiserver', () => {
  let api: KubeApiserver;
  let helmHome: string;
  const installed = new Map<string, string>();

  const helm = (args: readonly string[]): Promise<ToolOutput> =>
    runTool('helm', [...args, '--kubeconfig', api.kubeconfigPath], {
      timeoutMs: 110_000,
      env: {
        HELM_CACHE_HOME: join(helmHome, 'cache'),
        HELM_CONFIG_HOME: join(helmHome, 'config'),
        HELM_DATA_HOME: join(helmHome, 'data'),
      },
    });

  const getJson = async <T>(args: readonly string[]): Promise<T> =>
    JSON.parse((await api.kubectl([...args, '-o', 'json'])).stdout) as T;

  /** Runs a Job of the chart as a kubelet would (see the header), then records its outcome in the Job's status. */
  async function runJob(job: Job): Promise<EmulatedJob> {
    const namespace = job.metadata.namespace ?? DEFAULT_NAMESPACE;
    const pod = job.spec.template.spec;
    expect(pod.containers).toHaveLength(1);
    const container = pod.containers[0] as Container;
    // The image's entrypoint is kubectl: the Job gives arguments only, which the local kubectl (same version) runs.
    expect(container.image).toBe(`registry.k8s.io/kubectl:${KUBERNETES_VERSION}`);
    expect(container.command).toBeUndefined();
    const root = await mkdtemp(join(tmpdir(), 'signet-job-'));
    const mounts: [string, string][] = [];
    for (const [index, mount] of (container.volumeMounts ?? []).entries()) {
      const volume = pod.volumes?.find((v) => v.name === mount.name);
      const local = join(root, String(index));
      await mkdir(local);
      const configMap = volume?.['configMap'] as { name: string } | undefined;
      if (configMap !== undefined) {
        const { data } = await getJson<{ data?: Record<string, string> }>([
          'get',
          'configmap',
          configMap.name,
          '-n',
          namespace,
        ]);
        for (const [key, value] of Object.entries(data ?? {})) await writeFile(join(local, key), value);
      } else if (volume?.['emptyDir'] === undefined) {
        throw new Error(
          `job ${job.metadata.name}: volume ${mount.name} is neither a ConfigMap nor an emptyDir`,
        );
      }
      mounts.push([mount.mountPath, local]);
    }
    // Each argument's path (after `=` or the whole argument) moves from the mount path to its local directory.
    mounts.sort((a, b) => b[0].length - a[0].length);
    const local = new Map(mounts);
    const escaped = mounts.map(([mountPath]) => mountPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const pathPattern = new RegExp(`(^|=)(${escaped.join('|')})(?=/|$)`);
    const args = (container.args ?? []).map((arg) =>
      arg.replace(
        pathPattern,
        (_, prefix: string, mountPath: string) => `${prefix}${local.get(mountPath) ?? mountPath}`,
      ),
    );
    const kubeconfig = await api.kubeconfigForServiceAccount(namespace, pod.serviceAccountName ?? 'default');
    const result = await api.runKubectl(args, { kubeconfig });
    await rm(root, { recursive: true, force: true });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
    const status =
      result.exitCode === 0
        ? {
            startTime: now,
            completionTime: now,
            succeeded: 1,
            conditions: [condition('SuccessCriteriaMet'), condition('Complete')],
          }
        : { startTime: now, failed: 1, conditions: [condition('FailureTarget'), condition('Failed')] };
    await api.kubectl([
      'patch',
      'job',
      job.metadata.name,
      '-n',
      namespace,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status }),
    ]);
    return {
      name: job.metadata.name,
      args: container.args ?? [],
      exitCode: result.exitCode,
      output: `${result.stdout}${result.stderr}`,
    };
  }

  /** Runs `action` (a helm command) while running every Job it creates in `namespace`. */
  async function withJobs(namespace: string, action: () => Promise<ToolOutput>) {
    let settled = false;
    const running = action().finally(() => {
      settled = true;
    });
    const jobs: EmulatedJob[] = [];
    const seen = new Set<string>();
    let failure: Error | undefined;
    const loop = (async () => {
      while (!settled) {
        const list = await api.runKubectl(['get', 'jobs', '-n', namespace, '-o', 'json']);
        const items = list.exitCode === 0 ? (JSON.parse(list.stdout) as { items: Job[] }).items : [];
        for (const job of items) {
          const uid = job.metadata.uid ?? job.metadata.name;
          if (seen.has(uid) || (job.status?.conditions ?? []).some((c) => c.status === 'True')) continue;
          seen.add(uid);
          try {
            jobs.push(await runJob(job));
          } catch (error) {
            failure ??= error instanceof Error ? error : new Error(JSON.stringify(error));
          }
        }
        await sleep(150);
      }
    })();
    const [outcome] = await Promise.allSettled([running]);
    await loop;
    if (failure !== undefined) throw failure;
    if (outcome.status === 'rejected') {
      const failed = jobs.filter((j) => j.exitCode !== 0);
      if (failed.length === 0) throw outcome.reason as Error;
      throw new Error(
        `${(outcome.reason as Error).message}\n` +
          failed
            .map((j) => `job ${j.name} (kubectl ${j.args.join(' ')}) exit ${j.exitCode}: ${j.output}`)
            .join('\n'),
      );
    }
    return { output: outcome.value, jobs };
  }

  const chartArgs = (chartDir: string, namespace: string, options: RenderChartOptions) => [
    chartDir,
    '--namespace',
    namespace,
    '--timeout',
    '90s',
    ...helmValuesArgs(options),
  ];

  async function install(
    release: string,
    namespace: string,
    options: RenderChartOptions & { chartDir?: string } = {},
  ) {
    installed.set(release, namespace);
    return withJobs(namespace, () =>
      helm([
        'install',
        release,
        ...chartArgs(options.chartDir ?? CHART_DIR, namespace, options),
        '--create-namespace',
      ]),
    );
  }

  async function upgrade(
    release: string,
    namespace: string,
    options: RenderChartOptions & { chartDir?: string } = {},
  ) {
    return withJobs(namespace, () =>
      helm(['upgrade', release, ...chartArgs(options.chartDir ?? CHART_DIR, namespace, options)]),
    );
  }

  async function uninstall(release: string): Promise<void> {
    const namespace = installed.get(release);
    if (namespace === undefined) return;
    installed.delete(release);
    await helm(['uninstall', release, '--namespace', namespace, '--ignore-not-found']);
  }

  /** What the release applied (`helm get manifest`), read back from the API server. */
  async function releaseObjects(release: string, namespace: string) {
    const manifest = (await helm(['get', 'manifest', release, '--namespace', namespace])).stdout;
    const applied = parseManifests(manifest);
    const { stdout } = await api.kubectl(['get', '--namespace', namespace, '--filename', '-', '-o', 'json'], {
      input: manifest,
    });
    const live = JSON.parse(stdout) as { items?: KubeManifest[] } & KubeManifest;
    const items = Array.isArray(live.items) ? live.items : [live];
    return { applied, live: items };
  }

  async function secretData(namespace: string, name: string): Promise<Record<string, string>> {
    return (await getJson<{ data: Record<string, string> }>(['get', 'secret', name, '-n', namespace])).data;
  }

  async function providerBundle(name: string): Promise<string> {
    return decode(
      (await getJson<ProviderObject>(['get', 'providers.externaldata.gatekeeper.sh', name])).spec.caBundle,
    );
  }

  beforeAll(async () => {
    api = await startKubeApiserver();
    helmHome = await mkdtemp(join(tmpdir(), 'signet-helm-'));
    // The CRDs of the chart's optional kinds, from their projects' modules (versions in test/tools/versions.env).
    const gatekeeper = await goModuleDir(
      'github.com/open-policy-agent/gatekeeper/v3',
      versionOf('GATEKEEPER_VERSION'),
    );
    const certManager = await goModuleDir(
      'github.com/cert-manager/cert-manager',
      versionOf('CERT_MANAGER_VERSION'),
    );
    const prometheus = await goModuleDir(
      'github.com/prometheus-operator/prometheus-operator',
      versionOf('PROMETHEUS_OPERATOR_VERSION'),
    );
    const provider = parseAllDocuments(await readFile(join(gatekeeper, 'deploy', 'gatekeeper.yaml'), 'utf8'))
      .map((document) => document.toJS() as KubeManifest | null)
      .find(
        (o) =>
          o?.kind === 'CustomResourceDefinition' &&
          o.metadata.name === 'providers.externaldata.gatekeeper.sh',
      );
    if (provider === undefined || provider === null)
      throw new Error("Gatekeeper's release manifest has no Provider CRD");
    const crds = [
      // JSON, not YAML: kubectl reads YAML 1.1, where the label value `yes` would be a boolean.
      JSON.stringify(provider),
      await readFile(join(certManager, 'deploy', 'crds', 'cert-manager.io_certificates.yaml'), 'utf8'),
      await readFile(join(certManager, 'deploy', 'crds', 'cert-manager.io_issuers.yaml'), 'utf8'),
      await readFile(
        join(prometheus, 'example', 'prometheus-operator-crd', 'monitoring.coreos.com_servicemonitors.yaml'),
        'utf8',
      ),
    ];
    await api.kubectl(['apply', '--server-side', '-f', '-'], {
      input: crds.map((c) => `---\n${c}`).join('\n'),
    });
    await api.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/providers.externaldata.gatekeeper.sh',
      'crd/certificates.cert-manager.io',
      'crd/issuers.cert-manager.io',
      'crd/servicemonitors.monitoring.coreos.com',
    ]);
    await api.kubectl(['create', 'namespace', DEFAULT_NAMESPACE]);
  });

  afterEach(async () => {
    for (const release of [...installed.keys()]) await uninstall(release);
  });

  afterAll(async () => {
    await api?.stop();
    if (helmHome !== undefined) await rm(helmHome, { recursive: true, force: true });
  });

  it.each(VALUES_FILES)(
    'ci/%s: helm install creates every object as rendered; an upgrade keeps the certificates',
    async (file) => {
      const release = `ci-${file.replace(/-values\.yaml$/, '')}`;
      const namespace = DEFAULT_NAMESPACE;
      const fullname = `${release}-signet`;
      const { jobs } = await install(release, namespace, { valuesFiles: [file] });
      // The CRD hook ran once, as its ServiceAccount, and applied every chart CRD.
      expect(jobs.map((j) => [j.name, j.exitCode])).toEqual([[`${fullname}-crd-upgrade`, 0]]);
      expect(jobs[0]?.output.match(/serverside-applied/g)).toHaveLength(CRD_FILES.length);

      const { applied, live } = await releaseObjects(release, namespace);
      expect(kinds(live)).toEqual(kinds(applied));
      for (const object of applied) {
        const actual = live.find((o) => o.kind === object.kind && o.metadata.name === object.metadata.name);
        expect(subsetDifferences(actual, object, `${object.kind}/${object.metadata.name}`)).toEqual([]);
      }
      // Hook resources are gone once the Job succeeded.
      const hook = await api.runKubectl(['get', 'job', `${fullname}-crd-upgrade`, '-n', namespace]);
      expect(hook.stderr).toMatch(/NotFound/);

      // The Providers trust the CA that issued what signet serves.
      const providers = applied.filter((o) => o.kind === 'Provider').map((o) => o.metadata.name);
      expect(providers.sort()).toEqual(['ratify-mutation-provider', 'ratify-provider']);
      const bundle = await providerBundle('ratify-provider');
      const certManager = file === 'cert-manager-values.yaml';
      const tlsBefore = await secretData(namespace, certManager ? `${fullname}-ca` : `${fullname}-tls`);
      if (certManager) {
        expect(bundle).toBe(decode(tlsBefore['tls.crt'] ?? ''));
        const certificate = await getJson<{ spec: { issuerRef: { name: string } } }>([
          'get',
          'certificates.cert-manager.io',
          `${fullname}-serving`,
          '-n',
          namespace,
        ]);
        await api.kubectl([
          'get',
          'issuers.cert-manager.io',
          certificate.spec.issuerRef.name,
          '-n',
          namespace,
        ]);
      } else {
        expectServingPair(
          decode(tlsBefore['tls.crt'] ?? ''),
          decode(tlsBefore['tls.key'] ?? ''),
          bundle,
          `${fullname}.${namespace}.svc`,
        );
      }

      // helm upgrade: the CRD hook runs again; the chart CA and certificate stay (lookup), as does the bundle.
      const second = await upgrade(release, namespace, { valuesFiles: [file] });
      expect(second.jobs.map((j) => j.exitCode)).toEqual([0]);
      expect(await secretData(namespace, certManager ? `${fullname}-ca` : `${fullname}-tls`)).toEqual(
        tlsBefore,
      );
      expect(await providerBundle('ratify-provider')).toBe(bundle);
      expect(await providerBundle('ratify-mutation-provider')).toBe(bundle);

      await uninstall(release);
      expect((await api.runKubectl(['get', 'deployment', fullname, '-n', namespace])).stderr).toMatch(
        /NotFound/,
      );
      expect(
        (await api.runKubectl(['get', 'provider.externaldata.gatekeeper.sh', 'ratify-provider'])).stderr,
      ).toMatch(/NotFound/);
      // CRDs outlive the release (Helm never deletes crds/).
      await api.kubectl(['get', 'crd', 'verifiers.config.ratify.deislabs.io']);
    },
  );

  it('tls.regenerate rotates the chart-generated certificate, trusting old and new CA for one release', async () => {
    const release = 'ci-rotate';
    const namespace = DEFAULT_NAMESPACE;
    const secret = `${release}-signet-tls`;
    const host = `${release}-signet.${namespace}.svc`;
    await install(release, namespace);
    const first = await secretData(namespace, secret);
    const firstCa = decode(first['ca.crt'] ?? '');
    expect(pemBlocks(await providerBundle('ratify-provider'))).toEqual(pemBlocks(firstCa));

    await upgrade(release, namespace, { set: ['tls.regenerate=true'] });
    const second = await secretData(namespace, secret);
    const secondCa = decode(second['ca.crt'] ?? '');
    expect(second['tls.crt']).not.toBe(first['tls.crt']);
    expect(secondCa).not.toBe(firstCa);
    const rotating = await providerBundle('ratify-provider');
    expect(pemBlocks(rotating)).toEqual([...pemBlocks(secondCa), ...pemBlocks(firstCa)]);
    // Pods that still serve the old certificate and those that reloaded the new one are both trusted.
    expectServingPair(decode(first['tls.crt'] ?? ''), decode(first['tls.key'] ?? ''), rotating, host);
    expectServingPair(decode(second['tls.crt'] ?? ''), decode(second['tls.key'] ?? ''), rotating, host);

    // The next upgrade reuses tls.regenerate=true (helm upgrade without values reuses them): no second rotation,
    // and the old CA leaves the bundle.
    await upgrade(release, namespace);
    expect(await secretData(namespace, secret)).toEqual(second);
    expect(pemBlocks(await providerBundle('ratify-provider'))).toEqual(pemBlocks(secondCa));
    // Turning it off and on again rotates again.
    await upgrade(release, namespace, { set: ['tls.regenerate=false'] });
    expect(await secretData(namespace, secret)).toEqual(second);
    await upgrade(release, namespace, { set: ['tls.regenerate=true'] });
    const third = await secretData(namespace, secret);
    expect(third['ca.crt']).not.toBe(second['ca.crt']);
    expect(pemBlocks(await providerBundle('ratify-provider'))).toEqual([
      ...pemBlocks(decode(third['ca.crt'] ?? '')),
      ...pemBlocks(secondCa),
    ]);
  });

  it('deploy/manifests/signet.yaml applies server-side and reads back as written', async () => {
    await api.kubectl(['apply', '--server-side', '-f', PLAIN_MANIFEST]);
    const objects = parseManifests(await readFile(PLAIN_MANIFEST, 'utf8'));
    const { items } = await getJson<{ items: KubeManifest[] }>(['get', '-f', PLAIN_MANIFEST]);
    expect(kinds(items)).toEqual(kinds(objects));
    for (const object of objects) {
      const actual = items.find((o) => o.kind === object.kind && o.metadata.name === object.metadata.name);
      expect(subsetDifferences(actual, object, `${object.kind}/${object.metadata.name}`)).toEqual([]);
    }
    for (const kind of ['deployment', 'service', 'serviceaccount', 'poddisruptionbudget']) {
      await api.kubectl(['delete', kind, 'signet', '-n', DEFAULT_NAMESPACE]);
    }
  });

  it('helm upgrade carries a CRD change: chart v2 adds a field, which is served before v2 uses it', async () => {
    const release = 'ci-crd';
    const namespace = 'crd-upgrade';
    const v2 = await mkdtemp(join(tmpdir(), 'signet-chart-v2-'));
    try {
      cpSync(CHART_DIR, v2, { recursive: true });
      const crdPath = join(v2, 'crds', 'config.ratify.deislabs.io_stores.yaml');
      const crd = parse(await readFile(crdPath, 'utf8')) as {
        spec: {
          versions: {
            schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } };
          }[];
        };
      };
      const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec;
      if (spec === undefined) throw new Error('stores CRD has no spec schema');
      spec.properties['chartTestField'] = { type: 'string', description: 'added by chart v2 (test)' };
      await writeFile(crdPath, stringify(crd));
      const helpersPath = join(v2, 'templates', '_helpers.tpl');
      const helpers = await readFile(helpersPath, 'utf8');
      expect(helpers).toContain('spec:\n  name: oras\n');
      await writeFile(
        helpersPath,
        helpers.replace('spec:\n  name: oras\n', 'spec:\n  name: oras\n  chartTestField: v2\n'),
      );
      const chartPath = join(v2, 'Chart.yaml');
      await writeFile(
        chartPath,
        (await readFile(chartPath, 'utf8')).replace(/^version: .*$/m, 'version: 99.0.0-crdtest'),
      );

      await install(release, namespace, { valuesFiles: ['kubernetes-source-values.yaml'] });
      // Chart v1's CRD does not know the field: strict field validation refuses it.
      const probe = stringify({
        apiVersion: RATIFY_API,
        kind: 'Store',
        metadata: { name: 'probe' },
        spec: { name: 'oras', chartTestField: 'probe' },
      });
      const refused = await api.runKubectl(['apply', '--server-side', '-f', '-'], { input: probe });
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toMatch(/\.spec\.chartTestField: field not declared in schema/);

      const { jobs } = await upgrade(release, namespace, {
        chartDir: v2,
        valuesFiles: ['kubernetes-source-values.yaml'],
      });
      expect(jobs.map((j) => j.exitCode)).toEqual([0]);
      expect(jobs[0]?.output).toContain(
        'customresourcedefinition.apiextensions.k8s.io/stores.config.ratify.deislabs.io serverside-applied',
      );
      // The seeded Store, applied by Helm after the hook, carries the new field (it would have been refused).
      const store = await getJson<{
        spec: Record<string, unknown>;
        metadata: { labels: Record<string, string> };
      }>(['get', 'stores.config.ratify.deislabs.io', 'store-oras']);
      expect(store.spec['chartTestField']).toBe('v2');
      expect(store.metadata.labels['helm.sh/chart']).toBe('signet-99.0.0-crdtest');
      await api.kubectl(['apply', '--server-side', '-f', '-'], { input: probe });
      await api.kubectl(['delete', 'stores.config.ratify.deislabs.io', 'probe']);
      const history = await helm(['history', release, '--namespace', namespace, '-o', 'json']);
      expect(
        (JSON.parse(history.stdout) as { revision: number; status: string }[]).map((r) => [
          r.revision,
          r.status,
        ]),
      ).toEqual([
        [1, 'superseded'],
        [2, 'deployed'],
      ]);
    } finally {
      await rm(v2, { recursive: true, force: true });
    }
  });
});
