/**
 * Benchmark. By default (`npm run bench`) it measures signet and Ratify side by side: the same notation-signed images
 * on the same registries (olareg with the referrers API, Debian's docker-registry without it), the same load,
 * a fresh process per system and scenario, behind a fault proxy that counts (and delays) registry requests.
 * Writes bench/results/<timestamp>.json, latest.json, latest.md and latest.svg (see bench/README.md).
 *
 *   npm run bench
 *   npm run bench -- --scale 0.1 --registries olareg --scenarios cold-100-0ms,warm-digest
 *
 * With any of the single-system flags (or --mode signet) it runs the original bounded load generator against
 * signet alone and reports throughput, latency percentiles and the provider's peak RSS:
 *
 *   npm run bench -- --keys 10 --unique 20 --concurrency 8 --requests 400 --latency-ms 5
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startFaultProxy, type FaultProxy } from '../test/helpers/fault-proxy.js';
import { pushImage } from '../test/helpers/images.js';
import { createNotationSigner } from '../test/helpers/notation.js';
import { notationConfig } from '../test/helpers/ratify-config.js';
import { startRegistry } from '../test/helpers/registry.js';
import { startProvider, type StartedProvider } from '../test/helpers/process.js';
import type { RegistryName, SystemName } from './report.js';
import { runSideBySide, SCENARIOS } from './side-by-side.js';

interface Scenario {
  readonly keysPerRequest: number;
  readonly uniqueImages: number;
  readonly concurrency: number;
  readonly maxRequests: number;
  readonly maxSeconds: number;
  readonly registryLatencyMs: number;
  /** Sign every image with the notation CLI and trust its certificate: the verdicts are allows. */
  readonly signed: boolean;
}

interface PhaseResult {
  readonly phase: 'cold' | 'warm';
  readonly requests: number;
  readonly keys: number;
  /** Keys answered with isSuccess true. */
  readonly allowed: number;
  readonly errors: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly keysPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
  };
}

const SINGLE_DEFAULTS = {
  keys: '10',
  unique: '20',
  concurrency: '8',
  requests: '300',
  seconds: '30',
  'latency-ms': '0',
} as const;

const { values } = parseArgs({
  options: {
    // Single-system mode (signet alone); any of these selects it. Defaults in SINGLE_DEFAULTS.
    keys: { type: 'string' },
    unique: { type: 'string' },
    concurrency: { type: 'string' },
    requests: { type: 'string' },
    seconds: { type: 'string' },
    'latency-ms': { type: 'string' },
    signed: { type: 'boolean' },
    // Side-by-side mode.
    mode: { type: 'string' },
    registries: { type: 'string', default: 'olareg,distribution' },
    scenarios: { type: 'string' },
    systems: { type: 'string', default: 'signet,ratify' },
    scale: { type: 'string', default: '1' },
    'from-source': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results' },
    profile: { type: 'string' },
    'signet-node-flags': { type: 'string' },
  },
});

const singleFlags = ['keys', 'unique', 'concurrency', 'requests', 'seconds', 'latency-ms', 'signed'] as const;
const mode =
  values.mode ?? (singleFlags.some((flag) => values[flag] !== undefined) ? 'signet' : 'side-by-side');
if (mode !== 'signet' && mode !== 'side-by-side') {
  throw new Error(`--mode must be side-by-side or signet, got ${mode}`);
}

const scenario: Scenario = {
  keysPerRequest: positive(values.keys ?? SINGLE_DEFAULTS.keys, 'keys'),
  uniqueImages: positive(values.unique ?? SINGLE_DEFAULTS.unique, 'unique'),
  concurrency: positive(values.concurrency ?? SINGLE_DEFAULTS.concurrency, 'concurrency'),
  maxRequests: positive(values.requests ?? SINGLE_DEFAULTS.requests, 'requests'),
  maxSeconds: positive(values.seconds ?? SINGLE_DEFAULTS.seconds, 'seconds'),
  registryLatencyMs: Number(values['latency-ms'] ?? SINGLE_DEFAULTS['latency-ms']),
  signed: values.signed ?? false,
};

function list<T extends string>(text: string | undefined, allowed: readonly T[], name: string): T[] {
  const items = (text ?? '').split(',').filter((item) => item !== '');
  for (const item of items) {
    if (!allowed.includes(item as T))
      throw new Error(`--${name}: unknown '${item}' (known: ${allowed.join(', ')})`);
  }
  if (items.length === 0) throw new Error(`--${name} must name at least one of ${allowed.join(', ')}`);
  return items as T[];
}

function positive(text: string | undefined, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return n;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] ?? 0) * 10) / 10;
}

/** Peak resident set size of a process in MiB, from /proc (VmHWM is the kernel's high-water mark). */
async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match?.[1] === undefined ? 0 : Math.round(Number(match[1]) / 1024);
}

async function runPhase(
  phase: 'cold' | 'warm',
  url: string,
  images: readonly string[],
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  let allowed = 0;
  const started = performance.now();
  const deadline = started + scenario.maxSeconds * 1000;
  let cursor = 0;
  const worker = async (): Promise<void> => {
    while (sent < scenario.maxRequests && performance.now() < deadline) {
      sent += 1;
      const keys = Array.from(
        { length: scenario.keysPerRequest },
        () => images[cursor++ % images.length] ?? '',
      );
      const body = JSON.stringify({
        apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
        kind: 'ProviderRequest',
        request: { keys },
      });
      const t0 = performance.now();
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        const parsed = (await response.json()) as {
          response?: { items?: { value?: { isSuccess?: boolean } }[]; systemError?: string };
        };
        allowed += parsed.response?.items?.filter((item) => item.value?.isSuccess === true).length ?? 0;
        if (!response.ok || parsed.response?.items?.length !== keys.length || parsed.response.systemError) {
          errors += 1;
        }
      } catch {
        errors += 1;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: scenario.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    phase,
    requests: latencies.length,
    keys: latencies.length * scenario.keysPerRequest,
    allowed,
    errors,
    seconds: Math.round(seconds * 100) / 100,
    requestsPerSecond: Math.round((latencies.length / seconds) * 10) / 10,
    keysPerSecond: Math.round(((latencies.length * scenario.keysPerRequest) / seconds) * 10) / 10,
    latencyMs: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: percentile(sorted, 100),
    },
  };
}

function table(results: readonly PhaseResult[], peakRss: number): string {
  const header =
    '| phase | requests | keys | allowed | errors | req/s | keys/s | p50 ms | p95 ms | p99 ms | max ms |';
  const rows = results.map(
    (r) =>
      `| ${r.phase} | ${r.requests} | ${r.keys} | ${r.allowed} | ${r.errors} | ${r.requestsPerSecond} | ${r.keysPerSecond} | ` +
      `${r.latencyMs.p50} | ${r.latencyMs.p95} | ${r.latencyMs.p99} | ${r.latencyMs.max} |`,
  );
  return [
    header,
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `provider peak RSS: ${peakRss} MiB`,
  ].join('\n');
}

async function runSingle(): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'signet-bench-'));
  const registry = await startRegistry({ auth: 'none' });
  let proxy: FaultProxy | undefined;
  let provider: StartedProvider | undefined;
  try {
    const images: string[] = [];
    const signer = scenario.signed
      ? await createNotationSigner(join(workDir, 'notation'), 'signet-bench')
      : undefined;
    for (let i = 0; i < scenario.uniqueImages; i += 1) {
      const image = await pushImage(registry, `bench/app${i}`, 'v1');
      await signer?.sign(`${registry.host}/bench/app${i}@${image.digest}`);
      images.push(image.reference);
    }
    let registryHost = registry.host;
    if (scenario.registryLatencyMs > 0) {
      proxy = await startFaultProxy(registry.url, { $case: 'delay', ms: scenario.registryLatencyMs });
      registryHost = new URL(proxy.url).host;
    }
    const keys = images.map((ref) => ref.replace(registry.host, registryHost));
    const configPath = join(workDir, 'config.yaml');
    // Unsigned: an empty trust store, every image is judged (and denied) by the whole pipeline.
    const trust = signer === undefined ? [workDir] : [signer.certificatePath];
    await writeFile(configPath, notationConfig({ trust: { $case: 'paths', paths: trust } }));
    provider = await startProvider(['--insecure-http', '--config', configPath, '--log-level', 'warn']);
    const url = `${provider.url}/ratify/gatekeeper/v1/verify`;
    const cold = await runPhase('cold', url, keys);
    const warm = await runPhase('warm', url, keys);
    const pid = provider.process.pid;
    const peakRss = pid === undefined ? 0 : await peakRssMiB(pid);
    const report = {
      date: new Date().toISOString(),
      node: process.version,
      scenario,
      results: [cold, warm],
      peakRssMiB: peakRss,
    };
    await mkdir(values.out ?? 'bench/results', { recursive: true });
    const stamp = report.date.replace(/[:.]/g, '-');
    const out = join(values.out ?? 'bench/results', `bench-${stamp}`);
    await writeFile(`${out}.json`, JSON.stringify(report, null, 2));
    const text = table(report.results, peakRss);
    await writeFile(`${out}.md`, `${JSON.stringify(scenario)}\n\n${text}\n`);
    console.log(JSON.stringify(scenario));
    console.log(text);
    console.log(`results: ${out}.json`);
  } finally {
    await provider?.stop();
    await proxy?.stop();
    await registry.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (mode === 'signet') return runSingle();
  const scale = Number(values.scale);
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${values.scale}`);
  await runSideBySide({
    registries: list<RegistryName>(values.registries, ['olareg', 'distribution'], 'registries'),
    ...(values.scenarios === undefined
      ? {}
      : {
          scenarios: list(
            values.scenarios,
            SCENARIOS.map((s) => s.name),
            'scenarios',
          ),
        }),
    systems: list<SystemName>(values.systems, ['signet', 'ratify'], 'systems'),
    scale,
    out: values.out ?? 'bench/results',
    fromSource: values['from-source'] ?? false,
    ...(values.profile === undefined ? {} : { profileDir: resolve(values.profile) }),
    ...(values['signet-node-flags'] === undefined
      ? {}
      : { signetNodeFlags: values['signet-node-flags'].split(' ').filter((flag) => flag !== '') }),
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
