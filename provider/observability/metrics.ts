import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type {
  CacheObserver,
  EvictionReason,
  SharedCacheErrorReason,
  SharedCacheObserver,
} from '../cache/cache.types.js';
import type { ImageOutcome } from '../verdict/index.js';

/** How one Gatekeeper request ended: answered cleanly, answered with a systemError, rejected, or failed. */
export type RequestOutcome = 'ok' | 'system_error' | 'client_error' | 'server_error';

export type { ImageOutcome };

export interface RequestLabels {
  readonly provider: string;
  readonly route: string;
}

/** What the registry client reports per HTTP exchange (its `onRequest` hook). Never URLs with tokens. */
export interface RegistryRequestEvent {
  readonly host: string;
  readonly method: string;
  /** HTTP status, or 'error' when no response arrived (network error, timeout). */
  readonly status: number | 'error';
  readonly durationMs?: number;
}

export interface SignetMetrics {
  readonly registry: Registry;
  /** Counts one finished request and observes its latency. */
  observeRequest(labels: RequestLabels, outcome: RequestOutcome, durationSeconds: number): void;
  /** Marks a request in flight; call the returned function exactly once when it ends. */
  trackInFlight(labels: RequestLabels): () => void;
  observeKeysPerRequest(labels: RequestLabels, keys: number): void;
  /** One image's verification latency by outcome; `code` names the failure (bounded by the error catalog). */
  observeImage(outcome: ImageOutcome, durationSeconds: number, code?: string): void;
  recordRegistryRequest(event: RegistryRequestEvent): void;
  cacheObserver(cacheName: string): CacheObserver;
  /** A shared (Redis) tier: hits and misses on the cache counters, plus writes and errors by operation and reason. */
  sharedCacheObserver(cacheName: string): SharedCacheObserver;
}

export interface MetricsOptions {
  /** Also export Node process metrics (RSS, event-loop lag, GC) from this registry. */
  readonly processMetrics?: boolean;
}

// Admission answers must come back within Gatekeeper's 3 s provider timeout; buckets resolve that range.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 5, 10];
const KEYS_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000];

/** All signet metrics on one registry (a fresh one unless given), so tests and servers never share state. */
export function createMetrics(
  registry: Registry = new Registry(),
  options: MetricsOptions = {},
): SignetMetrics {
  const registers = [registry];
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'signet_' });

  const requests = new Counter({
    name: 'signet_requests_total',
    help: 'Gatekeeper provider requests by provider, route and outcome.',
    labelNames: ['provider', 'route', 'outcome'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: 'signet_request_duration_seconds',
    help: 'Gatekeeper provider request latency by provider, route and outcome.',
    labelNames: ['provider', 'route', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const inFlight = new Gauge({
    name: 'signet_requests_in_flight',
    help: 'Gatekeeper provider requests being processed.',
    labelNames: ['provider', 'route'] as const,
    registers,
  });
  const keysPerRequest = new Histogram({
    name: 'signet_request_keys',
    help: 'Keys (images) per Gatekeeper provider request.',
    labelNames: ['provider', 'route'] as const,
    buckets: KEYS_BUCKETS,
    registers,
  });
  const imageDuration = new Histogram({
    name: 'signet_image_verification_duration_seconds',
    help: 'Per-image verification latency by outcome.',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const imageFailures = new Counter({
    name: 'signet_image_failures_total',
    help: 'Images that were not allowed, by error code.',
    labelNames: ['outcome', 'code'] as const,
    registers,
  });
  const registryRequests = new Counter({
    name: 'signet_registry_requests_total',
    help: 'HTTP requests to OCI registries by host, method and status ("error" when no response arrived).',
    labelNames: ['host', 'method', 'status'] as const,
    registers,
  });
  const registryDuration = new Histogram({
    name: 'signet_registry_request_duration_seconds',
    help: 'OCI registry request latency by host and method.',
    labelNames: ['host', 'method'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const cacheHits = new Counter({
    name: 'signet_cache_hits_total',
    help: 'Cache hits by cache name.',
    labelNames: ['cache'] as const,
    registers,
  });
  const cacheMisses = new Counter({
    name: 'signet_cache_misses_total',
    help: 'Cache misses by cache name.',
    labelNames: ['cache'] as const,
    registers,
  });
  const cacheEvictions = new Counter({
    name: 'signet_cache_evictions_total',
    help: 'Cache evictions by cache name and reason (capacity or expired).',
    labelNames: ['cache', 'reason'] as const,
    registers,
  });
  const cacheWrites = new Counter({
    name: 'signet_cache_writes_total',
    help: 'Values written to a shared cache (Redis) by cache name.',
    labelNames: ['cache'] as const,
    registers,
  });
  const cacheErrors = new Counter({
    name: 'signet_cache_errors_total',
    help: 'Shared cache (Redis) failures by cache name, operation (read, write) and reason (unavailable, timeout, invalid, too_large); reads that fail are also misses.',
    labelNames: ['cache', 'operation', 'reason'] as const,
    registers,
  });

  return {
    registry,
    observeRequest(labels, outcome, durationSeconds) {
      const all = { provider: labels.provider, route: labels.route, outcome };
      requests.inc(all);
      requestDuration.observe(all, durationSeconds);
    },
    trackInFlight(labels) {
      const bound = { provider: labels.provider, route: labels.route };
      inFlight.inc(bound);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        inFlight.dec(bound);
      };
    },
    observeKeysPerRequest(labels, keys) {
      keysPerRequest.observe({ provider: labels.provider, route: labels.route }, keys);
    },
    observeImage(outcome, durationSeconds, code) {
      imageDuration.observe({ outcome }, durationSeconds);
      if (outcome !== 'success') imageFailures.inc({ outcome, code: code ?? 'NONE' });
    },
    recordRegistryRequest(event) {
      const method = event.method.toUpperCase();
      registryRequests.inc({ host: event.host, method, status: String(event.status) });
      if (event.durationMs !== undefined)
        registryDuration.observe({ host: event.host, method }, event.durationMs / 1000);
    },
    cacheObserver(cacheName) {
      return {
        hit: () => cacheHits.inc({ cache: cacheName }),
        miss: () => cacheMisses.inc({ cache: cacheName }),
        evict: (reason: EvictionReason) => cacheEvictions.inc({ cache: cacheName, reason }),
      };
    },
    sharedCacheObserver(cacheName) {
      return {
        hit: () => cacheHits.inc({ cache: cacheName }),
        miss: () => cacheMisses.inc({ cache: cacheName }),
        write: () => cacheWrites.inc({ cache: cacheName }),
        error: (operation: 'read' | 'write', reason: SharedCacheErrorReason) =>
          cacheErrors.inc({ cache: cacheName, operation, reason }),
      };
    },
  };
}

/** One assignment's compliance as the periodic report found it (states as in the compliance report). */
export interface AssignmentCompliance {
  readonly assignment: string;
  readonly resources: Readonly<Record<'Compliant' | 'NonCompliant' | 'Error' | 'Unknown' | 'Exempt', number>>;
  /** null when nothing was judged (every resource Exempt or Unknown). */
  readonly compliancePercent: number | null;
}

export interface ComplianceMetrics {
  /** Replaces every assignment's gauges with these (an assignment no longer reported disappears). */
  record(assignments: readonly AssignmentCompliance[]): void;
  /** Removes every compliance series (this replica stopped reporting, e.g. lost the leader Lease). */
  clear(): void;
}

/** Gauges the periodic compliance report of `signet serve` sets (only on the replica that holds the Lease). */
export function createComplianceMetrics(registry: Registry): ComplianceMetrics {
  const resources = new Gauge({
    name: 'signet_compliance_resources',
    help: 'Resources in scope of an assignment by compliance state, from the last periodic compliance report.',
    labelNames: ['assignment', 'state'] as const,
    registers: [registry],
  });
  const percent = new Gauge({
    name: 'signet_compliance_percent',
    help: 'Compliant / (Compliant + NonCompliant + Error) x 100 per assignment, from the last periodic compliance report.',
    labelNames: ['assignment'] as const,
    registers: [registry],
  });
  const clear = () => {
    resources.reset();
    percent.reset();
  };
  return {
    record(assignments) {
      clear();
      for (const { assignment, resources: counts, compliancePercent } of assignments) {
        for (const [state, count] of Object.entries(counts)) resources.set({ assignment, state }, count);
        if (compliancePercent !== null) percent.set({ assignment }, compliancePercent);
      }
    },
    clear,
  };
}
