/**
 * Composition: a configuration store → the image pipeline with its registry clients, verifiers and caches. Commands
 * build one runtime each; nothing here reads arguments or writes output.
 */
import {
  createResultCache,
  createTtlCache,
  fingerprintConfig,
  type SharedVerdictStore,
} from './cache/index.js';
import {
  createAzureKeyVaultSource,
  createSnapshot,
  describeConfigFile,
  loadConfigFile,
  loadDefaultConfig,
  withKeyVaultMaterial,
  type ConfigSnapshot,
  type ConfigStore,
} from './config/index.js';
import type { Logger, SignetMetrics } from './observability/index.js';
import { createImagePipeline, type ImagePipeline } from './pipeline/index.js';
import {
  createRegistryClient,
  createCredentialHelpers,
  createStoreCredentialProvider,
  isLoopbackRegistryHost,
  type Descriptor,
  type RegistryClient,
} from './registry/index.js';
import { classifyOutcome, type ImageResult } from './verdict/index.js';
import { describeTrustProblems, trustMaterialOf } from './verifiers/index.js';
import { VERSION } from './version.js';

export interface RuntimeOptions {
  readonly logger: Logger;
  readonly metrics: SignetMetrics | undefined;
  readonly verdictTtlSeconds: number;
  readonly failureTtlSeconds: number;
  readonly maxSignatures: number;
  /** The Redis verdict tier shared by replicas (`--redis-url`); see provider/cache/README.md. */
  readonly sharedVerdicts?: SharedVerdictStore<ImageResult>;
  /** How long a replaced snapshot's registry client stays open for verifications still using it. */
  readonly retireAfterMs?: number;
}

export interface Runtime {
  readonly pipeline: ImagePipeline;
  close(): void;
}

/** Memoizes a value per snapshot generation: built on first use, replaced when the generation changes. */
export function perGeneration<T>(
  build: (snapshot: ConfigSnapshot) => T,
  dispose?: (value: T) => void,
  retireAfterMs = 60_000,
): (snapshot: ConfigSnapshot) => T {
  let current: { generation: number; value: T } | undefined;
  return (snapshot) => {
    if (current?.generation === snapshot.generation) return current.value;
    const previous = current?.value;
    current = { generation: snapshot.generation, value: build(snapshot) };
    // In-flight verifications may still hold the previous value: dispose of it later, not now.
    if (previous !== undefined && dispose !== undefined)
      setTimeout(() => dispose(previous), retireAfterMs).unref();
    return current.value;
  };
}

export function createRuntime(store: ConfigStore, options: RuntimeOptions): Runtime {
  const { metrics } = options;
  const clients: RegistryClient[] = [];
  // One runner for every snapshot: docker credential helpers' answers stay cached across configuration changes.
  const credentialHelpers = createCredentialHelpers();
  const registryFor = perGeneration(
    (snapshot) => {
      const useHttpEverywhere = snapshot.stores.some((s) => s.useHttp);
      const insecure = new Set(snapshot.stores.flatMap((s) => s.signet.insecureRegistries));
      const client = createRegistryClient({
        credentials: createStoreCredentialProvider(snapshot.stores, credentialHelpers),
        // Loopback registries are spoken to over plain HTTP, as the Docker daemon does by default: the traffic
        // never leaves the host, and local test registries rarely have certificates.
        isInsecure: (registry) =>
          useHttpEverywhere || insecure.has(registry) || isLoopbackRegistryHost(registry),
        // Hosts a Store names explicitly may be redirect and realm destinations (provider/registry/README.md).
        isConfiguredHost: (host) => insecure.has(host),
        userAgent: `signet/${VERSION}`,
        ...(metrics === undefined ? {} : { onRequest: (event) => metrics.recordRegistryRequest(event) }),
      });
      clients.push(client);
      return client;
    },
    (client) => {
      client.close();
      clients.splice(clients.indexOf(client), 1);
    },
    options.retireAfterMs,
  );
  // Trust material is built when a snapshot is published (and for the one in force now), off the request path; a
  // request that arrives before the build is done awaits the same build.
  const buildTrustMaterial = (snapshot: ConfigSnapshot): void => {
    // A failed build fails every request under the snapshot (they await it too); here it is only logged.
    trustMaterialOf(snapshot).catch((error: unknown) =>
      options.logger.error(
        { err: error, generation: snapshot.generation },
        'trust material could not be built: every verification under this configuration fails',
      ),
    );
  };
  if (store.isLoaded()) buildTrustMaterial(store.current());
  const unsubscribe = store.subscribe(buildTrustMaterial);
  const pipeline = createImagePipeline({
    registryFor,
    config: () => store.current(),
    trustMaterial: trustMaterialOf,
    verdicts: createResultCache<ImageResult>({
      maxEntries: 10_000,
      maxBytes: 64 * 1024 * 1024,
      sizeOf: (result) => JSON.stringify(result.reports).length + 512,
      ttlSuccessMs: options.verdictTtlSeconds * 1000,
      ttlFailureMs: options.failureTtlSeconds * 1000,
      classify: classifyOutcome,
      ...(metrics === undefined ? {} : { observer: metrics.cacheObserver('verdicts') }),
      ...(options.sharedVerdicts === undefined ? {} : { shared: options.sharedVerdicts }),
    }),
    ...(options.sharedVerdicts === undefined
      ? {}
      : { sharedConfigId: perGeneration((snapshot) => fingerprintConfig(snapshot, VERSION)) }),
    digestDescriptors: createTtlCache<Descriptor>({
      ttlMs: 300_000,
      maxEntries: 10_000,
      ...(metrics === undefined ? {} : { observer: metrics.cacheObserver('digest_descriptors') }),
    }),
    // Images are counted once, by the verify route (it also sees keys shed or cut off before the pipeline).
    maxSignaturesPerImage: options.maxSignatures,
  });
  return {
    pipeline,
    close: () => {
      unsubscribe();
      clients.forEach((client) => client.close());
      options.sharedVerdicts?.close();
    },
  };
}

/** One snapshot of a configuration file, or the embedded default without one (commands that do not watch). */
export async function loadConfigOnce(configPath: string | undefined): Promise<ConfigSnapshot> {
  if (configPath === undefined) return loadDefaultConfig();
  // One fetch of any `azurekeyvault` provider's material; nothing refreshes afterwards.
  const keyVault = createAzureKeyVaultSource();
  try {
    const resources = await withKeyVaultMaterial(await loadConfigFile(configPath), keyVault);
    return createSnapshot(resources, { generation: 1, source: describeConfigFile(configPath) });
  } finally {
    keyVault.close();
  }
}

/** Configuration problems only a verifier can see (e.g. notation's trust policy rules), one line each. */
export async function verifierProblems(snapshot: ConfigSnapshot): Promise<string[]> {
  return describeTrustProblems(await trustMaterialOf(snapshot));
}
