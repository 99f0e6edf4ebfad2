// `signet serve` started out of cluster with exactly the wiring of the Helm chart's Deployment: the rendered
// container's command, args and env, and every file it mounts written under a directory of the caller's. The
// bed's own certificates replace the chart's TLS material (see startChartSignet), and a small rewrite table maps the
// container's paths and fixed ports onto this host; nothing else of the rendered arguments is changed.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { stringify } from 'yaml';
import { toProviderResource } from '../../provider/server/provider-cr.js';
import { DEFAULT_NAMESPACE, renderedSignetArgs, type RenderedSignetDeployment } from './chart-deployment.js';
import type { Gatekeeper, KubeObject, SignetForGatekeeper } from './gatekeeper.js';
import { createCa, issue } from './pki.js';
import { freePort, startSignetProcess } from './process.js';

/**
 * How the rendered arguments become this host's. Only these rewrites are made, nothing else:
 *  - paths: an argument value that is a container mount path, or lies under one (`--tls-cert=/etc/signet/tls/tls.crt`),
 *    gets the mount path replaced by the host directory the mount's files were written to;
 *  - ports: the value of `--port=` and `--metrics-port=` (the chart's fixed 6001 / 8888 would collide between beds
 *    and with the CI run) is replaced by a free loopback port;
 *  - host: `--host=127.0.0.1` is appended (the chart sets no host: all interfaces, which a pod's network namespace
 *    confines and a test host does not).
 */
export interface ChartArgRewrite {
  /** Container mount path → host directory. */
  readonly paths: ReadonlyMap<string, string>;
  readonly port: number;
  readonly metricsPort: number;
  /** Arguments appended after the rendered ones. */
  readonly appended: readonly string[];
}

export const PORT_FLAGS = { '--port': 'port', '--metrics-port': 'metricsPort' } as const;

function rewritePath(value: string, paths: ReadonlyMap<string, string>): string {
  // Longest mount path first, so nested mounts map to their own directory.
  for (const [mountPath, hostDir] of [...paths].sort((a, b) => b[0].length - a[0].length)) {
    if (value === mountPath) return hostDir;
    if (value.startsWith(`${mountPath}/`)) return join(hostDir, value.slice(mountPath.length + 1));
  }
  return value;
}

/** The rendered `args` with the rewrite applied: what signet is started with. */
export function rewriteChartArgs(args: readonly string[], rewrite: ChartArgRewrite): string[] {
  const rewritten = args.map((arg) => {
    const equals = arg.indexOf('=');
    if (!arg.startsWith('--') || equals < 0) return rewritePath(arg, rewrite.paths);
    const flag = arg.slice(0, equals);
    const portKey = PORT_FLAGS[flag as keyof typeof PORT_FLAGS] as 'port' | 'metricsPort' | undefined;
    if (portKey !== undefined) return `${flag}=${rewrite[portKey]}`;
    return `${flag}=${rewritePath(arg.slice(equals + 1), rewrite.paths)}`;
  });
  return [...rewritten, ...rewrite.appended];
}

/** The container's env for this host: plain values as rendered; the pod namespace fieldRef resolved. */
function resolveEnv(rendered: RenderedSignetDeployment, namespace: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of rendered.env) {
    if (variable.value !== undefined) {
      env[variable.name] = variable.value;
      continue;
    }
    const fieldPath = (variable.valueFrom as { fieldRef?: { fieldPath?: string } } | undefined)?.fieldRef
      ?.fieldPath;
    if (fieldPath === 'metadata.namespace') {
      env[variable.name] = namespace;
      continue;
    }
    throw new Error(
      `env ${variable.name}: valueFrom ${JSON.stringify(variable.valueFrom)} has no bed equivalent`,
    );
  }
  return env;
}

export interface ChartSignet extends SignetForGatekeeper {
  readonly rendered: RenderedSignetDeployment;
  readonly rewrite: ChartArgRewrite;
  /** `rewriteChartArgs(rendered.args, rewrite)`: the signet arguments the process runs with. */
  readonly expectedArgv: readonly string[];
}

export interface StartChartSignetOptions {
  /** Values files (ci/ names or absolute), before the bed's own overrides. */
  readonly valuesFiles: readonly string[];
  /** Values the bed sets at start, written to a values file after `valuesFiles` (e.g. notationCerts). */
  readonly values?: Readonly<Record<string, unknown>>;
  /** Where certificates, the bed's values file and the mounted files are written. */
  readonly dir: string;
  readonly namespace?: string;
}

/**
 * signet as Gatekeeper's provider, with the chart's Deployment wiring. The bed makes its own serving CA and
 * certificate and passes Gatekeeper's CA: its CA goes in as `tls.caBundle` (the Providers' caBundle) and Gatekeeper's
 * CA as `gatekeeper.clientCA.pem` (chart values, so the chart renders the client CA file itself); the serving
 * certificate and key are written in place of the chart-generated tls.crt / tls.key the tls volume mounts (the chart
 * takes no certificate content as a value, only an existing Secret it does not render).
 */
export async function startChartSignet(
  gatekeeper: Pick<Gatekeeper, 'ca'>,
  options: StartChartSignetOptions,
): Promise<ChartSignet> {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const certDir = join(options.dir, 'certs');
  await mkdir(certDir, { recursive: true });
  const ca = await createCa(certDir, 'signet-ca');
  const serving = await issue(certDir, ca, 'signet-server', 'serverAuth');
  const caPem = await readFile(ca.cert, 'utf8');
  const bedValuesPath = join(options.dir, 'bed-values.yaml');
  await writeFile(
    bedValuesPath,
    stringify({
      ...options.values,
      tls: { caBundle: Buffer.from(caPem).toString('base64') },
      gatekeeper: { clientCA: { pem: await readFile(gatekeeper.ca.cert, 'utf8') } },
    }),
  );
  const rendered = await renderedSignetArgs([...options.valuesFiles, bedValuesPath], { namespace });
  if (rendered.command.length > 0)
    throw new Error(
      `the chart sets command ${JSON.stringify(rendered.command)}; the bed runs signet's entrypoint`,
    );

  // Every mount gets a host directory mirroring its container path under mounts/.
  const mountsDir = join(options.dir, 'mounts');
  const paths = new Map(
    rendered.volumeMounts.map((m) => [m.mountPath, join(mountsDir, ...m.mountPath.split('/'))]),
  );
  // The bed's serving certificate and key, written in place of the chart-generated ones the tls volume mounts.
  const servingFiles: Record<string, string> = {
    'tls.crt': await readFile(serving.cert, 'utf8'),
    'tls.key': await readFile(serving.key, 'utf8'),
  };
  for (const file of rendered.files) {
    const hostPath = rewritePath(file.path, paths);
    if (file.source.kind === 'emptyDir') {
      await mkdir(hostPath, { recursive: true });
      continue;
    }
    const content = file.volume === 'tls' ? servingFiles[posix.basename(file.path)] : file.content;
    if (content === undefined) {
      throw new Error(
        `mounted file ${file.path} (${JSON.stringify(file.source)}) has no content for the bed`,
      );
    }
    await mkdir(dirname(hostPath), { recursive: true });
    await writeFile(hostPath, content, { mode: 0o600 });
  }

  const rewrite: ChartArgRewrite = {
    paths,
    port: await freePort(),
    metricsPort: await freePort(),
    appended: ['--host=127.0.0.1'],
  };
  const expectedArgv = rewriteChartArgs(rendered.args, rewrite);
  const provider = await startSignetProcess(expectedArgv, {
    port: rewrite.port,
    metricsPort: rewrite.metricsPort,
    // The container's environment plus the host's (PATH, HOME, ... which the image provides in a pod).
    env: resolveEnv(rendered, namespace),
  });
  const providerResourceAt = (name: string, url: string, timeoutSeconds: number): KubeObject =>
    toProviderResource({ name, url, timeoutSeconds, caBundlePem: caPem });
  const endpointPath = (endpoint: 'verify' | 'mutate'): string => {
    const flag = endpoint === 'verify' ? '--verify-path=' : '--mutate-path=';
    const arg = rendered.args.find((a) => a.startsWith(flag));
    return arg === undefined ? `/ratify/gatekeeper/v1/${endpoint}` : arg.slice(flag.length);
  };
  return {
    provider,
    caPem,
    providerResource: (name, endpoint, timeoutSeconds) =>
      providerResourceAt(name, `${provider.url}${endpointPath(endpoint)}`, timeoutSeconds),
    providerResourceAt,
    stop: () => provider.stop(),
    rendered,
    rewrite,
    expectedArgv,
  };
}
