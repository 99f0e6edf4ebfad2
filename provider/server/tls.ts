import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';
import type { ServerOptions } from 'node:https';
import { SignetError } from '../errors.js';
import type { Logger } from '../observability/index.js';

export interface TlsFiles {
  /** PEM server certificate (chain allowed, leaf first). */
  readonly certFile: string;
  /** PEM private key of the server certificate. */
  readonly keyFile: string;
  /** PEM bundle of the CAs whose client certificates are accepted (Gatekeeper's client CA). */
  readonly clientCaFile: string;
}

interface TlsFileContents {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
  /** Over all three contents, to notice a change (or an already rejected content). */
  readonly digest: string;
}

export interface TlsMaterial extends TlsFileContents {
  readonly subject: string;
  readonly fingerprint256: string;
  readonly validTo: string;
  readonly clientCaCount: number;
}

const MAX_PEM_BYTES = 1024 * 1024;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function configError(reason: string, file: string, cause?: unknown): SignetError {
  return new SignetError('CONFIG_INVALID', { stage: 'config', reason, details: { file }, cause });
}

async function readBounded(file: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    if (size > MAX_PEM_BYTES)
      throw configError(`TLS file ${file} is ${size} bytes, more than ${MAX_PEM_BYTES}`, file);
    return await handle.readFile();
  } catch (error) {
    if (error instanceof SignetError) throw error;
    throw configError(
      `cannot read TLS file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      file,
      error,
    );
  } finally {
    await handle?.close();
  }
}

async function readTlsFiles(files: TlsFiles): Promise<TlsFileContents> {
  const [cert, key, ca] = await Promise.all([
    readBounded(files.certFile),
    readBounded(files.keyFile),
    readBounded(files.clientCaFile),
  ]);
  const digest = createHash('sha256')
    .update(cert)
    .update('\0')
    .update(key)
    .update('\0')
    .update(ca)
    .digest('hex');
  return { cert, key, ca, digest };
}

function parseCertificate(pem: string, file: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw configError(`${what} in ${file} is not a valid PEM certificate`, file, error);
  }
}

/** Checks that the files form a usable mTLS server identity; CONFIG_INVALID naming the file otherwise. */
export function parseTlsMaterial(contents: TlsFileContents, files: TlsFiles): TlsMaterial {
  const leafPem = contents.cert.toString('utf8').match(PEM_CERTIFICATE)?.[0];
  if (leafPem === undefined) throw configError(`no PEM certificate in ${files.certFile}`, files.certFile);
  const leaf = parseCertificate(leafPem, files.certFile, 'the server certificate');

  let privateKey;
  try {
    privateKey = createPrivateKey(contents.key);
  } catch (error) {
    throw configError(`no valid PEM private key in ${files.keyFile}`, files.keyFile, error);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw configError(
      `the private key in ${files.keyFile} does not match the certificate in ${files.certFile}`,
      files.keyFile,
    );
  }

  const caPems = contents.ca.toString('utf8').match(PEM_CERTIFICATE) ?? [];
  if (caPems.length === 0)
    throw configError(`no PEM certificate in client CA bundle ${files.clientCaFile}`, files.clientCaFile);
  caPems.forEach((pem, index) =>
    parseCertificate(pem, files.clientCaFile, `client CA certificate #${index + 1}`),
  );

  const material: TlsMaterial = {
    ...contents,
    subject: leaf.subject.replaceAll('\n', ', '),
    fingerprint256: leaf.fingerprint256,
    validTo: leaf.validTo,
    clientCaCount: caPems.length,
  };
  try {
    createSecureContext(toSecureContextOptions(material));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw configError(`the TLS files cannot form a secure context: ${reason}`, files.certFile, error);
  }
  return material;
}

export async function loadTlsMaterial(files: TlsFiles): Promise<TlsMaterial> {
  return parseTlsMaterial(await readTlsFiles(files), files);
}

/** Context options (what a reload replaces); TLS 1.2 is the floor, 1.3 is negotiated when both sides can. */
export function toSecureContextOptions(material: TlsMaterial): SecureContextOptions {
  return { cert: material.cert, key: material.key, ca: material.ca, minVersion: 'TLSv1.2' };
}

/**
 * How long a connection may take to complete its TLS handshake. Node's default is 120 s, during which a socket
 * that never sends a ClientHello holds a connection slot (HTTP's header and request timeouts only start after
 * the handshake). Gatekeeper's handshake takes milliseconds; 10 s leaves room for a loaded host.
 */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** HTTPS server options: mTLS, clients without a certificate from the client CA are refused in the handshake. */
export function toHttpsServerOptions(
  material: TlsMaterial,
  handshakeTimeoutMs = DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
): ServerOptions {
  return {
    ...toSecureContextOptions(material),
    requestCert: true,
    rejectUnauthorized: true,
    handshakeTimeout: handshakeTimeoutMs,
  };
}

export interface TlsReloadOptions {
  readonly files: TlsFiles;
  readonly initial: TlsMaterial;
  readonly logger: Logger;
  /** Installs new material, e.g. `server.setSecureContext(toSecureContextOptions(material))`. */
  readonly apply: (material: TlsMaterial) => void;
  /** Poll period; the fallback where file events are missed (network volumes, some symlink swaps). */
  readonly pollIntervalMs?: number;
  /** Wait after a file event so a cert and key written one after the other are read together. */
  readonly debounceMs?: number;
}

export interface TlsReloader {
  /** Re-reads the files now; resolves when done. */
  check(): Promise<void>;
  readonly current: TlsMaterial;
  close(): void;
}

/**
 * Watches the TLS files and installs changed material without a restart. The directories are watched
 * (Kubernetes updates Secret volumes by swapping a symlink), with polling as a fallback. A change
 * that does not validate keeps the serving material and is logged once with its reason.
 */
export function watchTlsFiles(options: TlsReloadOptions): TlsReloader {
  const { files, logger } = options;
  const log = logger.child({ component: 'tls' });
  let current = options.initial;
  let rejectedDigest: string | undefined;
  let lastReadError: string | undefined;
  let running: Promise<void> | undefined;
  let rerun = false;
  let debounce: NodeJS.Timeout | undefined;
  let closed = false;

  async function checkOnce(): Promise<void> {
    let contents: TlsFileContents;
    try {
      contents = await readTlsFiles(files);
      lastReadError = undefined;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (reason !== lastReadError)
        log.warn({ reason }, 'TLS files unreadable; keeping the current certificate');
      lastReadError = reason;
      return;
    }
    if (contents.digest === current.digest || contents.digest === rejectedDigest) return;
    try {
      const material = parseTlsMaterial(contents, files);
      options.apply(material);
      current = material;
      rejectedDigest = undefined;
      log.info(
        { subject: material.subject, fingerprint256: material.fingerprint256, validTo: material.validTo },
        'TLS certificate reloaded',
      );
    } catch (error) {
      rejectedDigest = contents.digest;
      const reason = error instanceof Error ? error.message : String(error);
      log.warn({ reason }, 'new TLS files rejected; keeping the current certificate');
    }
  }

  function check(): Promise<void> {
    if (running !== undefined) {
      rerun = true;
      return running;
    }
    running = (async () => {
      do {
        rerun = false;
        await checkOnce();
      } while (rerun && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), options.debounceMs ?? 200);
    debounce.unref();
  }

  const watchers: FSWatcher[] = [];
  for (const dir of new Set(
    [files.certFile, files.keyFile, files.clientCaFile].map((file) => dirname(file)),
  )) {
    try {
      const watcher = watch(dir, { persistent: false }, schedule);
      watcher.on('error', (error) => {
        log.warn({ dir, reason: error.message }, 'TLS directory watch failed; relying on polling');
        watcher.close();
      });
      watchers.push(watcher);
    } catch (error) {
      log.warn(
        { dir, reason: error instanceof Error ? error.message : String(error) },
        'cannot watch TLS directory; relying on polling',
      );
    }
  }
  const poll = setInterval(() => void check(), options.pollIntervalMs ?? 30_000);
  poll.unref();

  return {
    check,
    get current() {
      return current;
    },
    close() {
      closed = true;
      clearInterval(poll);
      clearTimeout(debounce);
      for (const watcher of watchers) watcher.close();
    },
  };
}
