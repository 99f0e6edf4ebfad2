// Kubernetes-config test helpers: the chart's RBAC rendered for a release (the exact rules the chart
// ships, so the e2e proves them least-privilege) and manifests for Ratify resources.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import type { KubeApiserver } from './kube-apiserver.js';
import { REPO_ROOT, startProvider, type StartedProvider } from './process.js';

/** Re-exported for k8s-config.e2e.test.ts, which reads its seeds through this module. */
export { seedPath } from './seeds.js';

export const CRD_DIR = join(REPO_ROOT, 'deploy', 'crds');
const RBAC_TEMPLATE = join(REPO_ROOT, 'deploy', 'helm', 'signet', 'templates', 'rbac.yaml');

/** The ServiceAccount the chart creates for `release` (templates/_helpers.tpl `signet.fullname`). */
export function signetServiceAccount(release: string): string {
  return `${release}-signet`;
}

/**
 * templates/rbac.yaml rendered for `release` in `namespace` with `configSource: kubernetes`: the few
 * template expressions it uses are substituted, and any other one is an error (so this stays honest
 * when the template grows).
 */
export async function renderSignetRbac(release: string, namespace: string): Promise<string> {
  const template = await readFile(RBAC_TEMPLATE, 'utf8');
  const rendered = template
    .replace(/^\{\{- if eq \.Values\.configSource "kubernetes" \}\}\n/m, '')
    .replace(/^\{\{- end \}\}\n?/m, '')
    .replaceAll('{{ include "signet.fullname" . }}', signetServiceAccount(release))
    .replaceAll('{{ include "signet.serviceAccountName" . }}', signetServiceAccount(release))
    .replaceAll('{{ .Release.Namespace }}', namespace)
    .replaceAll(
      '{{- include "signet.labels" . | nindent 4 }}',
      `\n    app.kubernetes.io/name: signet\n    app.kubernetes.io/instance: ${release}`,
    );
  if (rendered.includes('{{'))
    throw new Error(`renderSignetRbac: unhandled template expression in ${RBAC_TEMPLATE}`);
  return rendered;
}

/**
 * Installs signet's CRDs (waiting until they are served), creates `namespace` and `otherNamespaces`, applies
 * the chart's RBAC for `release` in `namespace` and returns a kubeconfig for its ServiceAccount.
 */
export async function prepareSignetNamespace(
  api: KubeApiserver,
  release: string,
  namespace: string,
  otherNamespaces: readonly string[] = [],
): Promise<string> {
  await api.kubectl(['apply', '-f', CRD_DIR]);
  await api.kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd',
    '-l',
    'app.kubernetes.io/part-of=signet',
  ]);
  for (const name of [namespace, ...otherNamespaces]) await api.kubectl(['create', 'namespace', name]);
  await api.kubectl(['apply', '-f', '-'], { input: await renderSignetRbac(release, namespace) });
  return api.kubeconfigForServiceAccount(namespace, signetServiceAccount(release));
}

/**
 * signet over plain HTTP reading its configuration from `namespace` through `kubeconfig`; `env` is merged over
 * the test process's environment (e.g. PATH and HOME for docker credential helpers).
 */
export function startSignetOnKubernetes(
  kubeconfig: string,
  namespace: string,
  resyncSeconds: number,
  env: NodeJS.ProcessEnv = {},
): Promise<StartedProvider> {
  return startProvider(
    [
      '--insecure-http',
      '--config-source',
      'kubernetes',
      '--namespace',
      namespace,
      '--kube-resync',
      String(resyncSeconds),
      '--log-level',
      'info',
    ],
    { ...env, KUBECONFIG: kubeconfig },
  );
}

/** One Ratify resource as YAML (`kubectl apply -f -` input). */
export function ratifyResource(
  kind: string,
  metadata: { readonly name: string; readonly namespace?: string },
  spec: Record<string, unknown>,
): string {
  return stringify({ apiVersion: 'config.ratify.deislabs.io/v1beta1', kind, metadata, spec });
}

/** One kritis resource (`kritis.grafeas.io/v1beta1`) as YAML. */
export function kritisResource(
  kind: 'AttestationAuthority' | 'GenericAttestationPolicy',
  metadata: { readonly name: string; readonly namespace?: string },
  spec: Record<string, unknown>,
): string {
  return stringify({ apiVersion: 'kritis.grafeas.io/v1beta1', kind, metadata, spec });
}

/** An object's `status` as kubectl reads it (`{}` while nothing was written). */
export async function readStatus(
  api: KubeApiserver,
  resource: string,
  name: string,
  namespace?: string,
): Promise<Record<string, unknown>> {
  const args = ['get', resource, name, '-o', 'json', ...(namespace === undefined ? [] : ['-n', namespace])];
  const { stdout } = await api.kubectl(args);
  return (JSON.parse(stdout) as { status?: Record<string, unknown> }).status ?? {};
}

/**
 * Polls `condition` every 100 ms until it holds and resolves with the milliseconds it took; after
 * `limitMs` fails naming `what`, with `context()` (e.g. signet's output) appended.
 */
export async function pollUntil(
  what: string,
  condition: () => Promise<boolean>,
  options: { readonly limitMs: number; readonly context?: () => string },
): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > options.limitMs) {
      throw new Error(
        `timed out after ${options.limitMs} ms waiting for ${what}\n${options.context?.() ?? ''}`,
      );
    }
    await sleep(100);
  }
  return Date.now() - started;
}

/** A notation Verifier trusting the certificates of `providers` for every registry, any identity. */
export function notationVerifier(
  kind: 'Verifier' | 'NamespacedVerifier',
  metadata: { readonly name: string; readonly namespace?: string },
  providers: readonly string[],
  options: { readonly specName?: string; readonly version?: string } = {},
): string {
  return ratifyResource(kind, metadata, {
    name: options.specName ?? 'notation',
    type: 'notation',
    artifactTypes: 'application/vnd.cncf.notary.signature',
    parameters: {
      verificationCertStores: { certs: providers },
      trustPolicyDoc: {
        version: options.version ?? '1.0',
        trustPolicies: [
          {
            name: 'default',
            registryScopes: ['*'],
            signatureVerification: { level: 'strict' },
            trustStores: ['ca:certs'],
            trustedIdentities: ['*'],
          },
        ],
      },
    },
  });
}

/** A Secret manifest with string data. */
export function secretManifest(
  namespace: string,
  name: string,
  data: Record<string, string>,
  type = 'Opaque',
): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type,
    stringData: data,
  });
}
