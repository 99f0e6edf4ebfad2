#!/usr/bin/env node
/**
 * The only composition root: command-line arguments → configuration snapshot → server or command.
 * Only this file and the express error middleware turn errors into exits or responses.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import {
  createRedisVerdictStore,
  createResultCache,
  createTtlCache,
  fingerprintConfig,
  type SharedVerdictStore,
} from './cache/index.js';
import { addAssignCommand } from './commands/assign.js';
import {
  createConfigStore,
  createSnapshot,
  describeConfigFile,
  loadConfigFile,
  loadDefaultConfig,
  watchConfigFile,
  type ConfigSnapshot,
  type ConfigStore,
  type NamespaceView,
  type StoreConfig,
} from './config/index.js';
import { SignetError, toSignetError } from './errors.js';
import { MAX_KYVERNO_POLICY_BYTES, formatImportNote, importKyverno } from './import/index.js';
import {
  createLogger,
  createMetrics,
  newTraceId,
  type Logger,
  type SignetMetrics,
} from './observability/index.js';
import {
  createImagePipeline,
  imageResultCodec,
  type ImagePipeline,
  type ImageResult,
} from './pipeline/index.js';
import {
  chainCredentialProviders,
  createDockerConfigCredentialProvider,
  createRegistryClient,
  createStaticCredentialProvider,
  type Credential,
  type CredentialProvider,
  type Descriptor,
  type RegistryClient,
} from './registry/index.js';
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_PROTOCOL_OPTIONS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  startServer,
  toProviderResource,
  toRatifyResult,
} from './server/index.js';
import {
  ATTESTOR_VERIFIER_TYPE,
  createArtifactVerifiers,
  createAttestorVerifiers,
  type ArtifactVerifier,
} from './verifiers/index.js';

const VERSION = '0.1.0';

interface RuntimeOptions {
  readonly logger: Logger;
  readonly metrics: SignetMetrics | undefined;
  readonly verdictTtlSeconds: number;
  readonly failureTtlSeconds: number;
  readonly maxSignatures: number;
  /** The Redis verdict tier shared by replicas (`--redis-url`); see provider/cache/README.md. */
  readonly sharedVerdicts?: SharedVerdictStore<ImageResult>;
}

function integer(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    }
    return value;
  };
}

/** Where Ratify's `dockerConfig` auth provider reads from when no path is configured. */
function defaultDockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/**
 * Credentials for one snapshot: a Store's static credentials (signet extension) first, then its
 * docker config. The default docker config path may be absent; an explicitly configured one may not.
 */
function credentialsFor(stores: readonly StoreConfig[]): CredentialProvider {
  const providers: CredentialProvider[] = [];
  for (const store of stores) {
    const fixed = new Map<string, Credential>(
      Object.entries(store.signet.credentials).map(([host, c]) => [
        host,
        { $case: 'basic', username: c.username, password: c.password.reveal() },
      ]),
    );
    providers.push(createStaticCredentialProvider(fixed));
    if (store.authProvider.name === 'dockerConfig') {
      const explicit = store.authProvider.configPath;
      const loading = createDockerConfigCredentialProvider(explicit ?? defaultDockerConfigPath()).catch(
        (error: unknown): CredentialProvider => {
          if (explicit !== undefined) throw error;
          return () => Promise.resolve(undefined);
        },
      );
      providers.push(async (registry) => (await loading)(registry));
    }
  }
  return chainCredentialProviders(providers);
}

/**
 * Registries on the loopback interface are spoken to over plain HTTP, as the Docker daemon does by
 * default: the traffic never leaves the host, and local test registries rarely have certificates.
 */
function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Memoizes a value per snapshot generation: built on first use, replaced when the generation changes. */
function perGeneration<T>(build: (snapshot: ConfigSnapshot) => T, dispose?: (value: T) => void) {
  let current: { generation: number; value: T } | undefined;
  return (snapshot: ConfigSnapshot): T => {
    if (current?.generation === snapshot.generation) return current.value;
    const previous = current?.value;
    current = { generation: snapshot.generation, value: build(snapshot) };
    // In-flight verifications may still hold the previous value: dispose of it later, not now.
    if (previous !== undefined && dispose !== undefined) setTimeout(() => dispose(previous), 60_000).unref();
    return current.value;
  };
}

function createRuntime(
  store: ConfigStore,
  options: RuntimeOptions,
): { pipeline: ImagePipeline; close(): void } {
  const { metrics } = options;
  const clients: RegistryClient[] = [];
  const registryFor = perGeneration(
    (snapshot) => {
      const useHttpEverywhere = snapshot.stores.some((s) => s.useHttp);
      const insecure = new Set(snapshot.stores.flatMap((s) => s.signet.insecureRegistries));
      const client = createRegistryClient({
        credentials: credentialsFor(snapshot.stores),
        isInsecure: (registry) => useHttpEverywhere || insecure.has(registry) || isLoopbackRegistry(registry),
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
  );
  const verifiersByView = perGeneration(() => new Map<string, ArtifactVerifier[]>());
  const verifiersFor = (snapshot: ConfigSnapshot, view: NamespaceView): ArtifactVerifier[] => {
    const memo = verifiersByView(snapshot);
    const key = [...view.verifiers, ...view.attestationPolicies]
      .map((v) => `${v.resource.kind}/${v.resource.namespace ?? ''}/${v.resource.name}`)
      .join(',');
    let verifiers = memo.get(key);
    if (verifiers === undefined) {
      verifiers = [
        ...createArtifactVerifiers(view.verifiers),
        ...createAttestorVerifiers(view.attestationPolicies),
      ];
      memo.set(key, verifiers);
    }
    return verifiers;
  };
  const pipeline = createImagePipeline({
    registryFor,
    config: () => store.current(),
    verifiersFor,
    verdicts: createResultCache<ImageResult>({
      maxEntries: 10_000,
      maxBytes: 64 * 1024 * 1024,
      sizeOf: (result) => JSON.stringify(result.reports).length + 512,
      ttlSuccessMs: options.verdictTtlSeconds * 1000,
      ttlFailureMs: options.failureTtlSeconds * 1000,
      classify: (result) =>
        result.isSuccess ? 'success' : result.error?.kind === 'verdict' ? 'failure' : 'inconclusive',
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
    maxSignaturesPerImage: options.maxSignatures,
    onImage: (result, seconds) => {
      const outcome = result.isSuccess
        ? 'success'
        : result.error?.kind === 'verdict'
          ? 'failure'
          : 'inconclusive';
      metrics?.observeImage(outcome, seconds, result.error?.code);
    },
  });
  return {
    pipeline,
    close: () => {
      clients.forEach((client) => client.close());
      options.sharedVerdicts?.close();
    },
  };
}

async function loadOnce(configPath: string | undefined): Promise<ConfigSnapshot> {
  if (configPath === undefined) return loadDefaultConfig();
  const resources = await loadConfigFile(configPath);
  return createSnapshot(resources, { generation: 1, source: describeConfigFile(configPath) });
}

interface ServeOptions {
  config?: string;
  configSource: 'file' | 'kubernetes';
  namespace?: string;
  kubeResync: number;
  port: number;
  host?: string;
  metricsPort: number;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  insecureHttp: boolean;
  providerName: string;
  verifyPath: string;
  mutatePath: string;
  deadlineMs: number;
  maxKeys: number;
  maxInFlight: number;
  maxConnections: number;
  requestTimeoutMs: number;
  tlsHandshakeTimeoutMs: number;
  verdictTtl: number;
  failureTtl: number;
  maxSignatures: number;
  logLevel: string;
  redisUrl?: string;
  redisPasswordFile?: string;
  redisTlsCa?: string;
  redisTimeoutMs: number;
}

/** The namespace signet runs in (Secrets are read there): POD_NAMESPACE, else the service account's. */
async function ownNamespace(): Promise<string> {
  if (process.env.POD_NAMESPACE !== undefined && process.env.POD_NAMESPACE !== '')
    return process.env.POD_NAMESPACE;
  try {
    return (await readFile('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8')).trim();
  } catch {
    return 'default';
  }
}

async function serve(options: ServeOptions): Promise<void> {
  const logger = createLogger({
    level: options.logLevel as 'info',
    base: { provider: options.providerName },
  });
  const metrics = createMetrics();
  const store = createConfigStore();
  let stopWatching: (() => Promise<void>) | undefined;
  const onSnapshot = (snapshot: ConfigSnapshot): void => {
    store.publish(snapshot);
    logger.info(
      { generation: snapshot.generation, source: snapshot.sourceDescription },
      'configuration loaded',
    );
    for (const problem of verifierProblems(snapshot))
      logger.warn({ problem }, 'verifier cannot verify anything');
  };
  const onError = (error: SignetError): void => {
    store.recordError(error);
    logger.error(
      { code: error.code, reason: error.message },
      'configuration rejected; keeping the last good one',
    );
  };
  if (options.configSource === 'kubernetes') {
    if (options.config !== undefined) {
      throw new SignetError('CONFIG_INVALID', {
        stage: 'config',
        reason: '--config and --config-source kubernetes exclude each other',
      });
    }
    // Loaded here only: the Kubernetes client costs ~50 MiB resident that the file source never needs.
    const [{ KubeConfig }, { watchKubernetesConfig }] = await Promise.all([
      import('@kubernetes/client-node'),
      import('./config/sources/kubernetes/index.js'),
    ]);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
    const watcher = await watchKubernetesConfig({
      kubeConfig,
      namespace: options.namespace ?? (await ownNamespace()),
      onSnapshot,
      onError,
      // A Verifier that cannot verify anything is rejected (status error) rather than deny every image.
      verifierProblem: (verifier) => createArtifactVerifiers([verifier])[0]?.problem?.message,
      log: logger,
      resyncMs: options.kubeResync * 1000,
    });
    stopWatching = () => watcher.close();
  } else if (options.config === undefined) {
    store.publish(await loadDefaultConfig());
  } else {
    const watcher = await watchConfigFile(options.config, onSnapshot, onError);
    stopWatching = () => watcher.close();
  }
  const runtime = createRuntime(store, {
    logger,
    metrics,
    verdictTtlSeconds: options.verdictTtl,
    failureTtlSeconds: options.failureTtl,
    maxSignatures: options.maxSignatures,
    ...(options.redisUrl === undefined
      ? {}
      : {
          sharedVerdicts: await createRedisVerdictStore({
            url: options.redisUrl,
            passwordFile: options.redisPasswordFile,
            tlsCaFile: options.redisTlsCa,
            timeoutMs: options.redisTimeoutMs,
            codec: imageResultCodec,
            log: logger,
            observer: metrics.sharedCacheObserver('verdicts_redis'),
          }),
        }),
  });
  if (
    !options.insecureHttp &&
    (options.tlsCert === undefined || options.tlsKey === undefined || options.clientCa === undefined)
  ) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'server',
      reason:
        'HTTPS with mTLS needs --tls-cert, --tls-key and --client-ca (or --insecure-http for local experiments)',
    });
  }
  const server = await startServer({
    pipeline: runtime.pipeline,
    logger,
    metrics,
    isReady: () => store.isLoaded(),
    protocol: {
      providerName: options.providerName,
      verifyPath: options.verifyPath,
      mutatePath: options.mutatePath,
      deadlineMs: options.deadlineMs,
      maxKeys: options.maxKeys,
    },
    admission: { maxInFlight: options.maxInFlight },
    maxConnections: options.maxConnections,
    requestTimeoutMs: options.requestTimeoutMs,
    tlsHandshakeTimeoutMs: options.tlsHandshakeTimeoutMs,
    ...(options.host === undefined ? {} : { host: options.host }),
    port: options.port,
    metricsPort: options.metricsPort,
    ...(options.insecureHttp
      ? { insecureHttp: true }
      : {
          tls: {
            certFile: options.tlsCert ?? '',
            keyFile: options.tlsKey ?? '',
            clientCaFile: options.clientCa ?? '',
          },
        }),
  });
  logger.info(
    { url: server.url, metricsUrl: server.metricsUrl, mtls: !options.insecureHttp },
    'signet serving',
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    Promise.all([stopWatching?.(), server.close()])
      .then(() => runtime.close())
      .then(() => logger.flush())
      .catch((error: unknown) => logger.error({ err: error }, 'shutdown failed'))
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function describeResult(result: ImageResult): string {
  const lines = [
    `image:    ${result.key}`,
    `subject:  ${result.subject ?? '(unresolved)'}`,
    `verdict:  ${result.isSuccess ? 'ALLOWED' : 'DENIED'}`,
  ];
  if (result.error !== undefined)
    lines.push(`reason:   ${result.error.describe()}`, `fix:      ${result.error.remediation}`);
  for (const report of result.reports) {
    lines.push(
      `  - ${report.isSuccess ? 'pass' : 'FAIL'} ${report.verifierName} ${report.subject}: ${report.message}`,
    );
  }
  return lines.join('\n');
}

async function verifyCommand(
  images: string[],
  options: { config?: string; output: string; deadlineMs: number },
): Promise<void> {
  const store = createConfigStore();
  store.publish(await loadOnce(options.config));
  const logger = createLogger({ level: 'silent' });
  const runtime = createRuntime(store, {
    logger,
    metrics: undefined,
    verdictTtlSeconds: 0,
    failureTtlSeconds: 0,
    maxSignatures: 32,
  });
  try {
    const results = await Promise.all(
      images.map((image) => {
        const traceId = newTraceId();
        return runtime.pipeline
          .verify(image, { signal: AbortSignal.timeout(options.deadlineMs), traceId })
          .then((result) => ({ result, traceId }));
      }),
    );
    if (options.output === 'json') {
      const now = new Date();
      const rendered = results.map(({ result, traceId }) => ({
        key: result.key,
        value: toRatifyResult(result, { traceId, now }),
      }));
      process.stdout.write(`${JSON.stringify(rendered, null, 2)}\n`);
    } else {
      process.stdout.write(`${results.map(({ result }) => describeResult(result)).join('\n\n')}\n`);
    }
    if (results.some(({ result }) => !result.isSuccess)) process.exitCode = 1;
  } finally {
    runtime.close();
  }
}

/** Configuration problems only a verifier can see (e.g. notation's trust policy rules), one line each. */
function verifierProblems(snapshot: ConfigSnapshot): string[] {
  const verifiers = [
    ...createArtifactVerifiers(snapshot.verifiers),
    ...createAttestorVerifiers(snapshot.attestationPolicies),
  ];
  return verifiers.flatMap((verifier) => {
    const kind = verifier.type === ATTESTOR_VERIFIER_TYPE ? 'AttestationAuthority' : 'Verifier';
    return verifier.problem === undefined
      ? []
      : [`${kind} ${JSON.stringify(verifier.name)}: ${verifier.problem.message}`];
  });
}

async function validateCommand(files: string[]): Promise<void> {
  let failed = false;
  for (const file of files) {
    try {
      const snapshot = createSnapshot(await loadConfigFile(file), {
        generation: 1,
        source: describeConfigFile(file),
      });
      const problems = verifierProblems(snapshot);
      if (problems.length > 0) {
        failed = true;
        process.stdout.write(
          `${file}: loads, but verification will fail:\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
        );
        continue;
      }
      process.stdout.write(`${file}: valid\n`);
    } catch (error) {
      failed = true;
      process.stdout.write(`${file}: ${toSignetError(error, 'config').message}\n`);
    }
  }
  if (failed) process.exitCode = 1;
}

/**
 * `signet import kyverno`: notes go to stderr (and into the output as comments); exit 1 only when no trust
 * policy could be converted. With `-o dir` the configuration and the constraints are written as two files.
 */
async function importKyvernoCommand(file: string, options: { output?: string }): Promise<void> {
  const size = (await stat(file)).size;
  if (size > MAX_KYVERNO_POLICY_BYTES) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: `${file} is larger than ${MAX_KYVERNO_POLICY_BYTES} bytes`,
    });
  }
  const result = importKyverno(await readFile(file, 'utf8'), basename(file));
  for (const note of result.conversion.notes) process.stderr.write(`${formatImportNote(note)}\n`);
  if (result.conversion.trustPolicies === 0) {
    process.stderr.write(
      `signet: nothing usable in ${file} could be converted (no verifyImages rule with a supported attestor)\n`,
    );
    process.exitCode = 1;
    return;
  }
  if (options.output === undefined) {
    process.stdout.write(`${result.configYaml}---\n${result.constraintsYaml}`);
    return;
  }
  await mkdir(options.output, { recursive: true });
  const configPath = join(options.output, 'signet-config.yaml');
  const constraintsPath = join(options.output, 'constraints.yaml');
  await writeFile(configPath, result.configYaml);
  await writeFile(constraintsPath, result.constraintsYaml);
  process.stdout.write(`${configPath}\n${constraintsPath}\n`);
}

interface ProviderResourceCommandOptions {
  readonly name: string;
  readonly url: string;
  readonly caFile: string;
  readonly timeout: number;
}

/** Prints the Gatekeeper Provider resource for signet, its caBundle taken from the CA that issued signet's serving certificate. */
async function providerResourceCommand(options: ProviderResourceCommandOptions): Promise<void> {
  const resource = toProviderResource({
    name: options.name,
    url: options.url,
    timeoutSeconds: options.timeout,
    caBundlePem: await readFile(options.caFile, 'utf8'),
  });
  // JSON is valid YAML and leaves kubectl nothing to reinterpret (YAML 1.1 booleans).
  process.stdout.write(`${JSON.stringify(resource, null, 2)}\n`);
}

function buildProgram(): Command {
  const program = new Command('signet')
    .description(
      'Gatekeeper external-data provider that verifies container image signatures (drop-in for Ratify)',
    )
    .version(VERSION);

  program
    .command('serve')
    .description('serve the Gatekeeper external-data provider (HTTPS with mTLS by default)')
    .option(
      '--config <file>',
      'Ratify config.ratify.deislabs.io/v1beta1 resources (multi-document YAML), reloaded on change; default: embedded',
    )
    .addOption(
      new Option(
        '--config-source <source>',
        'file (--config or embedded) or kubernetes (Ratify custom resources, watched)',
      )
        .choices(['file', 'kubernetes'])
        .default('file'),
    )
    .option(
      '--namespace <namespace>',
      "kubernetes source: signet's namespace, where Secrets are read (default: POD_NAMESPACE or the service account's)",
    )
    .addOption(
      new Option('--kube-resync <seconds>', 'kubernetes source: rebuild and re-check statuses this often')
        .argParser(integer(1, 86_400))
        .default(60),
    )
    .option('--host <address>', 'listen address (default: all interfaces)')
    .addOption(new Option('--port <port>', 'provider port').argParser(integer(0, 65535)).default(6001))
    .addOption(
      new Option('--metrics-port <port>', 'plain-HTTP port for /metrics, /healthz, /readyz')
        .argParser(integer(0, 65535))
        .default(8888),
    )
    .option('--tls-cert <file>', 'server certificate (PEM), reloaded on change')
    .option('--tls-key <file>', 'server private key (PEM), reloaded on change')
    .option('--client-ca <file>', 'CA bundle that client certificates must chain to (mTLS)')
    .option('--insecure-http', 'serve plain HTTP without TLS (local experiments only)', false)
    .option(
      '--provider-name <name>',
      'the Gatekeeper Provider name, for logs and metrics',
      DEFAULT_PROTOCOL_OPTIONS.providerName,
    )
    .option('--verify-path <path>', 'verify endpoint path', DEFAULT_PROTOCOL_OPTIONS.verifyPath)
    .option('--mutate-path <path>', 'mutate endpoint path', DEFAULT_PROTOCOL_OPTIONS.mutatePath)
    .addOption(
      new Option('--deadline-ms <ms>', 'per-request deadline; keep below the Provider timeout')
        .argParser(integer(100, 60_000))
        .default(DEFAULT_PROTOCOL_OPTIONS.deadlineMs),
    )
    .addOption(
      new Option('--max-keys <n>', 'keys per request')
        .argParser(integer(1, 100_000))
        .default(DEFAULT_PROTOCOL_OPTIONS.maxKeys),
    )
    .addOption(
      new Option('--max-in-flight <n>', 'keys verified at once over all requests; more wait or are shed')
        .argParser(integer(1, 100_000))
        .default(DEFAULT_MAX_IN_FLIGHT),
    )
    .addOption(
      new Option('--max-connections <n>', 'open provider connections at most')
        .argParser(integer(1, 1_000_000))
        .default(DEFAULT_MAX_CONNECTIONS),
    )
    .addOption(
      new Option('--request-timeout-ms <ms>', 'time to receive a whole request before answering 408')
        .argParser(integer(100, 600_000))
        .default(DEFAULT_REQUEST_TIMEOUT_MS),
    )
    .addOption(
      new Option('--tls-handshake-timeout-ms <ms>', 'time for a connection to complete its TLS handshake')
        .argParser(integer(100, 120_000))
        .default(DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS),
    )
    .addOption(
      new Option('--verdict-ttl <seconds>', 'how long a successful verdict is cached')
        .argParser(integer(0, 86_400))
        .default(300),
    )
    .addOption(
      new Option('--failure-ttl <seconds>', 'how long a failed verdict is cached')
        .argParser(integer(0, 86_400))
        .default(60),
    )
    .addOption(
      new Option('--max-signatures <n>', 'signature artifacts judged per image')
        .argParser(integer(1, 1000))
        .default(32),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
        .default('info'),
    )
    .option(
      '--redis-url <url>',
      'share verdicts between replicas in Redis: redis://[user@]host:port or rediss://',
    )
    .option('--redis-password-file <file>', 'file holding the Redis password (AUTH); never logged')
    .option('--redis-tls-ca <file>', 'CA bundle (PEM) for the Redis server certificate; implies TLS')
    .addOption(
      new Option('--redis-timeout-ms <ms>', 'how long a lookup waits for Redis before verifying locally')
        .argParser(integer(1, 2_000))
        .default(50),
    )
    .action((options: ServeOptions) => serve(options));

  program
    .command('verify')
    .description('verify images with the same pipeline the provider uses; exit 1 when any is denied')
    .argument('<images...>', 'image references (optionally [namespace]image)')
    .option('--config <file>', 'Ratify resources (default: embedded)')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .addOption(
      new Option('--deadline-ms <ms>', 'deadline per image').argParser(integer(100, 600_000)).default(30_000),
    )
    .action((images: string[], options: { config?: string; output: string; deadlineMs: number }) =>
      verifyCommand(images, options),
    );

  const config = program.command('config').description('configuration tools');
  config
    .command('validate')
    .description('validate Ratify resource files offline with the messages the provider logs')
    .argument('<files...>', 'YAML files')
    .action((files: string[]) => validateCommand(files));

  program
    .command('import')
    .description('convert other admission policies into signet configuration and Gatekeeper constraints')
    .command('kyverno')
    .description(
      'convert Kyverno ClusterPolicy/Policy verifyImages rules; lists what cannot be converted; exit 1 when nothing converts',
    )
    .argument('<policy>', 'Kyverno policy YAML file')
    .option(
      '-o, --output <dir>',
      'write signet-config.yaml and constraints.yaml here (default: both to stdout)',
    )
    .action((policy: string, options: { output?: string }) => importKyvernoCommand(policy, options));

  program
    .command('provider-resource')
    .description(
      'print the Gatekeeper Provider resource (externaldata.gatekeeper.sh/v1beta1) that points at signet, for kubectl apply -f -',
    )
    .requiredOption(
      '--url <url>',
      'https URL of the verify (or mutate) endpoint, e.g. https://signet.signet-system:6001/ratify/gatekeeper/v1/verify',
    )
    .requiredOption(
      '--ca-file <file>',
      "PEM of the CA that issued signet's serving certificate (becomes spec.caBundle)",
    )
    .option('--name <name>', 'Provider name that templates reference', DEFAULT_PROTOCOL_OPTIONS.providerName)
    .addOption(
      new Option('--timeout <seconds>', "Gatekeeper's timeout per call; keep signet's --deadline-ms below it")
        .argParser(integer(1, 30))
        .default(5),
    )
    .action((options: ProviderResourceCommandOptions) => providerResourceCommand(options));

  addAssignCommand(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const failure = toSignetError(error, 'config');
    process.stderr.write(`signet: ${failure.describe()}\n  ${failure.remediation}\n`);
    process.exit(failure.kind === 'config' ? 2 : 1);
  });
