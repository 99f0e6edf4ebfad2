// The Helm chart (deploy/helm/signet) rendered by the real helm that test/tools/setup.sh builds, and the wiring of
// its signet container read back from the rendered Deployment: the `serve` arguments, the environment and every
// file the pod mounts (with the content when the chart itself renders the Secret or ConfigMap behind it), so a test
// bed can run signet with exactly the chart's flags and file layout.
import { isAbsolute, join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './process.js';
import { runTool } from './tools.js';

export const CHART_DIR = join(REPO_ROOT, 'deploy', 'helm', 'signet');
/** The values files `helm lint` and the chart tests run with (chart-testing's `ci/` convention). */
export const CHART_CI_DIR = join(CHART_DIR, 'ci');

export interface KubeManifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

export interface RenderChartOptions {
  /** Release name (default `signet`). */
  readonly release?: string;
  /** Release namespace (default `gatekeeper-system`, where Ratify is installed). */
  readonly namespace?: string;
  /** Values files, relative to the chart's ci/ directory or absolute. */
  readonly valuesFiles?: readonly string[];
  /** `--set` expressions. */
  readonly set?: readonly string[];
  /** Also render crds/ (`--include-crds`). */
  readonly includeCrds?: boolean;
  /** Leave out hooks (`--no-hooks`). */
  readonly noHooks?: boolean;
  /** Another copy of the chart. */
  readonly chartDir?: string;
}

export const DEFAULT_RELEASE = 'signet';
export const DEFAULT_NAMESPACE = 'gatekeeper-system';

function valuesPath(file: string): string {
  return isAbsolute(file) ? file : join(CHART_CI_DIR, file);
}

/** `helm template` arguments for these options (also what `helm install` takes after the release and chart). */
export function helmValuesArgs(options: RenderChartOptions): string[] {
  return [
    ...(options.valuesFiles ?? []).flatMap((file) => ['--values', valuesPath(file)]),
    ...(options.set ?? []).flatMap((expression) => ['--set', expression]),
  ];
}

/** The chart rendered by `helm template` (multi-document YAML). */
export async function helmTemplate(options: RenderChartOptions = {}): Promise<string> {
  const { stdout } = await runTool('helm', [
    'template',
    options.release ?? DEFAULT_RELEASE,
    options.chartDir ?? CHART_DIR,
    '--namespace',
    options.namespace ?? DEFAULT_NAMESPACE,
    ...(options.includeCrds ? ['--include-crds'] : []),
    ...(options.noHooks ? ['--no-hooks'] : []),
    ...helmValuesArgs(options),
  ]);
  return stdout;
}

function isManifest(value: unknown): value is KubeManifest {
  if (typeof value !== 'object' || value === null) return false;
  const object = value as { kind?: unknown; apiVersion?: unknown; metadata?: { name?: unknown } };
  return (
    typeof object.kind === 'string' &&
    typeof object.apiVersion === 'string' &&
    typeof object.metadata?.name === 'string'
  );
}

/** The objects of a multi-document manifest (empty documents and comments skipped). */
export function parseManifests(text: string): KubeManifest[] {
  const objects: KubeManifest[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`rendered YAML: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (!isManifest(value))
      throw new Error(`rendered YAML holds a document that is no object: ${JSON.stringify(value)}`);
    objects.push(value);
  }
  return objects;
}

export async function renderChart(options: RenderChartOptions = {}): Promise<KubeManifest[]> {
  return parseManifests(await helmTemplate(options));
}

/** The one object of `kind` (and `name`, when given); throws listing what was rendered otherwise. */
export function findManifest(objects: readonly KubeManifest[], kind: string, name?: string): KubeManifest {
  const matches = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (matches.length !== 1) {
    throw new Error(
      `expected one ${kind}${name === undefined ? '' : ` ${name}`}, rendered ${matches.length}: ` +
        objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', '),
    );
  }
  return matches[0] as KubeManifest;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: unknown;
}

export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
  readonly subPath?: string;
}

interface KeyToPath {
  readonly key: string;
  readonly path: string;
}

interface Volume {
  readonly name: string;
  readonly secret?: { readonly secretName: string; readonly items?: readonly KeyToPath[] };
  readonly configMap?: { readonly name: string; readonly items?: readonly KeyToPath[] };
  readonly emptyDir?: unknown;
  readonly [source: string]: unknown;
}

interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly volumeMounts?: readonly VolumeMount[];
}

export type MountedFileSource =
  | { readonly kind: 'secret' | 'configMap'; readonly name: string; readonly key?: string }
  | { readonly kind: 'emptyDir' }
  | { readonly kind: 'other'; readonly volume: Readonly<Record<string, unknown>> };

export interface MountedFile {
  /** Path in the container: a file, or the mount directory when the keys are not known (a Secret the chart does not render, an emptyDir). */
  readonly path: string;
  readonly volume: string;
  readonly readOnly: boolean;
  readonly source: MountedFileSource;
  /** The file's content when the chart renders the Secret or ConfigMap it comes from. */
  readonly content?: string;
}

export interface RenderedSignetDeployment {
  readonly image: string;
  /** The container's command (empty: the image's entrypoint, `signet`). */
  readonly command: readonly string[];
  /** `signet` arguments, starting with `serve`. */
  readonly args: readonly string[];
  readonly env: readonly EnvVar[];
  readonly volumeMounts: readonly VolumeMount[];
  readonly files: readonly MountedFile[];
  /** Every object the chart rendered, for anything else a bed needs (Providers, the config ConfigMap, ...). */
  readonly objects: readonly KubeManifest[];
}

/** data (base64) and stringData of a rendered Secret, data of a rendered ConfigMap, decoded. */
function renderedData(objects: readonly KubeManifest[], kind: 'Secret' | 'ConfigMap', name: string) {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (object === undefined) return undefined;
  const data = new Map<string, string>();
  for (const [key, value] of Object.entries((object['data'] as Record<string, string> | undefined) ?? {})) {
    data.set(key, kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value);
  }
  for (const [key, value] of Object.entries(
    (object['stringData'] as Record<string, string> | undefined) ?? {},
  )) {
    data.set(key, value);
  }
  return data;
}

function mountedFiles(
  mount: VolumeMount,
  volume: Volume | undefined,
  objects: readonly KubeManifest[],
): MountedFile[] {
  const readOnly = mount.readOnly ?? false;
  const base = { volume: mount.name, readOnly };
  if (volume === undefined) throw new Error(`volumeMount ${mount.name} names no volume of the pod`);
  const projected =
    volume.secret !== undefined
      ? { kind: 'secret' as const, name: volume.secret.secretName, items: volume.secret.items }
      : volume.configMap !== undefined
        ? { kind: 'configMap' as const, name: volume.configMap.name, items: volume.configMap.items }
        : undefined;
  if (projected === undefined) {
    if (volume.emptyDir !== undefined)
      return [{ ...base, path: mount.mountPath, source: { kind: 'emptyDir' } }];
    const source = Object.fromEntries(Object.entries(volume).filter(([key]) => key !== 'name'));
    return [{ ...base, path: mount.mountPath, source: { kind: 'other', volume: source } }];
  }
  const data = renderedData(objects, projected.kind === 'secret' ? 'Secret' : 'ConfigMap', projected.name);
  const entries: KeyToPath[] =
    projected.items !== undefined
      ? [...projected.items]
      : [...(data?.keys() ?? [])].map((key) => ({ key, path: key }));
  if (mount.subPath !== undefined) {
    const entry = entries.find((e) => e.path === mount.subPath);
    return [
      {
        ...base,
        path: mount.mountPath,
        source: { kind: projected.kind, name: projected.name, key: entry?.key ?? mount.subPath },
        content: data?.get(entry?.key ?? mount.subPath),
      },
    ];
  }
  if (entries.length === 0) {
    return [{ ...base, path: mount.mountPath, source: { kind: projected.kind, name: projected.name } }];
  }
  return entries.map((entry) => ({
    ...base,
    path: posix.join(mount.mountPath, entry.path),
    source: { kind: projected.kind, name: projected.name, key: entry.key },
    content: data?.get(entry.key),
  }));
}

/**
 * The signet container of the chart's Deployment rendered with `valuesFile` (a ci/ file name or an absolute path;
 * none: the chart's defaults): its command, `serve` arguments, environment, mounts and the files they put in the
 * container.
 */
export async function renderedSignetArgs(
  valuesFile?: string | readonly string[],
  options: Omit<RenderChartOptions, 'valuesFiles'> = {},
): Promise<RenderedSignetDeployment> {
  const valuesFiles =
    valuesFile === undefined ? [] : typeof valuesFile === 'string' ? [valuesFile] : valuesFile;
  const objects = await renderChart({ ...options, valuesFiles });
  const deployment = findManifest(objects, 'Deployment') as KubeManifest & {
    spec: { template: { spec: { containers: readonly Container[]; volumes?: readonly Volume[] } } };
  };
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === 'signet');
  if (container === undefined) throw new Error('the rendered Deployment has no container named signet');
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  const volumeMounts = container.volumeMounts ?? [];
  return {
    image: container.image,
    command: container.command ?? [],
    args: container.args ?? [],
    env: container.env ?? [],
    volumeMounts,
    files: volumeMounts.flatMap((mount) => mountedFiles(mount, volumes.get(mount.name), objects)),
    objects,
  };
}
