import type { Certificate } from '../../../trust/index.js';
import type {
  CertificateRevocationResult,
  RevocationChecker,
  RevocationRequest,
} from '../stages/revocation.js';
import { toCrlUrls, toOcspUrls } from './certificate-locations.js';
import { checkCrl } from './crl.js';
import { checkOcsp } from './ocsp.js';
import type { FetchLimits, ServerResult } from './revocation.types.js';

export interface RevocationCheckerOptions extends Partial<FetchLimits> {
  /** Clock for freshness and cache expiry; tests pin it. */
  readonly now?: () => Date;
  /** Cached certificate statuses at most (oldest dropped first). */
  readonly maxCacheEntries?: number;
}

export const DEFAULT_REVOCATION_LIMITS: FetchLimits = {
  timeoutMs: 2_000,
  maxOcspResponseBytes: 20 * 1024,
  // notation-core-go's cap: CRLs of large public CAs reach tens of MiB.
  maxCrlBytes: 32 * 1024 * 1024,
};

const DEFAULT_MAX_CACHE_ENTRIES = 10_000;

interface CacheEntry {
  readonly result: CertificateRevocationResult;
  readonly validUntil: Date;
}

function toCertificateResult(server: ServerResult): CertificateRevocationResult {
  return server.detail === undefined
    ? { status: server.status }
    : { status: server.status, detail: server.detail };
}

/**
 * notation-core-go's revocation check: every certificate but the root is checked by OCSP when it names a
 * responder, falling back to its CRL distribution points when OCSP cannot tell; a certificate with neither is
 * non-revokable; the root always is. Definite answers (good, revoked) are cached per issuer and serial
 * number until the response's nextUpdate; unknown ones are never cached.
 */
export function createRevocationChecker(options: RevocationCheckerOptions = {}): RevocationChecker {
  const limits: FetchLimits = {
    timeoutMs: options.timeoutMs ?? DEFAULT_REVOCATION_LIMITS.timeoutMs,
    maxOcspResponseBytes: options.maxOcspResponseBytes ?? DEFAULT_REVOCATION_LIMITS.maxOcspResponseBytes,
    maxCrlBytes: options.maxCrlBytes ?? DEFAULT_REVOCATION_LIMITS.maxCrlBytes,
  };
  const clock = options.now ?? (() => new Date());
  const maxEntries = options.maxCacheEntries ?? DEFAULT_MAX_CACHE_ENTRIES;
  const cache = new Map<string, CacheEntry>();

  async function checkCertificate(
    certificate: Certificate,
    issuer: Certificate,
    request: RevocationRequest,
  ): Promise<CertificateRevocationResult> {
    let ocspUrls: string[];
    let crlUrls: string[];
    try {
      ocspUrls = toOcspUrls(certificate);
      crlUrls = toCrlUrls(certificate);
    } catch (error) {
      // Go refuses to parse such a certificate at all; fail closed rather than call it non-revokable.
      return {
        status: 'unknown',
        detail: `malformed revocation locations: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    if (ocspUrls.length === 0 && crlUrls.length === 0) return { status: 'nonRevokable' };
    // The signing time changes the answer only through invalidity dates, so it is part of the key.
    const key = `${issuer.fingerprint}/${certificate.serialNumber.toString(16)}/${request.authenticSigningTime?.getTime() ?? ''}`;
    const now = clock();
    const cached = cache.get(key);
    if (cached !== undefined && cached.validUntil.getTime() > now.getTime()) return cached.result;
    cache.delete(key);

    const check = {
      certificate,
      issuer,
      signingTime: request.authenticSigningTime,
      now,
      limits,
      signal: request.signal,
    };
    let server = ocspUrls.length > 0 ? await checkOcsp({ ...check, urls: ocspUrls }) : undefined;
    if ((server === undefined || server.status === 'unknown') && crlUrls.length > 0) {
      const ocspProblem = server?.detail;
      server = await checkCrl({ ...check, urls: crlUrls });
      if (server.status === 'unknown' && ocspProblem !== undefined) {
        server = { status: 'unknown', detail: `${ocspProblem}; ${server.detail ?? 'CRL check failed'}` };
      }
    }
    if (server === undefined) return { status: 'nonRevokable' };
    const result = toCertificateResult(server);
    if (server.status !== 'unknown' && server.validUntil !== undefined) {
      if (cache.size >= maxEntries) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
      cache.set(key, { result, validUntil: server.validUntil });
    }
    return result;
  }

  return {
    async check(request) {
      const { chain } = request;
      return Promise.all(
        chain.map((certificate, index) => {
          const issuer = chain[index + 1];
          return issuer === undefined
            ? Promise.resolve<CertificateRevocationResult>({ status: 'nonRevokable' })
            : checkCertificate(certificate, issuer, request);
        }),
      );
    },
  };
}
