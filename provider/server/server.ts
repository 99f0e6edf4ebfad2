import type {
  IncomingMessage,
  Server as HttpServer,
  ServerOptions as HttpServerOptions,
  ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SignetError } from '../errors.js';
import { nodeHttp } from '../node-http.js';
import type { Logger } from '../observability/index.js';
import { createApp } from './app.js';
import type { AppDependencies } from './app.js';
import { createOpsApp } from './ops-app.js';
import { DEFAULT_PROTOCOL_OPTIONS } from './protocol.js';
import {
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  loadTlsMaterial,
  toHttpsServerOptions,
  toSecureContextOptions,
  watchTlsFiles,
} from './tls.js';
import type { TlsFiles, TlsReloader } from './tls.js';

export interface StartServerOptions extends AppDependencies {
  /** Listen address of the provider port; Node's default (all interfaces) when omitted. */
  readonly host?: string;
  /** Provider port; 0 picks a free one. */
  readonly port: number;
  /** Listen address of the plain-HTTP /metrics port; defaults to `host`. */
  readonly metricsHost?: string;
  readonly metricsPort: number;
  /** Server certificate, key and client CA bundle; required unless insecureHttp. */
  readonly tls?: TlsFiles;
  /** Serve the provider over plain HTTP (local demos only: Gatekeeper only calls HTTPS providers). */
  readonly insecureHttp?: boolean;
  /** How long shutdown waits for in-flight requests before cutting connections. */
  readonly shutdownGraceMs?: number;
  readonly tlsReload?: { readonly pollIntervalMs?: number; readonly debounceMs?: number };
  /** Open connections to the provider port at most (TLS handshakes included); more are dropped at once. */
  readonly maxConnections?: number;
  /** A request (headers and body) must have arrived within this long, or it is answered 408. */
  readonly requestTimeoutMs?: number;
  /** A connection must complete its TLS handshake within this long, or it is closed. */
  readonly tlsHandshakeTimeoutMs?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly metricsUrl: string;
  readonly metricsPort: number;
  /** Stops accepting, finishes in-flight requests (bounded by the grace period), closes keep-alive sockets. */
  close(): Promise<void>;
}

// Longer than Gatekeeper's 90 s client idle timeout (frameworks externaldata ClientCache), so the client
// always closes an idle connection first: Go does not retry a POST on a connection the server closed.
const KEEP_ALIVE_TIMEOUT_MS = 95_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
// Gatekeeper sends a request's headers at once; a client trickling them is a slowloris.
const MAX_HEADERS_TIMEOUT_MS = 10_000;
/** Sized for a few Gatekeeper replicas with a connection per concurrent call each, plus headroom. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
// The ops port serves kubelet probes and a Prometheus scrape: few connections, never a flood's worth.
const OPS_MAX_CONNECTIONS = 128;
// Node's default: probes and scrapes need no long-lived idle connections holding slots of that cap.
const OPS_KEEP_ALIVE_TIMEOUT_MS = 5_000;
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
// A full connection limit is logged once, then at most once a minute with the count dropped meanwhile.
const DROP_LOG_INTERVAL_MS = 60_000;

/**
 * Node's HTTP timeouts as constructor options (so Node checks their consistency). Two traps, measured: Node
 * enforces `requestTimeout` on a slowly sent body only once `headersTimeout` has passed too, so a headers
 * timeout longer than the request timeout (Node's default 60 s against our 30 s) stretches it; and it checks
 * both only every `connectionsCheckingInterval` (default 30 s). Together a trickled body got its 408 after
 * 60 to 90 s (80 s measured) instead of 30 s. The headers timeout is kept at most the request timeout, and the check runs at least
 * four times per timeout (at most once per 100 ms).
 */
export function toHttpTimeoutOptions(requestTimeoutMs: number): HttpServerOptions {
  const headersTimeout = Math.min(MAX_HEADERS_TIMEOUT_MS, requestTimeoutMs);
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4))),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  };
}

/** Caps open connections and logs when the cap turns connections away (Node drops them at accept). */
function limitConnections(
  server: HttpServer | HttpsServer,
  maxConnections: number,
  logger: Logger,
  listener: string,
): void {
  server.maxConnections = maxConnections;
  let dropped = 0;
  let loggedAt: number | undefined;
  server.on('drop', () => {
    dropped += 1;
    const now = Date.now();
    if (loggedAt !== undefined && now - loggedAt < DROP_LOG_INTERVAL_MS) return;
    logger.warn(
      { listener, maxConnections, dropped },
      'connection limit reached: new connections are dropped',
    );
    loggedAt = now;
    dropped = 0;
  });
}

function listen(server: HttpServer | HttpsServer, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function toUrl(scheme: string, host: string | undefined, port: number): string {
  const name = host === undefined || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `${scheme}://${name.includes(':') ? `[${name}]` : name}:${port}`;
}

/**
 * Closes a server gracefully: new connections are refused, idle keep-alive sockets closed at once,
 * busy ones closed after their response (`Connection: close`), all of them cut at the grace period.
 */
function closeGracefully(server: HttpServer | HttpsServer, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { logger } = options;
  const insecure = options.insecureHttp === true;
  if (!insecure && options.tls === undefined) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason:
        'the provider serves HTTPS with mutual TLS: give the server certificate, key and client CA files, or explicitly request insecure HTTP',
    });
  }

  let draining = false;
  const isReady = (): boolean => !draining && options.isReady();
  const app = createApp({ ...options, isReady });
  const inFlight = new Set<ServerResponse>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (draining) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.on('close', () => {
      inFlight.delete(res);
      // Its socket may now be idle; while draining nothing should stay open.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    app(req, res);
  };

  const httpOptions = toHttpTimeoutOptions(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  let server: HttpServer | HttpsServer;
  let reloader: TlsReloader | undefined;
  if (insecure || options.tls === undefined) {
    logger.warn('serving the provider over plain HTTP; Gatekeeper only calls HTTPS providers');
    server = nodeHttp.createServer(httpOptions, handle);
  } else {
    const files = options.tls;
    const initial = await loadTlsMaterial(files);
    const httpsServer = createHttpsServer(
      {
        ...toHttpsServerOptions(initial, options.tlsHandshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS),
        ...httpOptions,
      },
      handle,
    );
    server = httpsServer;
    reloader = watchTlsFiles({
      files,
      initial,
      logger,
      apply: (material) => httpsServer.setSecureContext(toSecureContextOptions(material)),
      ...options.tlsReload,
    });
    httpsServer.on('tlsClientError', (error: NodeJS.ErrnoException) => {
      logger.info({ code: error.code, reason: error.message }, 'TLS handshake rejected');
    });
    logger.info(
      {
        subject: initial.subject,
        fingerprint256: initial.fingerprint256,
        validTo: initial.validTo,
        clientCas: initial.clientCaCount,
      },
      'serving HTTPS with mutual TLS',
    );
  }
  limitConnections(server, options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, logger, 'provider');

  const opsServer = nodeHttp.createServer(
    { ...toHttpTimeoutOptions(DEFAULT_REQUEST_TIMEOUT_MS), keepAliveTimeout: OPS_KEEP_ALIVE_TIMEOUT_MS },
    createOpsApp({ metrics: options.metrics, isReady, logger }),
  );
  limitConnections(opsServer, OPS_MAX_CONNECTIONS, logger, 'ops');

  let port: number;
  let metricsPort: number;
  try {
    port = await listen(server, options.port, options.host);
    metricsPort = await listen(opsServer, options.metricsPort, options.metricsHost ?? options.host);
  } catch (error) {
    reloader?.close();
    server.close();
    opsServer.close();
    throw new SignetError('CONFIG_INVALID', {
      stage: 'server',
      reason: `cannot listen: ${error instanceof Error ? error.message : String(error)}`,
      details: { port: options.port, metricsPort: options.metricsPort },
      cause: error,
    });
  }
  const url = toUrl(insecure ? 'http' : 'https', options.host, port);
  const metricsUrl = toUrl('http', options.metricsHost ?? options.host, metricsPort);
  logger.info(
    { url, metricsUrl, provider: options.protocol?.providerName ?? DEFAULT_PROTOCOL_OPTIONS.providerName },
    'signet provider listening',
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    metricsUrl,
    metricsPort,
    close() {
      closing ??= (async () => {
        draining = true;
        reloader?.close();
        for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
        logger.info({ inFlight: inFlight.size }, 'shutting down: finishing in-flight requests');
        const graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
        // The ops port stays up while draining, so probes see /readyz turn 503 rather than a refused connection.
        await closeGracefully(server, graceMs);
        await closeGracefully(opsServer, graceMs);
        logger.info('signet provider stopped');
      })();
      return closing;
    },
  };
}
