// `signet serve`: the Gatekeeper external-data provider (HTTPS with mTLS by default).
import { Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { createRedisVerdictStore } from '../cache/index.js';
import {
  createAzureKeyVaultSource,
  createConfigStore,
  loadDefaultConfig,
  watchConfigFile,
  type ConfigSnapshot,
} from '../config/index.js';
import { SignetError } from '../errors.js';
import { createLogger, createMetrics } from '../observability/index.js';
import { imageResultCodec } from '../pipeline/index.js';
import { createRuntime, verifierProblems } from '../runtime.js';
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_PROTOCOL_OPTIONS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  startServer,
} from '../server/index.js';
import { verifierOf } from '../verifiers/index.js';
import { integer } from './options.js';
import {
  addComplianceReportOptions,
  startComplianceReport,
  type ComplianceReportOptions,
} from './serve-compliance-report.js';

export interface ServeOptions extends ComplianceReportOptions {
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

export async function serve(options: ServeOptions): Promise<void> {
  const logger = createLogger({
    level: options.logLevel as 'info',
    base: { provider: options.providerName },
  });
  const metrics = createMetrics();
  const store = createConfigStore();
  let stopWatching: (() => Promise<void>) | undefined;
  // `azurekeyvault` providers' certificates and keys, fetched when a snapshot is built and on their refresh interval.
  const keyVault = createAzureKeyVaultSource({ log: logger });
  const onSnapshot = (snapshot: ConfigSnapshot): void => {
    store.publish(snapshot);
    logger.info(
      { generation: snapshot.generation, source: snapshot.sourceDescription },
      'configuration loaded',
    );
    verifierProblems(snapshot).then(
      (problems) => {
        for (const problem of problems) logger.warn({ problem }, 'verifier cannot verify anything');
      },
      (error: unknown) =>
        logger.error({ err: error, generation: snapshot.generation }, 'trust material could not be built'),
    );
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
      import('../config/sources/kubernetes/index.js'),
    ]);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
    const watcher = await watchKubernetesConfig({
      kubeConfig,
      namespace: options.namespace ?? (await ownNamespace()),
      onSnapshot,
      onError,
      // A Verifier that cannot verify anything is rejected (status error) rather than deny every image.
      // The same build the snapshot's trust material then holds (verifierOf keeps it with the configuration object).
      verifierProblem: async (verifier) => (await verifierOf(verifier)).problem?.message,
      log: logger,
      resyncMs: options.kubeResync * 1000,
      keyVault,
    });
    stopWatching = () => watcher.close();
  } else if (options.config === undefined) {
    store.publish(await loadDefaultConfig());
  } else {
    const watcher = await watchConfigFile(options.config, onSnapshot, onError, { keyVault });
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
  const complianceReport = await startComplianceReport(options, {
    pipeline: runtime.pipeline,
    registry: metrics.registry,
    logger,
    deadlineMs: options.deadlineMs,
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    Promise.all([stopWatching?.(), server.close(), complianceReport?.stop()])
      .then(() => {
        keyVault.close();
        runtime.close();
      })
      .then(() => logger.flush())
      .catch((error: unknown) => logger.error({ err: error }, 'shutdown failed'))
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

export function addServeCommand(program: Command): void {
  const command = program
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
  addComplianceReportOptions(command);
}
