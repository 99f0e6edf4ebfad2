// The soak run shared by `npm run soak` (bench/soak.ts, 10 minutes) and its bounded version inside `npm test`
// (test/integration/soak.int.test.ts, ~60 s): a real olareg registry holding notation-signed (real notation CLI)
// and unsigned images, a real signet process (from source, as the integration tests start it), and a closed-loop
// mixed load of tag and digest keys in batches of 1-50, some naming images that do not exist. The provider's RSS
// is sampled from /proc every few seconds; its V8 heap too, read after a full GC forced over the inspector protocol
// (the signet process is started with `--inspect` on a loopback port: test-only, nothing is added to provider/).
// Memory drift is RSS growth from the window after warm-up to the last window of the run; latency drift is
// reported per interval (p50/p99) but does not fail the run.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { callProvider } from '../test/helpers/gatekeeper-client.js';
import { createNotationSigner } from '../test/helpers/notation.js';
import { freePort, MIB, rssBytesOf, startProvider, type StartedProvider } from '../test/helpers/process.js';
import { notationConfig } from '../test/helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../test/helpers/registry.js';
import { forEachLimited, makeImage, pushImage, type BenchImage } from './images.js';

export interface SoakOptions {
  readonly durationMs: number;
  /** Samples before this point are warm-up; the baseline is the window that follows. */
  readonly warmupMs: number;
  readonly sampleIntervalMs: number;
  /** Latency buckets (default one minute). */
  readonly intervalMs: number;
  readonly signedImages: number;
  readonly unsignedImages: number;
  /** Concurrent clients, each sending one request at a time. */
  readonly clients: number;
  /** Fail when RSS grows by more than this fraction (0.2 = 20%) from the post-warm-up window to the last. */
  readonly rssGrowthBound: number;
  /** Verdict cache TTLs given to signet (short, so verification keeps running during the soak). */
  readonly verdictTtlSeconds: number;
  readonly failureTtlSeconds: number;
  readonly log?: (line: string) => void;
}

export interface MemorySample {
  /** Milliseconds since the load started. */
  readonly atMs: number;
  readonly rssBytes: number;
  /** V8 heap used after a forced full GC (inspector), or null when the inspector was not reachable. */
  readonly heapUsedBytes: number | null;
}

export interface LatencyInterval {
  readonly fromMs: number;
  readonly requests: number;
  readonly keys: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface SoakResult {
  readonly startedAt: string;
  readonly options: Omit<SoakOptions, 'log'>;
  readonly requests: number;
  readonly keys: number;
  /** Answers whose verdict differed from the expected one (signed allowed, unsigned and missing denied). */
  readonly wrongVerdicts: number;
  /** Unsigned or missing images allowed: must be 0. */
  readonly wrongAllows: number;
  /** Answers with a `systemError` to a batch that named no missing image (a missing image's error is expected). */
  readonly systemErrors: number;
  /** Up to five distinct `systemError` texts seen, for the report. */
  readonly systemErrorSamples: readonly string[];
  readonly transportErrors: number;
  readonly samples: readonly MemorySample[];
  readonly intervals: readonly LatencyInterval[];
  readonly memory: {
    readonly baselineRssBytes: number;
    readonly finalRssBytes: number;
    readonly peakRssBytes: number;
    readonly rssGrowth: number;
    readonly rssGrowthBound: number;
    readonly baselineHeapBytes: number | null;
    readonly finalHeapBytes: number | null;
    readonly heapGrowth: number | null;
    /** How the figures were obtained. */
    readonly method: string;
  };
  readonly latency: { readonly firstP99Ms: number; readonly lastP99Ms: number; readonly p99Drift: number };
  readonly passed: boolean;
  readonly failures: readonly string[];
}

type Expect = 'allow' | 'deny';
interface KeyChoice {
  readonly key: string;
  readonly expect: Expect;
  readonly missing?: true;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** A minimal Chrome DevTools protocol client over the provider's inspector WebSocket. */
interface Inspector {
  heapUsedAfterGc(): Promise<number>;
  close(): void;
}

async function connectInspector(port: number): Promise<Inspector> {
  const targets = (await (
    await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(5_000) })
  ).json()) as Array<{ webSocketDebuggerUrl?: string }>;
  const url = targets[0]?.webSocketDebuggerUrl;
  if (url === undefined) throw new Error('the inspector lists no target');
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`inspector ${url} refused the connection`)), {
      once: true,
    });
  });
  let nextId = 0;
  const pending = new Map<number, (message: { result?: unknown; error?: unknown }) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message);
  });
  const call = (method: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      nextId += 1;
      const id = nextId;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`inspector ${method} timed out`));
      }, 10_000);
      pending.set(id, (message) => {
        clearTimeout(timer);
        pending.delete(id);
        if (message.error !== undefined) reject(new Error(`${method}: ${JSON.stringify(message.error)}`));
        else resolve(message.result);
      });
      socket.send(JSON.stringify({ id, method }));
    });
  return {
    async heapUsedAfterGc() {
      await call('HeapProfiler.collectGarbage');
      const usage = (await call('Runtime.getHeapUsage')) as { usedSize: number };
      return usage.usedSize;
    },
    close: () => socket.close(),
  };
}

/** Pushes and signs the images; returns the key pool. */
async function seed(
  registry: TestRegistry,
  dir: string,
  options: SoakOptions,
  log: (line: string) => void,
): Promise<{ signed: BenchImage[]; unsigned: BenchImage[]; certificatePem: string }> {
  const signer = await createNotationSigner(join(dir, 'notation'), 'signet-soak');
  const signed = Array.from({ length: options.signedImages }, (_, i) =>
    makeImage(`soak/signed${i % 16}`, `v${i}`),
  );
  const unsigned = Array.from({ length: options.unsignedImages }, (_, i) =>
    makeImage(`soak/unsigned${i % 8}`, `v${i}`),
  );
  const started = performance.now();
  await forEachLimited([...signed, ...unsigned], 4, (image) => pushImage(registry.url, image));
  await forEachLimited(signed, 2, (image) => signer.sign(`${registry.host}/${image.repo}@${image.digest}`));
  log(
    `seeded ${signed.length} notation-signed and ${unsigned.length} unsigned images in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { signed, unsigned, certificatePem: await readFile(signer.certificatePath, 'utf8') };
}

function keyPool(
  host: string,
  signed: readonly BenchImage[],
  unsigned: readonly BenchImage[],
): () => KeyChoice {
  const tagKey = (image: BenchImage) => `${host}/${image.repo}:${image.tag}`;
  const digestKey = (image: BenchImage) => `${host}/${image.repo}@${image.digest}`;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
  let missing = 0;
  return () => {
    const roll = Math.random();
    if (roll < 0.05) {
      missing += 1;
      // A tag that was never pushed, or a digest the registry does not hold.
      return missing % 2 === 0
        ? { key: `${host}/soak/signed0:missing-${missing % 50}`, expect: 'deny', missing: true }
        : {
            key: `${host}/soak/unsigned0@sha256:${(missing % 50).toString(16).padStart(64, '0')}`,
            expect: 'deny',
            missing: true,
          };
    }
    const isSigned = roll < 0.7;
    const image = pick(isSigned ? signed : unsigned);
    const key = Math.random() < 0.5 ? tagKey(image) : digestKey(image);
    return { key, expect: isSigned ? 'allow' : 'deny' };
  };
}

/** Runs the soak; never throws for a failed bound (see `passed` / `failures`), only for a broken setup. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const startedAt = new Date().toISOString();
  const dir = await mkdtemp(join(tmpdir(), 'signet-soak-'));
  let registry: TestRegistry | undefined;
  let provider: StartedProvider | undefined;
  let inspector: Inspector | undefined;
  try {
    registry = await startRegistry();
    const { signed, unsigned, certificatePem } = await seed(registry, dir, options, log);
    const configPath = join(dir, 'config.yaml');
    await writeFile(configPath, notationConfig({ trust: { $case: 'inline', certificatePem } }));
    const inspectPort = await freePort();
    provider = await startProvider(
      [
        '--insecure-http',
        '--config',
        configPath,
        '--log-level',
        'warn',
        '--verdict-ttl',
        String(options.verdictTtlSeconds),
        '--failure-ttl',
        String(options.failureTtlSeconds),
      ],
      { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:${inspectPort}`.trim() },
    );
    const pid = provider.process.pid;
    if (pid === undefined) throw new Error('the signet process has no pid');
    let method = 'RSS: VmRSS of the signet process from /proc/<pid>/status';
    try {
      inspector = await connectInspector(inspectPort);
      await inspector.heapUsedAfterGc();
      method +=
        '; heap: V8 used heap after a full GC forced over the inspector (HeapProfiler.collectGarbage)';
    } catch (error) {
      inspector = undefined;
      method += `; heap: not measured (inspector unreachable: ${error instanceof Error ? error.message : String(error)})`;
    }

    const verifyUrl = `${provider.url}/ratify/gatekeeper/v1/verify`;
    const nextKey = keyPool(registry.host, signed, unsigned);
    const latencies: Array<{ atMs: number; ms: number; keys: number }> = [];
    const samples: MemorySample[] = [];
    let requests = 0;
    let keys = 0;
    let wrongVerdicts = 0;
    let wrongAllows = 0;
    let systemErrors = 0;
    const systemErrorSamples = new Set<string>();
    let transportErrors = 0;
    const t0 = performance.now();
    const end = t0 + options.durationMs;

    const sampler = (async () => {
      let next = t0;
      while (performance.now() < end) {
        const heap = inspector === undefined ? null : await inspector.heapUsedAfterGc().catch(() => null);
        const sample = { atMs: performance.now() - t0, rssBytes: rssBytesOf(pid), heapUsedBytes: heap };
        samples.push(sample);
        next += options.sampleIntervalMs;
        await sleep(Math.max(0, next - performance.now()));
      }
    })();

    const client = async (): Promise<void> => {
      while (performance.now() < end) {
        const batch = Array.from({ length: 1 + Math.floor(Math.random() * 50) }, nextKey);
        const started = performance.now();
        try {
          const answer = await callProvider(
            verifyUrl,
            batch.map((choice) => choice.key),
          );
          latencies.push({ atMs: started - t0, ms: performance.now() - started, keys: batch.length });
          requests += 1;
          keys += batch.length;
          const systemError = answer.body.response?.systemError;
          if (systemError !== undefined) {
            if (systemErrorSamples.size < 5) systemErrorSamples.add(systemError.slice(0, 300));
            if (!batch.some((choice) => choice.missing === true)) systemErrors += 1;
          }
          const items = new Map((answer.body.response?.items ?? []).map((item) => [item.key, item]));
          for (const choice of batch) {
            const allowed = items.get(choice.key)?.value?.isSuccess === true;
            if (allowed !== (choice.expect === 'allow')) wrongVerdicts += 1;
            if (allowed && choice.expect === 'deny') wrongAllows += 1;
          }
        } catch {
          transportErrors += 1;
        }
      }
    };
    let lastProgress = t0;
    const progress = setInterval(() => {
      const now = performance.now();
      if (now - lastProgress < 55_000) return;
      lastProgress = now;
      const last = samples.at(-1);
      log(
        `  ${((now - t0) / 60_000).toFixed(1)} min: ${requests} requests, ${keys} keys, RSS ${last === undefined ? '?' : (last.rssBytes / MIB).toFixed(1)} MiB`,
      );
    }, 5_000);
    await Promise.all([sampler, ...Array.from({ length: options.clients }, client)]);
    clearInterval(progress);

    const intervals: LatencyInterval[] = [];
    for (let from = 0; from < options.durationMs; from += options.intervalMs) {
      const inside = latencies.filter((l) => l.atMs >= from && l.atMs < from + options.intervalMs);
      const sorted = inside.map((l) => l.ms).sort((a, b) => a - b);
      intervals.push({
        fromMs: from,
        requests: inside.length,
        keys: inside.reduce((sum, l) => sum + l.keys, 0),
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        maxMs: sorted.at(-1) ?? 0,
      });
    }

    // Baseline: the samples of the first window after warm-up; final: those of the last window of the run.
    const windowMs = Math.max(3 * options.sampleIntervalMs, Math.min(60_000, options.durationMs / 6));
    const after = samples.filter((s) => s.atMs >= options.warmupMs);
    const baselineSamples = after.filter((s) => s.atMs < options.warmupMs + windowMs);
    const finalSamples = after.filter((s) => s.atMs >= options.durationMs - windowMs);
    if (baselineSamples.length === 0 || finalSamples.length === 0)
      throw new Error(`too few memory samples (${samples.length}) for warm-up ${options.warmupMs} ms`);
    const baselineRss = median(baselineSamples.map((s) => s.rssBytes));
    const finalRss = median(finalSamples.map((s) => s.rssBytes));
    const heapOf = (list: readonly MemorySample[]) => {
      const heaps = list.map((s) => s.heapUsedBytes).filter((h): h is number => h !== null);
      return heaps.length === 0 ? null : median(heaps);
    };
    const baselineHeap = heapOf(baselineSamples);
    const finalHeap = heapOf(finalSamples);
    const rssGrowth = finalRss / baselineRss - 1;
    const measured = intervals.filter((i) => i.fromMs >= options.warmupMs && i.requests > 0);
    const firstP99 = measured[0]?.p99Ms ?? 0;
    const lastP99 = measured.at(-1)?.p99Ms ?? 0;

    const failures: string[] = [];
    if (rssGrowth > options.rssGrowthBound)
      failures.push(
        `RSS grew ${(rssGrowth * 100).toFixed(1)}% after warm-up (bound ${(options.rssGrowthBound * 100).toFixed(0)}%)`,
      );
    if (wrongAllows > 0) failures.push(`${wrongAllows} unsigned or missing images were allowed`);
    if (requests === 0) failures.push('no request was answered');
    const { log: _log, ...recorded } = options;
    void _log;
    return {
      startedAt,
      options: recorded,
      requests,
      keys,
      wrongVerdicts,
      wrongAllows,
      systemErrors,
      systemErrorSamples: [...systemErrorSamples],
      transportErrors,
      samples,
      intervals,
      memory: {
        baselineRssBytes: baselineRss,
        finalRssBytes: finalRss,
        peakRssBytes: Math.max(...samples.map((s) => s.rssBytes)),
        rssGrowth,
        rssGrowthBound: options.rssGrowthBound,
        baselineHeapBytes: baselineHeap,
        finalHeapBytes: finalHeap,
        heapGrowth: baselineHeap === null || finalHeap === null ? null : finalHeap / baselineHeap - 1,
        method,
      },
      latency: {
        firstP99Ms: firstP99,
        lastP99Ms: lastP99,
        p99Drift: firstP99 === 0 ? 0 : lastP99 / firstP99 - 1,
      },
      passed: failures.length === 0,
      failures,
    };
  } finally {
    inspector?.close();
    await provider?.stop();
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const mib = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / MIB).toFixed(1)} MiB`);
const pct = (fraction: number | null) => (fraction === null ? 'n/a' : `${(fraction * 100).toFixed(1)}%`);

/** The result as a Markdown report: summary, memory, latency per interval. */
export function soakMarkdown(result: SoakResult): string {
  const { memory, latency, options } = result;
  const lines = [
    `# signet soak (${result.startedAt})`,
    '',
    `${(options.durationMs / 60_000).toFixed(1)} min, ${options.clients} clients, batches of 1-50 keys over ${options.signedImages} notation-signed and ${options.unsignedImages} unsigned images (tag and digest keys, ~5% missing images); verdict TTL ${options.verdictTtlSeconds} s, failure TTL ${options.failureTtlSeconds} s.`,
    '',
    `**${result.passed ? 'PASSED' : 'FAILED'}**${result.failures.length === 0 ? '' : `: ${result.failures.join('; ')}`}`,
    '',
    `| requests | keys | wrong verdicts | wrong allows | unexpected systemError answers | transport errors |`,
    `|---|---|---|---|---|---|`,
    `| ${result.requests} | ${result.keys} | ${result.wrongVerdicts} | ${result.wrongAllows} | ${result.systemErrors} | ${result.transportErrors} |`,
    '',
    ...(result.systemErrorSamples.length === 0
      ? []
      : ['systemError texts seen:', '', ...result.systemErrorSamples.map((text) => `- ${text}`), '']),
    '## Memory',
    '',
    memory.method,
    '',
    `| | after warm-up (${(options.warmupMs / 1000).toFixed(0)} s) | end of run | growth | bound |`,
    `|---|---|---|---|---|`,
    `| RSS (median of window) | ${mib(memory.baselineRssBytes)} | ${mib(memory.finalRssBytes)} | ${pct(memory.rssGrowth)} | ${pct(memory.rssGrowthBound)} |`,
    `| V8 heap used after GC | ${mib(memory.baselineHeapBytes)} | ${mib(memory.finalHeapBytes)} | ${pct(memory.heapGrowth)} | (reported) |`,
    '',
    `Peak RSS ${mib(memory.peakRssBytes)}; ${result.samples.length} samples every ${(options.sampleIntervalMs / 1000).toFixed(0)} s.`,
    '',
    '## Latency per interval',
    '',
    `p99 drift from the first interval after warm-up to the last: ${pct(latency.p99Drift)} (${latency.firstP99Ms.toFixed(1)} → ${latency.lastP99Ms.toFixed(1)} ms; reported, not a bound).`,
    '',
    '| from | requests | keys | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|',
    ...result.intervals.map(
      (i) =>
        `| ${(i.fromMs / 1000).toFixed(0)} s | ${i.requests} | ${i.keys} | ${i.p50Ms.toFixed(1)} | ${i.p99Ms.toFixed(1)} | ${i.maxMs.toFixed(1)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
