// The side-by-side benchmark (the default of `npm run bench`): signet and Ratify v1.4.6 answer the same Gatekeeper
// ProviderRequests for the same notation-signed images on the same registries, one after the other, each as a fresh
// process per scenario, behind a fresh counting (and, when asked, delaying) fault proxy. See bench/README.md.
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execFileSync } from 'node:child_process';
import { startFaultProxy } from '../test/helpers/fault-proxy.js';
import { createNotationSigner } from '../test/helpers/notation.js';
import { REPO_ROOT, startProvider } from '../test/helpers/process.js';
import { notationConfig } from '../test/helpers/ratify-config.js';
import { startRegistry } from '../test/helpers/registry.js';
import { dockerRegistryInstalled, startDockerRegistry, DOCKER_REGISTRY_BINARY } from './docker-registry.js';
import { copyReferrersToTagSchema, forEachLimited, makeImage, pushImage, type BenchImage } from './images.js';
import { startRatify } from './ratify.js';
import {
  markdownReport,
  ratios,
  svgChart,
  type Comparison,
  type Measurement,
  type Percentiles,
  type RegistryName,
  type ScenarioDefinition,
  type SideBySideReport,
  type SystemName,
} from './report.js';
import { buildSignet, startSignet } from './signet.js';

/** The scenarios at scale 1; each runs once per registry and system. */
export const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    name: 'cold-100-0ms',
    title: 'cold audit batch in one request, registry on loopback (no added latency)',
    kind: 'cold',
    uniqueImages: 100,
    keysPerRequest: 100,
    requests: 1,
    concurrency: 1,
    latencyMs: 0,
    keyForm: 'tag',
  },
  {
    name: 'cold-100-20ms',
    title: 'cold audit batch in one request, 20 ms added to every registry request',
    kind: 'cold',
    uniqueImages: 100,
    keysPerRequest: 100,
    requests: 1,
    concurrency: 1,
    latencyMs: 20,
    keyForm: 'tag',
  },
  {
    name: 'cold-500-20ms',
    title: 'large cold audit batch in one request, 20 ms registry latency',
    kind: 'cold',
    uniqueImages: 500,
    keysPerRequest: 500,
    requests: 1,
    concurrency: 1,
    latencyMs: 20,
    keyForm: 'tag',
  },
  {
    name: 'rollout-20ms',
    title:
      'cold rollout: one-key admission requests, 4 pods per image, so an image is asked again while its first ' +
      'answer may still be in flight',
    kind: 'cold',
    uniqueImages: 50,
    keysPerRequest: 1,
    requests: 200,
    concurrency: 50,
    latencyMs: 20,
    keyForm: 'tag',
  },
  {
    name: 'warm-digest',
    title:
      'warm repeat within the cache TTL, after one unmeasured pass over every key; a registry request would show ' +
      'as a slow answer',
    kind: 'warm',
    uniqueImages: 100,
    keysPerRequest: 10,
    requests: 400,
    concurrency: 8,
    latencyMs: 20,
    keyForm: 'digest',
  },
];

export interface SideBySideOptions {
  readonly registries: readonly RegistryName[];
  /** Scenario names (default: all). */
  readonly scenarios?: readonly string[];
  readonly systems: readonly SystemName[];
  /** Multiplies image and request counts (for quick runs while developing); 1 is the published benchmark. */
  readonly scale: number;
  readonly out: string;
  /** Run signet from source with tsx (as the single-system bench does) instead of a fresh dist-bench build. */
  readonly fromSource: boolean;
}

const REQUEST_TIMEOUT_MS = 30_000;
const PHASE_MAX_SECONDS = 120;
const RESULT_CACHE_TTL_SECONDS = 300;
const CLOCK_TICKS = clockTicks();

function clockTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

function scaled(definition: ScenarioDefinition, scale: number): ScenarioDefinition {
  if (scale === 1) return definition;
  const uniqueImages = Math.max(1, Math.round(definition.uniqueImages * scale));
  const audit = definition.keysPerRequest === definition.uniqueImages;
  return {
    ...definition,
    uniqueImages,
    keysPerRequest: audit ? uniqueImages : Math.min(definition.keysPerRequest, uniqueImages),
    requests: Math.max(1, Math.round(definition.requests * scale)),
  };
}

/** utime + stime of a process in seconds (/proc/<pid>/stat fields 14 and 15). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Peak resident set size in MiB (VmHWM, the kernel's high-water mark), as the single-system bench reads it. */
async function rssMiB(pid: number, field: 'VmHWM' | 'VmRSS' = 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return match?.[1] === undefined ? 0 : Math.round(Number(match[1]) / 1024);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] ?? 0) * 10) / 10;
}

interface LoadResult {
  readonly requests: number;
  readonly requestErrors: number;
  readonly keys: number;
  readonly answered: number;
  readonly verified: number;
  readonly failed: number;
  readonly seconds: number;
  readonly latencyMs: Percentiles;
  readonly failureSamples: readonly string[];
}

interface ResponseItem {
  key?: string;
  error?: string;
  value?: {
    isSuccess?: boolean;
    verifierReports?: { message?: string; errorReason?: string }[];
  };
}

/** Posts each request of `plan` (a list of key lists), `concurrency` at a time; bounded by PHASE_MAX_SECONDS. */
async function runLoad(
  url: string,
  plan: readonly (readonly string[])[],
  concurrency: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const samples = new Set<string>();
  const sample = (text: string): void => {
    if (samples.size < 3) samples.add(text.slice(0, 240));
  };
  let next = 0;
  let requestErrors = 0;
  let keys = 0;
  let answered = 0;
  let verified = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + PHASE_MAX_SECONDS * 1000;
  const worker = async (): Promise<void> => {
    while (next < plan.length && performance.now() < deadline) {
      const requestKeys = plan[next++] ?? [];
      keys += requestKeys.length;
      const t0 = performance.now();
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
            kind: 'ProviderRequest',
            request: { keys: requestKeys },
          }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const parsed = (await response.json()) as {
          response?: { items?: ResponseItem[]; systemError?: string };
        };
        if (!response.ok || parsed.response?.systemError) {
          requestErrors += 1;
          sample(`HTTP ${response.status}: ${parsed.response?.systemError ?? ''}`);
        }
        // Ratify answers in random order (and as v1alpha1): match items by key.
        const items = new Map((parsed.response?.items ?? []).map((item) => [item.key, item]));
        for (const key of requestKeys) {
          const item = items.get(key);
          if (item === undefined) continue;
          answered += 1;
          if (item.value?.isSuccess === true) {
            verified += 1;
          } else {
            failed += 1;
            const report = item.value?.verifierReports?.[0];
            sample(item.error ?? report?.errorReason ?? report?.message ?? JSON.stringify(item.value));
          }
        }
      } catch (error) {
        requestErrors += 1;
        sample(error instanceof Error ? error.message : String(error));
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    requests: latencies.length,
    requestErrors,
    keys,
    answered,
    verified,
    failed,
    seconds: (performance.now() - started) / 1000,
    latencyMs: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: percentile(sorted, 100),
    },
    failureSamples: [...samples],
  };
}

/** `requests` requests of `perRequest` keys, cycling through `keys` (no key twice in one request). */
function requestPlan(keys: readonly string[], requests: number, perRequest: number): string[][] {
  return Array.from({ length: requests }, (_, r) =>
    Array.from({ length: perRequest }, (_, j) => keys[(r * perRequest + j) % keys.length] ?? ''),
  );
}

interface Provider {
  readonly pid: number;
  readonly verifyUrl: string;
  stop(): Promise<void>;
}

interface Context {
  readonly options: SideBySideOptions;
  readonly signetConfigPath: string;
  readonly certsDir: string;
  readonly pendingStops: Promise<void>[];
}

async function startSystem(context: Context, system: SystemName): Promise<Provider> {
  if (system === 'ratify') {
    return startRatify({ verificationCerts: [context.certsDir], cacheTtlSeconds: RESULT_CACHE_TTL_SECONDS });
  }
  const args = ['--config', context.signetConfigPath, '--log-level', 'warn'];
  args.push('--verdict-ttl', String(RESULT_CACHE_TTL_SECONDS));
  if (!context.options.fromSource) return startSignet(args);
  const provider = await startProvider([...args, '--insecure-http', '--host', '127.0.0.1']);
  const pid = provider.process.pid;
  if (pid === undefined) throw new Error('signet has no pid');
  return { pid, verifyUrl: `${provider.url}/ratify/gatekeeper/v1/verify`, stop: () => provider.stop() };
}

async function measure(
  context: Context,
  system: SystemName,
  registryUrl: string,
  images: readonly BenchImage[],
  scenario: ScenarioDefinition,
): Promise<Measurement> {
  const proxy = await startFaultProxy(
    registryUrl,
    scenario.latencyMs > 0 ? { $case: 'delay', ms: scenario.latencyMs } : { $case: 'none' },
  );
  let provider: Provider | undefined;
  try {
    const subset = images.slice(0, scenario.uniqueImages);
    const keys = subset.map((image) =>
      scenario.keyForm === 'digest'
        ? `${proxy.host}/${image.repo}@${image.digest}`
        : `${proxy.host}/${image.repo}:${image.tag}`,
    );
    provider = await startSystem(context, system);
    const startupCpu = await cpuSeconds(provider.pid);
    const readyRss = await rssMiB(provider.pid, 'VmRSS');
    if (scenario.kind === 'warm') {
      const prime = requestPlan(
        keys,
        Math.ceil(keys.length / scenario.keysPerRequest),
        scenario.keysPerRequest,
      );
      await runLoad(provider.verifyUrl, prime, scenario.concurrency);
    }
    proxy.clearRequests();
    const cpuBefore = await cpuSeconds(provider.pid);
    const load = await runLoad(
      provider.verifyUrl,
      requestPlan(keys, scenario.requests, scenario.keysPerRequest),
      scenario.concurrency,
    );
    const cpuAfter = await cpuSeconds(provider.pid);
    const rss = await rssMiB(provider.pid);
    const registryRequests = proxy.requests.length;
    return {
      system,
      requests: load.requests,
      requestErrors: load.requestErrors,
      keys: load.keys,
      answered: load.answered,
      leftOut: load.keys - load.answered,
      verified: load.verified,
      failed: load.failed,
      wallSeconds: Math.round(load.seconds * 1000) / 1000,
      keysPerSecond: Math.round(load.verified / load.seconds),
      latencyMs: load.latencyMs,
      registryRequests,
      registryRequestsPerImage: Math.round((registryRequests / subset.length) * 100) / 100,
      peakRssMiB: rss,
      readyRssMiB: readyRss,
      cpuSeconds: Math.round((cpuAfter - cpuBefore) * 100) / 100,
      startupCpuSeconds: Math.round(startupCpu * 100) / 100,
      failureSamples: load.failureSamples,
    };
  } finally {
    // The proxy first: work a provider still has in flight fails fast instead of reaching the next scenario's
    // registry. Stopping Ratify takes ~6 s (a fixed 5 s sleep), so stops finish in the background.
    await proxy.stop();
    if (provider !== undefined) context.pendingStops.push(provider.stop());
  }
}

interface PreparedRegistry {
  readonly name: RegistryName;
  readonly url: string;
  stop(): Promise<void>;
}

function log(message: string): void {
  console.log(`[bench] ${message}`);
}

function version(name: string, key: string): string {
  const env = readFileSync(join(REPO_ROOT, 'test', 'tools', 'versions.env'), 'utf8');
  return new RegExp(`^${key}=(\\S+)`, 'm').exec(env)?.[1] ?? `? (${name})`;
}

export async function runSideBySide(options: SideBySideOptions): Promise<void> {
  const started = performance.now();
  const loadAverageAtStart = loadavg().map((v) => Math.round(v * 100) / 100);
  const scenarios = SCENARIOS.filter(
    (s) => options.scenarios === undefined || options.scenarios.includes(s.name),
  ).map((s) => scaled(s, options.scale));
  if (scenarios.length === 0) throw new Error(`no scenario matches ${options.scenarios?.join(',')}`);
  const notes: string[] = [];
  if (options.scale !== 1)
    notes.push(`scale ${options.scale}: image and request counts are not the published ones`);
  const registries = [...options.registries];
  if (registries.includes('distribution') && !(await dockerRegistryInstalled())) {
    registries.splice(registries.indexOf('distribution'), 1);
    notes.push(
      `${DOCKER_REGISTRY_BINARY} is not installed (apt-get install -y docker-registry): only olareg was measured`,
    );
  }
  if (!options.fromSource) {
    const build = await buildSignet();
    log(`signet compiled into dist-bench/ in ${build.seconds.toFixed(1)} s`);
    if (build.diagnostics !== '')
      notes.push(`tsc reported errors while compiling signet:\n${build.diagnostics}`);
  } else {
    notes.push('signet ran from source under tsx (its loader counts in RSS and CPU)');
  }
  const workDir = await mkdtemp(join(tmpdir(), 'signet-bench-'));
  const prepared: PreparedRegistry[] = [];
  const pendingStops: Promise<void>[] = [];
  try {
    const signer = await createNotationSigner(join(workDir, 'notation'), 'signet-bench');
    // One directory with only the certificate (notation's key directory also holds the private key), trusted by both.
    const certsDir = join(workDir, 'certs');
    await mkdir(certsDir);
    await copyFile(signer.certificatePath, join(certsDir, 'signet-bench.crt'));
    const signetConfigPath = join(workDir, 'signet.yaml');
    await writeFile(signetConfigPath, notationConfig({ trust: { $case: 'paths', paths: [certsDir] } }));
    const context: Context = { options, signetConfigPath, certsDir, pendingStops };

    const imageCount = Math.max(...scenarios.map((s) => s.uniqueImages));
    const images = Array.from({ length: imageCount }, (_, i) => makeImage(`bench/app${i}`, 'v1'));
    let t0 = performance.now();
    const olareg = await startRegistry({ auth: 'none' });
    prepared.push({ name: 'olareg', url: olareg.url, stop: () => olareg.stop() });
    await forEachLimited(images, 4, (image) => pushImage(olareg.url, image));
    // Signed once, by the notation CLI, through the referrers API.
    await forEachLimited(images, 2, (image) => signer.sign(`${olareg.host}/${image.repo}@${image.digest}`));
    log(
      `${imageCount} images pushed to olareg and signed with notation in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    if (registries.includes('distribution')) {
      t0 = performance.now();
      const distribution = await startDockerRegistry();
      prepared.push({ name: 'distribution', url: distribution.url, stop: () => distribution.stop() });
      await forEachLimited(images, 4, async (image) => {
        await pushImage(distribution.url, image);
        const copied = await copyReferrersToTagSchema(olareg.url, distribution.url, image.repo, image.digest);
        if (copied !== 1) throw new Error(`${image.repo}: ${copied} signatures copied, expected 1`);
      });
      log(
        `the same images and signatures copied to docker-registry (tag schema) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }

    const comparisons: Comparison[] = [];
    let turn = 0;
    for (const registry of prepared.filter((r) => registries.includes(r.name))) {
      for (const scenario of scenarios) {
        // Alternate which system goes first, so neither always meets a registry the other just warmed.
        const order = turn++ % 2 === 0 ? [...options.systems] : [...options.systems].reverse();
        const results: Partial<Record<SystemName, Measurement>> = {};
        for (const system of order) {
          const m = await measure(context, system, registry.url, images, scenario);
          results[system] = m;
          log(
            `${registry.name} ${scenario.name} ${system}: ${m.wallSeconds} s, ${m.verified}/${m.keys} verified, ` +
              `${m.leftOut} left out, p95 ${m.latencyMs.p95} ms, ${m.registryRequestsPerImage} registry req/image, ` +
              `${m.peakRssMiB} MiB, ${m.cpuSeconds} CPU s`,
          );
        }
        comparisons.push({
          registry: registry.name,
          scenario,
          ...results,
          ratio: ratios(results.signet, results.ratify),
        });
      }
    }
    await Promise.all(pendingStops.splice(0));

    const signetVersion = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    const report: SideBySideReport = {
      date: new Date().toISOString(),
      durationSeconds: Math.round((performance.now() - started) / 100) / 10,
      host: { cpus: cpus().length, loadAverageAtStart },
      versions: {
        signet: `${signetVersion} (node ${process.version})`,
        Ratify: version('ratify', 'RATIFY_VERSION'),
        olareg: version('olareg', 'OLAREG_VERSION'),
        ...(registries.includes('distribution') ? { 'docker-registry': dockerRegistryVersion() } : {}),
        notation: version('notation', 'NOTATION_VERSION'),
      },
      notes,
      comparisons,
    };
    await mkdir(options.out, { recursive: true });
    const stamp = report.date.replace(/[:.]/g, '-');
    const json = `${JSON.stringify(report, null, 2)}\n`;
    await writeFile(join(options.out, `${stamp}.json`), json);
    await writeFile(join(options.out, 'latest.json'), json);
    const markdown = markdownReport(report);
    await writeFile(join(options.out, 'latest.md'), markdown);
    await writeFile(join(options.out, 'latest.svg'), svgChart(report));
    console.log(`\n${markdown}`);
    log(`results: ${join(options.out, `${stamp}.json`)}, latest.{json,md,svg}`);
  } finally {
    await Promise.all(pendingStops);
    for (const registry of prepared) await registry.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

function dockerRegistryVersion(): string {
  try {
    const text = execFileSync(DOCKER_REGISTRY_BINARY, ['--version'], { encoding: 'utf8' });
    return text.trim().split(/\s+/).pop() ?? '?';
  } catch {
    return '?';
  }
}
