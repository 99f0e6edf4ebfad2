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
import { startRedis } from '../test/helpers/redis.js';
import { startRegistry } from '../test/helpers/registry.js';
import { dockerRegistryInstalled, startDockerRegistry, DOCKER_REGISTRY_BINARY } from './docker-registry.js';
import {
  copyReferrersToTagSchema,
  createTemplateSigner,
  forEachLimited,
  makeImage,
  pushImage,
  readNotationTemplate,
  type BenchImage,
} from './images.js';
import { startRatify } from './ratify.js';
import { startRoundRobin } from './round-robin.js';
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
import { PRODUCTION_NODE_FLAGS } from '../deploy/node-flags.js';
import { buildSignet, startSignet, type StartedSignet } from './signet.js';

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
    name: 'cold-100-100ms',
    title:
      'cold audit batch in one request, 100 ms added to every registry request (a registry across a continent)',
    kind: 'cold',
    uniqueImages: 100,
    keysPerRequest: 100,
    requests: 1,
    concurrency: 1,
    latencyMs: 100,
    keyForm: 'tag',
  },
  {
    name: 'cold-500-100ms',
    title: 'large cold audit batch in one request, 100 ms registry latency',
    kind: 'cold',
    uniqueImages: 500,
    keysPerRequest: 500,
    requests: 1,
    concurrency: 1,
    latencyMs: 100,
    keyForm: 'tag',
  },
  {
    name: 'cold-2000-0ms',
    title: 'a 2,000-image cold audit batch in one request against an unthrottled loopback registry',
    kind: 'cold',
    uniqueImages: 2000,
    keysPerRequest: 2000,
    requests: 1,
    concurrency: 1,
    latencyMs: 0,
    keyForm: 'tag',
    registries: ['olareg'],
    signetArgs: ['--max-keys', '2000'],
  },
  {
    name: 'converge-2000-20ms',
    title:
      'a 2,000-image cold audit batch at 20 ms RTT sent again at once until every key has an answer: how many ' +
      'calls until it converges',
    kind: 'converge',
    uniqueImages: 2000,
    keysPerRequest: 2000,
    requests: 1,
    concurrency: 1,
    latencyMs: 20,
    keyForm: 'tag',
    maxCalls: 8,
    registries: ['olareg'],
    signetArgs: ['--max-keys', '2000'],
  },
  {
    name: 'throttle-429',
    title:
      'a cold 500-image batch against a registry that answers 429 (Retry-After: 1) above 400 requests per second',
    kind: 'cold',
    uniqueImages: 500,
    keysPerRequest: 500,
    requests: 1,
    concurrency: 1,
    latencyMs: 20,
    keyForm: 'tag',
    throttle: { perSecond: 400, retryAfterSeconds: 1 },
    registries: ['olareg'],
  },
  {
    name: 'mixed-zipf-20ms',
    title: '10,000 one-key admissions over 1,000 images with Zipf popularity (s = 1), cold start, 20 ms RTT',
    kind: 'cold',
    uniqueImages: 1000,
    keysPerRequest: 1,
    requests: 10_000,
    concurrency: 32,
    latencyMs: 20,
    keyForm: 'tag',
    popularity: 'zipf',
    registries: ['olareg'],
  },
  ...[1, 2, 4].map((replicas): ScenarioDefinition => ({
    name: `replicas-${replicas}`,
    title:
      `${replicas} signet replica(s) behind a loopback round-robin sharing one Redis: 2,000 one-key admissions ` +
      'over 500 images (4 each), so most asks of an image land on another replica than its first',
    kind: 'cold',
    uniqueImages: 500,
    keysPerRequest: 1,
    requests: 2000,
    concurrency: 32,
    latencyMs: 20,
    keyForm: 'tag',
    replicas,
    systems: ['signet'],
    registries: ['olareg'],
  })),
  {
    name: 'scale-10k',
    title:
      '10,000 distinct signed images verified and cached (100 requests × 100 keys), then held in the cache',
    kind: 'cold',
    uniqueImages: 10_000,
    keysPerRequest: 100,
    requests: 100,
    concurrency: 4,
    latencyMs: 0,
    keyForm: 'digest',
    registries: ['olareg'],
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
  /** Start signet with `--cpu-prof` writing into `<dir>/<scenario>/` (profiles of the measured load). */
  readonly profileDir?: string;
  /** Flags node runs the built signet with (default PRODUCTION_NODE_FLAGS, what the image runs). */
  readonly signetNodeFlags?: readonly string[];
}

/** Images signed by the notation CLI itself; the rest in-process in the same form (see createTemplateSigner). */
const NOTATION_CLI_SIGNED = 20;

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

/** mulberry32: a small seeded generator, so every run (and both systems) draws the same Zipf sequence. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `requests` one-key-per-request plans whose keys follow Zipf popularity (s = 1) over `keys`, seeded. */
function zipfPlan(keys: readonly string[], requests: number, perRequest: number): string[][] {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= keys.length; rank += 1) cumulative.push((total += 1 / rank));
  const random = seededRandom(12);
  const draw = (): string => {
    const target = random() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((cumulative[mid] ?? 0) < target) low = mid + 1;
      else high = mid;
    }
    return keys[low] ?? '';
  };
  return Array.from({ length: requests }, () => Array.from({ length: perRequest }, draw));
}

interface Provider {
  /** Every process of the system (several replicas in the replicas-N scenarios). */
  readonly pids: readonly number[];
  readonly verifyUrl: string;
  /** signet's ops ports, for the shared-cache counters. */
  readonly metricsUrls: readonly string[];
  stop(): Promise<void>;
}

interface Context {
  readonly options: SideBySideOptions;
  readonly signetConfigPath: string;
  readonly certsDir: string;
  readonly pendingStops: Promise<void>[];
}

async function startSystem(
  context: Context,
  system: SystemName,
  scenario: ScenarioDefinition,
): Promise<Provider> {
  if (system === 'ratify') {
    const ratify = await startRatify({
      verificationCerts: [context.certsDir],
      cacheTtlSeconds: RESULT_CACHE_TTL_SECONDS,
    });
    return { pids: [ratify.pid], verifyUrl: ratify.verifyUrl, metricsUrls: [], stop: () => ratify.stop() };
  }
  const args = ['--config', context.signetConfigPath, '--log-level', 'warn'];
  args.push('--verdict-ttl', String(RESULT_CACHE_TTL_SECONDS), ...(scenario.signetArgs ?? []));
  const nodeFlags = context.options.signetNodeFlags ?? PRODUCTION_NODE_FLAGS;
  if (scenario.replicas !== undefined) return startReplicas(args, nodeFlags, scenario.replicas);
  const nodeArgs =
    context.options.profileDir === undefined
      ? nodeFlags
      : [...nodeFlags, '--cpu-prof', '--cpu-prof-dir', join(context.options.profileDir, scenario.name)];
  if (!context.options.fromSource) {
    const signet = await startSignet(args, nodeArgs);
    return {
      pids: [signet.pid],
      verifyUrl: signet.verifyUrl,
      metricsUrls: [signet.metricsUrl],
      stop: () => signet.stop(),
    };
  }
  const provider = await startProvider([...args, '--insecure-http', '--host', '127.0.0.1']);
  const pid = provider.process.pid;
  if (pid === undefined) throw new Error('signet has no pid');
  return {
    pids: [pid],
    verifyUrl: `${provider.url}/ratify/gatekeeper/v1/verify`,
    metricsUrls: [],
    stop: () => provider.stop(),
  };
}

/** `count` signet processes sharing a fresh redis-server, behind a loopback round-robin. */
async function startReplicas(
  args: readonly string[],
  nodeFlags: readonly string[],
  count: number,
): Promise<Provider> {
  const redis = await startRedis();
  const replicas: StartedSignet[] = [];
  try {
    for (let i = 0; i < count; i += 1)
      replicas.push(await startSignet([...args, '--redis-url', redis.url], nodeFlags));
    const balancer = await startRoundRobin(replicas.map((replica) => replica.url));
    return {
      pids: replicas.map((replica) => replica.pid),
      verifyUrl: `${balancer.url}/ratify/gatekeeper/v1/verify`,
      metricsUrls: replicas.map((replica) => replica.metricsUrl),
      stop: async () => {
        await balancer.stop();
        await Promise.all(replicas.map((replica) => replica.stop()));
        await redis.stop();
      },
    };
  } catch (error) {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await redis.stop();
    throw error;
  }
}

/** Sums a counter of signet's /metrics over its processes, e.g. hits of the Redis verdict tier. */
async function sumCounter(urls: readonly string[], name: string, cache: string): Promise<number> {
  let sum = 0;
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const match = new RegExp(`^${name}\\{cache="${cache}"\\} (\\S+)$`, 'm').exec(text);
    sum += Number(match?.[1] ?? 0);
  }
  return sum;
}

async function sumOver(pids: readonly number[], read: (pid: number) => Promise<number>): Promise<number> {
  let sum = 0;
  for (const pid of pids) sum += await read(pid);
  return sum;
}

/** The scenario's requests: cycling through the keys, or drawn by popularity. */
function planFor(scenario: ScenarioDefinition, keys: readonly string[]): string[][] {
  return scenario.popularity === 'zipf'
    ? zipfPlan(keys, scenario.requests, scenario.keysPerRequest)
    : requestPlan(keys, scenario.requests, scenario.keysPerRequest);
}

/** converge: the same batch again until every key is answered; the calls it took, and every call as one load. */
async function runUntilConverged(
  url: string,
  keys: readonly string[],
  maxCalls: number,
): Promise<{ load: LoadResult; calls: number | undefined }> {
  const started = performance.now();
  const loads: LoadResult[] = [];
  let calls: number | undefined;
  for (let call = 1; call <= maxCalls; call += 1) {
    const load = await runLoad(url, [keys], 1);
    loads.push(load);
    if (load.answered === keys.length) {
      calls = call;
      break;
    }
  }
  const latencies = loads.map((load) => load.latencyMs.max).sort((a, b) => a - b);
  const last = loads[loads.length - 1];
  return {
    calls,
    load: {
      requests: loads.length,
      requestErrors: loads.reduce((sum, load) => sum + load.requestErrors, 0),
      keys: keys.length,
      // What the last call answered: the state the batch converged to (or not).
      answered: last?.answered ?? 0,
      verified: last?.verified ?? 0,
      failed: last?.failed ?? 0,
      seconds: (performance.now() - started) / 1000,
      latencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: percentile(latencies, 100),
      },
      failureSamples: [...new Set(loads.flatMap((load) => load.failureSamples))].slice(0, 3),
    },
  };
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
    scenario.throttle !== undefined
      ? {
          $case: 'rateLimit',
          perSecond: scenario.throttle.perSecond,
          retryAfter: scenario.throttle.retryAfterSeconds,
          ...(scenario.latencyMs > 0 ? { delayMs: scenario.latencyMs } : {}),
        }
      : scenario.latencyMs > 0
        ? { $case: 'delay', ms: scenario.latencyMs }
        : { $case: 'none' },
  );
  let provider: Provider | undefined;
  try {
    const subset = images.slice(0, scenario.uniqueImages);
    const keys = subset.map((image) =>
      scenario.keyForm === 'digest'
        ? `${proxy.host}/${image.repo}@${image.digest}`
        : `${proxy.host}/${image.repo}:${image.tag}`,
    );
    provider = await startSystem(context, system, scenario);
    const { pids } = provider;
    const startupCpu = await sumOver(pids, cpuSeconds);
    const readyRss = await sumOver(pids, (pid) => rssMiB(pid, 'VmRSS'));
    if (scenario.kind === 'warm') {
      const prime = requestPlan(
        keys,
        Math.ceil(keys.length / scenario.keysPerRequest),
        scenario.keysPerRequest,
      );
      await runLoad(provider.verifyUrl, prime, scenario.concurrency);
    }
    proxy.clearRequests();
    const cpuBefore = await sumOver(pids, cpuSeconds);
    const sharedBefore =
      scenario.replicas === undefined
        ? undefined
        : {
            hits: await sumCounter(provider.metricsUrls, 'signet_cache_hits_total', 'verdicts_redis'),
            misses: await sumCounter(provider.metricsUrls, 'signet_cache_misses_total', 'verdicts_redis'),
          };
    let callsToConverge: number | undefined;
    let load: LoadResult;
    if (scenario.kind === 'converge') {
      const converged = await runUntilConverged(provider.verifyUrl, keys, scenario.maxCalls ?? 8);
      load = converged.load;
      callsToConverge = converged.calls;
    } else {
      load = await runLoad(provider.verifyUrl, planFor(scenario, keys), scenario.concurrency);
    }
    const cpuAfter = await sumOver(pids, cpuSeconds);
    const rss = await sumOver(pids, (pid) => rssMiB(pid));
    const endRss = await sumOver(pids, (pid) => rssMiB(pid, 'VmRSS'));
    let sharedHitRate: number | undefined;
    if (sharedBefore !== undefined) {
      const hits =
        (await sumCounter(provider.metricsUrls, 'signet_cache_hits_total', 'verdicts_redis')) -
        sharedBefore.hits;
      const misses =
        (await sumCounter(provider.metricsUrls, 'signet_cache_misses_total', 'verdicts_redis')) -
        sharedBefore.misses;
      sharedHitRate = hits + misses === 0 ? 0 : Math.round((hits / (hits + misses)) * 100) / 100;
    }
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
      ...(scenario.kind === 'converge' && callsToConverge !== undefined ? { callsToConverge } : {}),
      ...(scenario.throttle === undefined
        ? {}
        : { throttledResponses: proxy.requests.filter((request) => request.status === 429).length }),
      ...(sharedHitRate === undefined ? {} : { sharedHitRate }),
      ...(scenario.name.startsWith('scale-') ? { endRssMiB: endRss } : {}),
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
    const seconds = await buildSignet();
    log(`signet built into dist-bench/ (deploy/build-dist.ts) in ${seconds.toFixed(1)} s`);
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

    const runsOn = (scenario: ScenarioDefinition, registry: RegistryName): boolean =>
      registries.includes(registry) && (scenario.registries?.includes(registry) ?? true);
    const imageCount = Math.max(...scenarios.map((s) => s.uniqueImages));
    const images = Array.from({ length: imageCount }, (_, i) => makeImage(`bench/app${i}`, 'v1'));
    let t0 = performance.now();
    const olareg = await startRegistry({ auth: 'none' });
    prepared.push({ name: 'olareg', url: olareg.url, stop: () => olareg.stop() });
    await forEachLimited(images, 8, (image) => pushImage(olareg.url, image));
    // The first images signed by the notation CLI, through the referrers API; the rest in the very form notation
    // gave the first, with its key, in-process (one image a millisecond instead of ~0.2 s of CLI each).
    const cliSigned = images.slice(0, NOTATION_CLI_SIGNED);
    await forEachLimited(cliSigned, 2, (image) =>
      signer.sign(`${olareg.host}/${image.repo}@${image.digest}`),
    );
    const first = images[0];
    if (first !== undefined && images.length > cliSigned.length) {
      const signLikeNotation = createTemplateSigner(
        await readNotationTemplate(olareg.url, first.repo, first.digest),
        await readFile(signer.keyPath, 'utf8'),
      );
      await forEachLimited(images.slice(cliSigned.length), 8, (image) => signLikeNotation(olareg.url, image));
    }
    log(
      `${imageCount} images pushed to olareg and signed (${cliSigned.length} by the notation CLI) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    if (registries.includes('distribution')) {
      t0 = performance.now();
      const distribution = await startDockerRegistry();
      prepared.push({ name: 'distribution', url: distribution.url, stop: () => distribution.stop() });
      const needed = Math.max(
        0,
        ...scenarios.filter((sc) => runsOn(sc, 'distribution')).map((sc) => sc.uniqueImages),
      );
      await forEachLimited(images.slice(0, needed), 4, async (image) => {
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
      for (const scenario of scenarios.filter((sc) => runsOn(sc, registry.name))) {
        const systems = options.systems.filter((system) => scenario.systems?.includes(system) ?? true);
        if (systems.length === 0) continue;
        // Alternate which system goes first, so neither always meets a registry the other just warmed.
        const order = turn++ % 2 === 0 ? systems : [...systems].reverse();
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
        signet: `${signetVersion} (node ${process.version}${options.fromSource ? ', from source' : ['', ...(options.signetNodeFlags ?? PRODUCTION_NODE_FLAGS)].join(' ')})`,
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
