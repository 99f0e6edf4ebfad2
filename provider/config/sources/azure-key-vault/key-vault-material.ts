import type { KeyProviderConfig } from '../../config.types.js';
import type { KeyVaultFetcher, KeyVaultMaterial } from './fetch-key-vault.js';

/** Ratify's KeyManagementProvider default when `refreshInterval` is not set. */
export const DEFAULT_REFRESH_INTERVAL_MS = 5 * 60_000;
/** Shortest refresh signet honours, so a typo (`1ms`) cannot turn into a request storm against the vault. */
export const MIN_REFRESH_INTERVAL_MS = 1_000;

const GO_DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's `time.ParseDuration` (the syntax was checked at load), in milliseconds, at least MIN_REFRESH_INTERVAL_MS. */
export function toRefreshIntervalMs(refreshInterval: string | undefined): number {
  if (refreshInterval === undefined) return DEFAULT_REFRESH_INTERVAL_MS;
  let total = 0;
  for (const [, amount = '0', unit = 'ms'] of refreshInterval.matchAll(GO_DURATION_PART))
    total += Number(amount) * (UNIT_MS[unit] ?? 0);
  return Math.max(MIN_REFRESH_INTERVAL_MS, total);
}

/** Timers, injectable so tests drive refreshes without waiting. */
export interface RefreshScheduler {
  every(intervalMs: number, run: () => void): { cancel(): void };
}

const NODE_SCHEDULER: RefreshScheduler = {
  every(intervalMs, run) {
    const timer = setInterval(run, intervalMs);
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  },
};

export interface KeyVaultMaterialSourceOptions {
  readonly fetcher: KeyVaultFetcher;
  readonly scheduler?: RefreshScheduler;
  /** A refresh failed or changed nothing is not reported; a changed material is, without its bytes. */
  readonly log?: {
    info(details: object, message: string): void;
    warn(details: object, message: string): void;
  };
}

/**
 * Key Vault material for the configuration sources, fetched off the request path: `prepare` fetches what a
 * new or changed provider needs before a snapshot is built, each provider is re-fetched on its
 * `refreshInterval`, and a refresh that changes what a provider holds calls the `onChange` listeners, so the
 * source builds a new snapshot (a new generation: cached verdicts of the old material are not reused).
 */
export interface KeyVaultMaterialSource {
  /** Fetches the material of vault providers not seen with these settings before; forgets providers not listed. */
  prepare(providers: readonly KeyProviderConfig[]): Promise<void>;
  /** The provider with its fetched certificates and keys, or with `unavailable` saying why it holds none. */
  apply(provider: KeyProviderConfig): KeyProviderConfig;
  /** The material last fetched for the provider (undefined for inline providers and before the first fetch). */
  materialOf(provider: KeyProviderConfig): KeyVaultMaterial | undefined;
  /** Re-fetches every provider now (what each interval timer does for its provider). */
  refreshAll(): Promise<void>;
  onChange(listener: () => void): () => void;
  close(): void;
}

interface Entry {
  readonly provider: KeyProviderConfig;
  material: KeyVaultMaterial | undefined;
  fetching: Promise<void> | undefined;
  readonly timer: { cancel(): void };
}

function describe(provider: KeyProviderConfig): string {
  const { kind, namespace, name } = provider.resource;
  return `${kind}/${namespace === undefined ? '' : `${namespace}/`}${name}`;
}

/** Identity and settings: a provider whose vault settings or interval change is fetched afresh. */
function entryKey(provider: KeyProviderConfig): string {
  const { kind, namespace, name } = provider.resource;
  return JSON.stringify([kind, namespace, name, provider.azureKeyVault, provider.refreshInterval]);
}

export function createKeyVaultMaterialSource(options: KeyVaultMaterialSourceOptions): KeyVaultMaterialSource {
  const scheduler = options.scheduler ?? NODE_SCHEDULER;
  const entries = new Map<string, Entry>();
  const listeners = new Set<() => void>();
  let closed = false;

  function refresh(entry: Entry): Promise<void> {
    const settings = entry.provider.azureKeyVault;
    if (settings === undefined || closed) return Promise.resolve();
    // One fetch per provider at a time: a slow vault does not pile up refreshes.
    entry.fetching ??= options.fetcher
      .fetchMaterial(settings, describe(entry.provider))
      .then((material) => {
        const changed = entry.material !== undefined && entry.material.fingerprint !== material.fingerprint;
        entry.material = material;
        if (material.problem !== undefined)
          options.log?.warn(
            { resource: describe(entry.provider), problem: material.problem },
            'key vault material is unusable',
          );
        if (changed && !closed) {
          options.log?.info({ resource: describe(entry.provider) }, 'key vault material changed');
          for (const listener of [...listeners]) listener();
        }
      })
      .finally(() => (entry.fetching = undefined));
    return entry.fetching;
  }

  return {
    async prepare(providers) {
      const wanted = new Map(
        providers.filter((p) => p.azureKeyVault !== undefined).map((p) => [entryKey(p), p] as const),
      );
      for (const [key, entry] of entries) {
        if (wanted.has(key)) continue;
        entry.timer.cancel();
        entries.delete(key);
      }
      const pending: Promise<void>[] = [];
      for (const [key, provider] of wanted) {
        const known = entries.get(key);
        if (known !== undefined) {
          if (known.material === undefined) pending.push(known.fetching ?? refresh(known));
          continue;
        }
        const entry: Entry = {
          provider,
          material: undefined,
          fetching: undefined,
          timer: scheduler.every(toRefreshIntervalMs(provider.refreshInterval), () => void refresh(entry)),
        };
        entries.set(key, entry);
        pending.push(refresh(entry));
      }
      await Promise.all(pending);
    },

    apply(provider) {
      if (provider.azureKeyVault === undefined) return provider;
      const material = entries.get(entryKey(provider))?.material;
      if (material === undefined)
        return { ...provider, unavailable: 'its Key Vault certificates and keys have not been fetched yet' };
      return {
        ...provider,
        certificates: material.certificates,
        publicKeys: material.publicKeys,
        unavailable: material.problem,
      };
    },

    materialOf(provider) {
      return provider.azureKeyVault === undefined ? undefined : entries.get(entryKey(provider))?.material;
    },

    async refreshAll() {
      await Promise.all([...entries.values()].map(refresh));
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    close() {
      closed = true;
      for (const entry of entries.values()) entry.timer.cancel();
      entries.clear();
      listeners.clear();
    },
  };
}
