// The side-by-side benchmark's report: result types, the Markdown table and a hand-written SVG bar chart.

export type SystemName = 'signet' | 'ratify';
export type RegistryName = 'olareg' | 'distribution';

export interface ScenarioDefinition {
  readonly name: string;
  /** One line for tables and the README. */
  readonly title: string;
  /**
   * cold: a fresh process per system; warm: the same process answers a priming pass first (not measured);
   * converge: the same batch is sent again (up to `maxCalls` times) until every key has been answered.
   */
  readonly kind: 'cold' | 'warm' | 'converge';
  readonly uniqueImages: number;
  readonly keysPerRequest: number;
  readonly requests: number;
  readonly concurrency: number;
  /** Injected one-way delay per registry request (the fault proxy waits this long before forwarding). */
  readonly latencyMs: number;
  /** tag: `host/repo:v1` (resolved on every verification); digest: `host/repo@sha256:…` (digest-pinned). */
  readonly keyForm: 'tag' | 'digest';
  /** uniform (default): requests cycle through the images; zipf: each key is drawn with Zipf popularity (s = 1). */
  readonly popularity?: 'uniform' | 'zipf';
  /** A throttling registry: above `perSecond` requests the proxy answers 429 with this Retry-After. */
  readonly throttle?: { readonly perSecond: number; readonly retryAfterSeconds: number };
  /** signet replicas behind a loopback round-robin sharing one Redis (signet only). */
  readonly replicas?: number;
  /** converge: calls at most. */
  readonly maxCalls?: number;
  /** The registries this scenario runs on (default: every one measured). */
  readonly registries?: readonly RegistryName[];
  /** The systems this scenario applies to (default: every one measured). */
  readonly systems?: readonly SystemName[];
  /** Extra `signet serve` flags (e.g. --max-keys for batches over its default of 1000). */
  readonly signetArgs?: readonly string[];
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface Measurement {
  readonly system: SystemName;
  readonly requests: number;
  /** Requests that failed as a whole: a transport error, a non-2xx status or a systemError. */
  readonly requestErrors: number;
  readonly keys: number;
  /** Keys with an item in the answer (matched by key: Ratify answers in random order). */
  readonly answered: number;
  /** Keys without an item (a request error, or a batch the provider cut short). */
  readonly leftOut: number;
  /** Items with isSuccess true: every benchmark image is signed by the trusted key, so this is the right answer. */
  readonly verified: number;
  /** Items with isSuccess false (e.g. a per-key timeout). */
  readonly failed: number;
  readonly wallSeconds: number;
  /** Verified keys per wall-clock second. */
  readonly keysPerSecond: number;
  readonly latencyMs: Percentiles;
  /** Requests the provider sent to the registry during the measured phase (counted by the proxy in front of it). */
  readonly registryRequests: number;
  readonly registryRequestsPerImage: number;
  /** VmHWM of the provider process at the end of the phase (the process is fresh for each scenario). */
  readonly peakRssMiB: number;
  /** utime + stime of the provider process spent during the measured phase. */
  readonly cpuSeconds: number;
  /** VmRSS right after the process answered its readiness check. */
  readonly readyRssMiB: number;
  /** utime + stime from exec to ready (Node's start and module loading; Go's init). */
  readonly startupCpuSeconds: number;
  /** A few distinct failure messages, for diagnosis. */
  readonly failureSamples: readonly string[];
  /** converge: calls until every key had an answer (undefined: not within maxCalls). */
  readonly callsToConverge?: number;
  /** Answers of the throttling proxy that were 429. */
  readonly throttledResponses?: number;
  /** replicas: lookups in the shared Redis tier that found a verdict another replica had written. */
  readonly sharedHitRate?: number;
  /** VmRSS at the end of the phase, holding what it cached (10k verdicts in scale-10k). */
  readonly endRssMiB?: number;
}

export interface Ratios {
  readonly wallSeconds: number | null;
  readonly keysPerSecond: number | null;
  readonly p95: number | null;
  readonly registryRequestsPerImage: number | null;
  readonly peakRssMiB: number | null;
  readonly cpuSeconds: number | null;
}

export interface Comparison {
  readonly registry: RegistryName;
  readonly scenario: ScenarioDefinition;
  readonly signet?: Measurement;
  readonly ratify?: Measurement;
  /** signet ÷ Ratify; null when either side is missing or Ratify's value is 0. */
  readonly ratio: Ratios;
}

export interface SideBySideReport {
  readonly date: string;
  readonly durationSeconds: number;
  readonly host: { readonly cpus: number; readonly loadAverageAtStart: readonly number[] };
  readonly versions: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
  readonly comparisons: readonly Comparison[];
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || b === 0) return null;
  return Math.round((a / b) * 100) / 100;
}

export function ratios(signet: Measurement | undefined, ratify: Measurement | undefined): Ratios {
  return {
    wallSeconds: ratio(signet?.wallSeconds, ratify?.wallSeconds),
    keysPerSecond: ratio(signet?.keysPerSecond, ratify?.keysPerSecond),
    p95: ratio(signet?.latencyMs.p95, ratify?.latencyMs.p95),
    registryRequestsPerImage: ratio(signet?.registryRequestsPerImage, ratify?.registryRequestsPerImage),
    peakRssMiB: ratio(signet?.peakRssMiB, ratify?.peakRssMiB),
    cpuSeconds: ratio(signet?.cpuSeconds, ratify?.cpuSeconds),
  };
}

const SYSTEM_LABEL: Record<SystemName, string> = { signet: 'signet', ratify: 'Ratify' };

function fmt(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined) return '–';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

function measurementRow(c: Comparison, m: Measurement): string {
  const keys = `${m.verified}/${m.keys}` + (m.leftOut > 0 ? ` (${m.leftOut} left out)` : '');
  return (
    `| ${c.registry} | ${c.scenario.name} | ${SYSTEM_LABEL[m.system]} | ${fmt(m.wallSeconds)} | ${keys} | ` +
    `${fmt(m.keysPerSecond, 0)} | ${fmt(m.latencyMs.p50, 0)} | ${fmt(m.latencyMs.p95, 0)} | ${fmt(m.latencyMs.p99, 0)} | ` +
    `${fmt(m.registryRequestsPerImage)} | ${m.peakRssMiB} (${m.readyRssMiB}) | ${fmt(m.cpuSeconds)} |`
  );
}

function ratioRow(c: Comparison): string {
  const r = c.ratio;
  const x = (v: number | null): string => (v === null ? '–' : `**${fmt(v)}×**`);
  return (
    `| | | signet ÷ Ratify | ${x(r.wallSeconds)} | | ${x(r.keysPerSecond)} | | ${x(r.p95)} | | ` +
    `${x(r.registryRequestsPerImage)} | ${x(r.peakRssMiB)} | ${x(r.cpuSeconds)} |`
  );
}

export function markdownTable(report: SideBySideReport): string {
  const lines = [
    '| registry | scenario | system | wall s | verified/keys | keys/s | p50 ms | p95 ms | p99 ms | registry req/image | peak RSS MiB (at ready) | CPU s |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of report.comparisons) {
    for (const m of [c.signet, c.ratify]) if (m !== undefined) lines.push(measurementRow(c, m));
    if (c.signet !== undefined && c.ratify !== undefined) lines.push(ratioRow(c));
  }
  return lines.join('\n');
}

/** The scenario's numbers in words, e.g. "1 request × 100 tag keys over 100 images, concurrency 1, +20 ms". */
export function describeScenario(s: ScenarioDefinition): string {
  const requests = `${s.requests} request${s.requests === 1 ? '' : 's'}`;
  const keys = `${s.keysPerRequest} ${s.keyForm === 'digest' ? 'digest-pinned' : 'tag'} key${s.keysPerRequest === 1 ? '' : 's'}`;
  const latency = s.latencyMs === 0 ? 'no added registry latency' : `+${s.latencyMs} ms per registry request`;
  const shape = [
    `${requests} × ${keys} over ${s.uniqueImages} images`,
    ...(s.popularity === 'zipf' ? ['Zipf popularity'] : []),
    `concurrency ${s.concurrency}`,
    latency,
    ...(s.throttle === undefined
      ? []
      : [`429 above ${s.throttle.perSecond} requests/s (Retry-After ${s.throttle.retryAfterSeconds} s)`]),
    ...(s.replicas === undefined ? [] : [`${s.replicas} replica(s) sharing Redis`]),
    s.kind === 'converge'
      ? `the batch repeated until answered (≤ ${s.maxCalls ?? '?'} calls)`
      : `${s.kind} process`,
  ];
  return shape.join(', ');
}

/** Per-scenario facts that have no column of their own. */
function extras(report: SideBySideReport): string[] {
  return report.comparisons.flatMap((c) =>
    [c.signet, c.ratify].flatMap((m) => {
      if (m === undefined) return [];
      const facts = [
        ...(c.scenario.kind === 'converge'
          ? [`calls to converge: ${m.callsToConverge ?? `not within ${c.scenario.maxCalls ?? '?'}`}`]
          : []),
        ...(m.throttledResponses === undefined ? [] : [`429 answers: ${m.throttledResponses}`]),
        ...(m.sharedHitRate === undefined ? [] : [`shared (Redis) hit rate ${fmt(m.sharedHitRate)}`]),
        ...(m.endRssMiB === undefined ? [] : [`RSS at the end ${m.endRssMiB} MiB`]),
      ];
      return facts.length === 0
        ? []
        : [`- ${c.registry} / ${c.scenario.name} / ${SYSTEM_LABEL[m.system]}: ${facts.join('; ')}`];
    }),
  );
}

export function markdownReport(report: SideBySideReport): string {
  const scenarios = new Map(report.comparisons.map((c) => [c.scenario.name, c.scenario]));
  const failures = report.comparisons.flatMap((c) =>
    [c.signet, c.ratify]
      .filter((m): m is Measurement => m !== undefined && m.failureSamples.length > 0)
      .map(
        (m) =>
          `- ${c.registry} / ${c.scenario.name} / ${SYSTEM_LABEL[m.system]}: ${m.failureSamples.join(' · ')}`,
      ),
  );
  return [
    `# signet vs Ratify — ${report.date}`,
    '',
    `${report.host.cpus} CPUs, load average at start ${report.host.loadAverageAtStart.join(' / ')}; ` +
      `whole run ${Math.round(report.durationSeconds)} s. ` +
      Object.entries(report.versions)
        .map(([name, version]) => `${name} ${version}`)
        .join(', ') +
      '.',
    '',
    markdownTable(report),
    '',
    'Ratios below 1 favour signet for wall time, p95, registry requests, RSS and CPU; above 1 for keys/s.',
    '',
    ...(extras(report).length === 0 ? [] : ['## More per scenario', '', ...extras(report), '']),
    '## Scenarios',
    '',
    ...[...scenarios.values()].map((s) => `- **${s.name}**: ${s.title}. ${describeScenario(s)}.`),
    ...(report.notes.length === 0 ? [] : ['', '## Notes', '', ...report.notes.map((n) => `- ${n}`)]),
    ...(failures.length === 0 ? [] : ['', '## Failure samples', '', ...failures]),
    '',
  ].join('\n');
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** 1, 2 or 5 × 10^n at or above `max / 4`, so an axis gets 4–10 gridlines. */
function niceStep(max: number): number {
  if (max <= 0) return 1;
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly value: (m: Measurement) => number;
}

const COLORS: Record<SystemName, string> = { signet: '#2b6cb0', ratify: '#dd6b20' };

/** Grouped bars (one group per registry × scenario, signet beside Ratify), one panel per metric. */
export function svgChart(report: SideBySideReport): string {
  const panels: Panel[] = [
    { title: 'Wall time of the measured phase', unit: 's', value: (m) => m.wallSeconds },
    { title: 'CPU time of the provider process', unit: 's', value: (m) => m.cpuSeconds },
    { title: 'Peak RSS of the provider process', unit: 'MiB', value: (m) => m.peakRssMiB },
  ];
  const groups = report.comparisons;
  const systems: SystemName[] = ['signet', 'ratify'];
  const barWidth = 22;
  const groupGap = 30;
  const groupWidth = systems.length * barWidth + groupGap;
  const left = 70;
  const right = 20;
  const panelHeight = 210;
  const plotHeight = 150;
  const labelHeight = 40;
  const top = 70;
  const width = Math.max(640, left + right + groups.length * groupWidth);
  const height = top + panels.length * (panelHeight + labelHeight) + 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">signet vs Ratify (${escapeXml(report.date)})</text>`,
  ];
  systems.forEach((system, i) => {
    const x = left + i * 110;
    out.push(`<rect x="${x}" y="38" width="14" height="14" fill="${COLORS[system]}"/>`);
    out.push(`<text x="${x + 20}" y="50">${SYSTEM_LABEL[system]}</text>`);
  });
  panels.forEach((panel, p) => {
    const y0 = top + p * (panelHeight + labelHeight);
    const baseline = y0 + 30 + plotHeight;
    const values = groups.flatMap((c) =>
      systems.map((s) => c[s]).flatMap((m) => (m === undefined ? [] : [panel.value(m)])),
    );
    const step = niceStep(Math.max(0, ...values));
    const axisMax = Math.max(step, Math.ceil(Math.max(0, ...values) / step) * step);
    const scale = (v: number): number => (v / axisMax) * plotHeight;
    out.push(`<g>`);
    out.push(
      `<text x="${left}" y="${y0 + 16}" font-size="13" font-weight="bold">${escapeXml(panel.title)} (${panel.unit})</text>`,
    );
    for (let v = 0; v <= axisMax + step / 2; v += step) {
      const y = baseline - scale(v);
      out.push(
        `<line x1="${left}" y1="${y.toFixed(1)}" x2="${width - right}" y2="${y.toFixed(1)}" stroke="#e2e8f0"/>`,
      );
      out.push(
        `<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#4a5568">${fmt(Math.round(v * 1000) / 1000)}</text>`,
      );
    }
    groups.forEach((c, g) => {
      const gx = left + groupGap / 2 + g * groupWidth;
      systems.forEach((system, i) => {
        const m = c[system];
        if (m === undefined) return;
        const v = panel.value(m);
        const h = Math.max(v > 0 ? 1 : 0, scale(v));
        const x = gx + i * barWidth;
        out.push(
          `<rect x="${x}" y="${(baseline - h).toFixed(1)}" width="${barWidth - 2}" height="${h.toFixed(1)}" fill="${COLORS[system]}">` +
            `<title>${escapeXml(`${c.registry} ${c.scenario.name} ${SYSTEM_LABEL[system]}: ${fmt(v)} ${panel.unit}`)}</title></rect>`,
        );
        const label = v >= 100 ? fmt(Math.round(v), 0) : fmt(Math.round(v * 100) / 100);
        out.push(
          `<text x="${x + (barWidth - 2) / 2}" y="${(baseline - h - 3).toFixed(1)}" text-anchor="middle" font-size="8" fill="#1a202c">${label}</text>`,
        );
      });
      const cx = gx + (systems.length * barWidth) / 2;
      out.push(
        `<text x="${cx}" y="${baseline + 14}" text-anchor="middle" font-size="9">${escapeXml(c.scenario.name)}</text>`,
      );
      out.push(
        `<text x="${cx}" y="${baseline + 26}" text-anchor="middle" font-size="9" fill="#718096">${escapeXml(c.registry)}</text>`,
      );
    });
    out.push(
      `<line x1="${left}" y1="${baseline}" x2="${width - right}" y2="${baseline}" stroke="#2d3748"/>`,
      `</g>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}
