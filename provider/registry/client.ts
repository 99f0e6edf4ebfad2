import { SignetError } from '../errors.js';
import type { Stage } from '../errors.js';
import {
  checkDigest,
  parseDigest,
  toDigestReference,
  toRegistryHost,
  toTagReference,
} from '../reference/index.js';
import type { ImageReference } from '../reference/index.js';
import { createAuthorizer } from './auth/authorizer.js';
import type { AuthTarget } from './auth/authorizer.js';
import { DEFAULT_CONCURRENCY_LIMITS } from './concurrency-controller.js';
import { computeDigest } from './content-digest.js';
import { DEFAULT_REGISTRY_LIMITS } from './limits.js';
import type { RegistryLimits } from './limits.js';
import { parseNextLink } from './link-header.js';
import { parseManifest, toMediaType } from './manifest.js';
import { ALL_MANIFEST_MEDIA_TYPES, MEDIA_TYPES } from './media-types.js';
import {
  ociErrorCode,
  toCountLimitError,
  toDigestMismatchError,
  toLimitError,
  toProtocolError,
  toStatusError,
  toTimeoutError,
} from './registry-error.js';
import type { RequestSite } from './registry-error.js';
import { raceAbort } from './race-abort.js';
import { DEFAULT_RETRY_POLICY } from './retry.js';
import { toReferrersFallbackTag } from './tags.js';
import { createTransport } from './transport.js';
import type { CallScope, HostResolver, HttpResponse } from './transport.js';
import type {
  BlobCallOptions,
  Descriptor,
  FetchedManifest,
  ManifestCallOptions,
  ReferrersCallOptions,
  ReferrersListing,
  RegistryCallOptions,
  RegistryClient,
  RegistryClientOptions,
} from './registry.types.js';

/** The ceiling of each host's adaptive concurrency (it starts at 16, see concurrency-controller.ts). */
const DEFAULT_MAX_CONCURRENCY_PER_HOST = DEFAULT_CONCURRENCY_LIMITS.max;
const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
const DEFAULT_USER_AGENT = 'signet';
/** How long what a registry showed of the referrers API (200, or 404 for an existing repository) is believed. */
const REFERRERS_SUPPORT_MEMORY_MS = 10 * 60 * 1000;
/** Hosts whose referrers support is remembered at most; the oldest entry goes first. */
const REFERRERS_SUPPORT_HOSTS = 1024;

/** What a host showed of the referrers API: it answers it, or only the tag schema works there. */
type ReferrersSupport = 'referrersApi' | 'tagSchema';

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function callScope(options: RegistryCallOptions): CallScope {
  return {
    signal: options.signal,
    ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
  };
}

function matchesArtifactTypes(descriptor: Descriptor, artifactTypes: readonly string[] | undefined): boolean {
  if (artifactTypes === undefined || artifactTypes.length === 0) return true;
  return descriptor.artifactType !== undefined && artifactTypes.includes(descriptor.artifactType);
}

/** Where redirects and token realms may lead (see "Egress rules" in README.md). */
export interface RegistryEgressOptions {
  /**
   * Hosts (`host[:port]`, as a URL spells them) explicitly configured as destinations: a redirect or token realm
   * may reach them even on a loopback or link-local address. Default: none.
   */
  readonly isConfiguredHost?: (host: string) => boolean;
  /** Name resolution for every registry connection and egress check. Default: the system resolver. */
  readonly resolveHost?: HostResolver;
}

/**
 * A client for the OCI distribution API. Transport only: it fetches and verifies content and
 * knows nothing about signatures. Create one per configuration snapshot.
 */
export function createRegistryClient(
  options: RegistryClientOptions & RegistryEgressOptions = {},
): RegistryClient {
  const limits: RegistryLimits = { ...DEFAULT_REGISTRY_LIMITS, ...options.limits };
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const isInsecureRegistry = options.isInsecure ?? (() => false);
  const transport = createTransport({
    isInsecureHost: isInsecureRegistry,
    ...(options.isConfiguredHost === undefined ? {} : { isConfiguredHost: options.isConfiguredHost }),
    ...(options.resolveHost === undefined ? {} : { resolveHost: options.resolveHost }),
    ...(options.caBundle === undefined ? {} : { caBundle: options.caBundle }),
    retry,
    maxConcurrencyPerHost: options.maxConcurrencyPerHost ?? DEFAULT_MAX_CONCURRENCY_PER_HOST,
    requestTimeoutMs,
    userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
    ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  const authorizer = createAuthorizer({
    transport,
    credentials: options.credentials ?? (() => Promise.resolve(undefined)),
    isInsecureHost: isInsecureRegistry,
    tokenFetchTimeoutMs: retry.maxAttempts * (requestTimeoutMs + retry.maxDelayMs),
  });
  const referrersSupport = new Map<string, { readonly support: ReferrersSupport; readonly until: number }>();
  // The first listing on a host of unknown support, which the others of a burst wait for instead of each
  // asking the referrers API of a registry that may not have it (a 404 and a second round trip per image).
  const referrersProbes = new Map<string, Promise<void>>();

  function rememberSupport(host: string, support: ReferrersSupport): void {
    referrersSupport.delete(host);
    referrersSupport.set(host, { support, until: Date.now() + REFERRERS_SUPPORT_MEMORY_MS });
    if (referrersSupport.size > REFERRERS_SUPPORT_HOSTS) {
      const [oldest] = referrersSupport.keys();
      if (oldest !== undefined) referrersSupport.delete(oldest);
    }
  }

  function supportOf(host: string): ReferrersSupport | undefined {
    const known = referrersSupport.get(host);
    if (known === undefined || known.until > Date.now()) return known?.support;
    referrersSupport.delete(host);
    return undefined;
  }

  function baseUrl(reference: ImageReference): URL {
    const scheme = isInsecureRegistry(reference.registry) ? 'http' : 'https';
    return new URL(`${scheme}://${toRegistryHost(reference.registry)}`);
  }

  function siteFor(reference: ImageReference, method: string, url: URL, stage: Stage): RequestSite {
    return { host: toRegistryHost(reference.registry), method, path: url.pathname, stage };
  }

  function authTarget(reference: ImageReference, url: URL, site: RequestSite): AuthTarget {
    return {
      registry: reference.registry,
      host: site.host,
      url,
      scope: `repository:${reference.repository}:pull`,
      site,
    };
  }

  /** One registry request with the challenge flow: at most one retry after a 401. */
  async function exchange(
    reference: ImageReference,
    request: {
      readonly method: 'GET' | 'HEAD';
      readonly url: URL;
      readonly accept: string;
      readonly site: RequestSite;
      readonly maxBytes: number;
      readonly tooLarge: (observed: string) => SignetError;
    },
    scope: CallScope,
  ): Promise<HttpResponse> {
    const target = authTarget(reference, request.url, request.site);
    const send = (authorization: string | undefined): Promise<HttpResponse> =>
      transport.send(
        {
          method: request.method,
          url: request.url,
          headers: {
            Accept: request.accept,
            ...(authorization === undefined ? {} : { Authorization: authorization }),
          },
          site: request.site,
          maxBytes: request.maxBytes,
          tooLarge: request.tooLarge,
        },
        scope,
      );
    const first = await authorizer.authorizationFor(target, scope);
    const response = await send(first);
    // Only the registry's own 401 starts the challenge flow: a redirect target's challenge gets no credentials.
    if (response.status !== 401 || response.fromOtherOrigin) return response;
    const retried = await authorizer.answerChallenge(
      target,
      response.header('www-authenticate'),
      first,
      scope,
    );
    return send(retried);
  }

  /** The header, when present, must agree with the bytes; it is never believed on its own. */
  function checkDigestHeader(response: HttpResponse, bytes: Uint8Array, site: RequestSite): void {
    const header = response.header('docker-content-digest');
    if (header === undefined) return;
    const check = checkDigest(header.trim());
    if (check.$case === 'invalid')
      throw toProtocolError(site, `Docker-Content-Digest: ${check.problem}`, response.status);
    const computed = computeDigest(bytes, check.digest.algorithm);
    if (computed !== check.digest.value) {
      throw toDigestMismatchError(
        site,
        `Docker-Content-Digest says ${check.digest.value}, the content is ${computed}`,
        response.status,
      );
    }
  }

  /** `/v2/<name>/manifests/<digest or tag>`: the digest wins when a reference has both. */
  function manifestUrl(reference: ImageReference, stage: Stage): URL {
    const identifier = reference.digest ?? reference.tag;
    if (identifier === undefined) {
      throw new SignetError('REFERENCE_INVALID', {
        stage,
        reason: `reference ${reference.normalized} has neither tag nor digest`,
      });
    }
    return new URL(`/v2/${reference.repository}/manifests/${identifier}`, baseUrl(reference));
  }

  async function getManifest(
    reference: ImageReference,
    callOptions: ManifestCallOptions,
  ): Promise<FetchedManifest> {
    const stage = callOptions.stage ?? 'discover';
    const url = manifestUrl(reference, stage);
    const site = siteFor(reference, 'GET', url, stage);
    const maxBytes = limits.manifestBytes;
    const { expectedSize } = callOptions;
    if (expectedSize !== undefined && expectedSize > maxBytes) {
      throw toLimitError(site, 'manifestBytes', maxBytes, `its descriptor says ${expectedSize} bytes`);
    }
    const accept = callOptions.accept ?? ALL_MANIFEST_MEDIA_TYPES;
    const response = await exchange(
      reference,
      {
        method: 'GET',
        url,
        accept: accept.join(', '),
        site,
        // Never read past what the descriptor promised.
        maxBytes: expectedSize ?? maxBytes,
        tooLarge: (observed) =>
          expectedSize === undefined
            ? toLimitError(site, 'manifestBytes', maxBytes, observed)
            : toDigestMismatchError(site, `its descriptor says ${expectedSize} bytes, ${observed}`),
      },
      callScope(callOptions),
    );
    if (!isSuccess(response.status)) throw toStatusError(site, response.status, response.body);
    const bytes = response.body;
    if (expectedSize !== undefined && bytes.length !== expectedSize) {
      throw toDigestMismatchError(
        site,
        `its descriptor says ${expectedSize} bytes, received ${bytes.length}`,
        response.status,
      );
    }
    let digest: string;
    if (reference.digest === undefined) {
      digest = computeDigest(bytes, 'sha256');
    } else {
      digest = computeDigest(bytes, parseDigest(reference.digest).algorithm);
      if (digest !== reference.digest) {
        throw toDigestMismatchError(
          site,
          `requested ${reference.digest}, the content is ${digest}`,
          response.status,
        );
      }
    }
    checkDigestHeader(response, bytes, site);
    const manifest = parseManifest(bytes, response.header('content-type'), site);
    if (!accept.includes(manifest.mediaType)) {
      throw toProtocolError(
        site,
        `media type ${manifest.mediaType} was not asked for (${accept.join(', ')})`,
        response.status,
      );
    }
    return {
      reference: toDigestReference(reference, digest),
      descriptor: {
        mediaType: manifest.mediaType,
        digest,
        size: bytes.length,
        ...(manifest.artifactType === undefined ? {} : { artifactType: manifest.artifactType }),
      },
      bytes,
      manifest,
    };
  }

  async function resolveDigest(
    reference: ImageReference,
    callOptions: RegistryCallOptions,
  ): Promise<Descriptor> {
    const stage = callOptions.stage ?? 'resolve';
    const url = manifestUrl(reference, stage);
    const site = siteFor(reference, 'HEAD', url, stage);
    const response = await exchange(
      reference,
      {
        method: 'HEAD',
        url,
        accept: ALL_MANIFEST_MEDIA_TYPES.join(', '),
        site,
        maxBytes: 0,
        tooLarge: (observed) => toLimitError(site, 'manifestBytes', limits.manifestBytes, observed),
      },
      callScope(callOptions),
    );
    // HEAD has no body to explain a refusal; these statuses are final whatever GET would say.
    if (
      response.status === 401 ||
      response.status === 403 ||
      response.status === 404 ||
      response.status === 429 ||
      response.status >= 500
    ) {
      throw toStatusError(site, response.status);
    }
    const header = response.header('docker-content-digest')?.trim();
    const mediaType = toMediaType(response.header('content-type'));
    const size = Number(response.header('content-length'));
    const headerCheck = header === undefined ? undefined : checkDigest(header);
    const usable =
      isSuccess(response.status) &&
      headerCheck?.$case === 'valid' &&
      mediaType !== undefined &&
      ALL_MANIFEST_MEDIA_TYPES.includes(mediaType) &&
      Number.isSafeInteger(size);
    if (!usable || headerCheck?.$case !== 'valid') {
      return (await getManifest(reference, { ...callOptions, stage })).descriptor;
    }
    if (reference.digest !== undefined && headerCheck.digest.value !== reference.digest) {
      throw toDigestMismatchError(
        site,
        `requested ${reference.digest}, Docker-Content-Digest says ${headerCheck.digest.value}`,
        response.status,
      );
    }
    if (size > limits.manifestBytes)
      throw toLimitError(site, 'manifestBytes', limits.manifestBytes, `Content-Length ${size}`);
    return { mediaType, digest: headerCheck.digest.value, size };
  }

  async function getBlob(
    repository: ImageReference,
    descriptor: Descriptor,
    callOptions: BlobCallOptions,
  ): Promise<Uint8Array> {
    const stage = callOptions.stage ?? 'discover';
    const url = new URL(`/v2/${repository.repository}/blobs/${descriptor.digest}`, baseUrl(repository));
    const site = siteFor(repository, 'GET', url, stage);
    const limitName = callOptions.limit ?? 'blobBytes';
    const maxBytes = limits[limitName];
    const expected = checkDigest(descriptor.digest);
    if (expected.$case === 'invalid') throw toProtocolError(site, `descriptor digest: ${expected.problem}`);
    if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0) {
      throw toProtocolError(site, `descriptor size ${descriptor.size} is not a non-negative integer`);
    }
    if (descriptor.size > maxBytes)
      throw toLimitError(site, limitName, maxBytes, `its descriptor says ${descriptor.size} bytes`);
    const response = await exchange(
      repository,
      {
        method: 'GET',
        url,
        accept: '*/*',
        site,
        maxBytes: descriptor.size,
        tooLarge: (observed) =>
          toDigestMismatchError(site, `its descriptor says ${descriptor.size} bytes, ${observed}`),
      },
      callScope(callOptions),
    );
    if (!isSuccess(response.status)) throw toStatusError(site, response.status, response.body);
    const bytes = response.body;
    if (bytes.length !== descriptor.size) {
      throw toDigestMismatchError(
        site,
        `its descriptor says ${descriptor.size} bytes, received ${bytes.length}`,
        response.status,
      );
    }
    const computed = computeDigest(bytes, expected.digest.algorithm);
    if (computed !== descriptor.digest) {
      throw toDigestMismatchError(
        site,
        `its descriptor says ${descriptor.digest}, the content is ${computed}`,
        response.status,
      );
    }
    return bytes;
  }

  function addReferrers(
    collected: Descriptor[],
    page: readonly Descriptor[],
    artifactTypes: readonly string[] | undefined,
    site: RequestSite,
  ): void {
    for (const descriptor of page) {
      if (!matchesArtifactTypes(descriptor, artifactTypes)) continue;
      collected.push(descriptor);
      if (collected.length > limits.referrersPerSubject) {
        throw toCountLimitError(site, 'referrersPerSubject', limits.referrersPerSubject, 'more referrers');
      }
    }
  }

  /** The referrers API, or undefined when the registry does not implement it (404). */
  async function listViaApi(
    subject: ImageReference,
    digest: string,
    callOptions: ReferrersCallOptions,
  ): Promise<Descriptor[] | undefined> {
    const stage = callOptions.stage ?? 'discover';
    const artifactTypes = callOptions.artifactTypes;
    const host = toRegistryHost(subject.registry);
    let url = new URL(`/v2/${subject.repository}/referrers/${digest}`, baseUrl(subject));
    const [onlyType] = artifactTypes ?? [];
    if (artifactTypes?.length === 1 && onlyType !== undefined) url.searchParams.set('artifactType', onlyType);
    const collected: Descriptor[] = [];
    for (let page = 1; ; page += 1) {
      const site = siteFor(subject, 'GET', url, stage);
      if (page > limits.referrersPages)
        throw toCountLimitError(site, 'referrersPages', limits.referrersPages, 'more pages');
      const maxBytes = limits.manifestBytes;
      const response = await exchange(
        subject,
        {
          method: 'GET',
          url,
          accept: MEDIA_TYPES.ociIndex,
          site,
          maxBytes,
          tooLarge: (observed) => toLimitError(site, 'manifestBytes', maxBytes, observed),
        },
        callScope(callOptions),
      );
      if (page === 1 && (response.status === 404 || response.status === 405)) {
        // A registry with the API answers 200 for any subject of an existing repository; 404 (or
        // 405, olareg with the API disabled) means no API, unless the repository itself is unknown.
        if (ociErrorCode(response.body) !== 'NAME_UNKNOWN') rememberSupport(host, 'tagSchema');
        return undefined;
      }
      if (!isSuccess(response.status)) throw toStatusError(site, response.status, response.body);
      if (page === 1) rememberSupport(host, 'referrersApi');
      const index = parseManifest(response.body, response.header('content-type'), site);
      if (index.$case !== 'index')
        throw toProtocolError(
          site,
          `the referrers response is a ${index.mediaType}, not an index`,
          response.status,
        );
      addReferrers(collected, index.manifests, artifactTypes, site);
      const next = parseNextLink(response.header('link'), url);
      if (next === undefined) return collected;
      if (next.origin !== url.origin) {
        throw toProtocolError(
          site,
          `the Link header points to another origin (${next.origin})`,
          response.status,
        );
      }
      url = next;
    }
  }

  /** The referrers tag schema: an index tagged `sha256-<hex>` that clients maintain. */
  async function listViaTagSchema(
    subject: ImageReference,
    digest: string,
    callOptions: ReferrersCallOptions,
  ): Promise<Descriptor[]> {
    const stage = callOptions.stage ?? 'discover';
    const tagReference = toTagReference(subject, toReferrersFallbackTag(digest));
    let fetched: FetchedManifest;
    try {
      fetched = await getManifest(tagReference, { ...callOptions, stage, accept: [MEDIA_TYPES.ociIndex] });
    } catch (error) {
      if (error instanceof SignetError && error.code === 'REGISTRY_NOT_FOUND') return [];
      throw error;
    }
    const site = siteFor(subject, 'GET', manifestUrl(tagReference, stage), stage);
    if (fetched.manifest.$case !== 'index')
      throw toProtocolError(site, 'the referrers tag does not name an index');
    const collected: Descriptor[] = [];
    addReferrers(collected, fetched.manifest.manifests, callOptions.artifactTypes, site);
    return collected;
  }

  async function listReferrers(
    subject: ImageReference,
    callOptions: ReferrersCallOptions,
  ): Promise<ReferrersListing> {
    const digest = subject.digest;
    if (digest === undefined) {
      throw new SignetError('REFERENCE_INVALID', {
        stage: callOptions.stage ?? 'discover',
        reason: `referrers are listed for a digest; ${subject.normalized} has none`,
      });
    }
    const host = toRegistryHost(subject.registry);
    let support = supportOf(host);
    const probe = referrersProbes.get(host);
    if (support === undefined && probe !== undefined) {
      try {
        await raceAbort(probe, callOptions.signal);
      } catch {
        const url = new URL(`/v2/${subject.repository}/referrers/${digest}`, baseUrl(subject));
        throw toTimeoutError(siteFor(subject, 'GET', url, callOptions.stage ?? 'discover'), 'deadline');
      }
      support = supportOf(host);
    }
    if (support !== 'tagSchema') {
      const listing = listViaApi(subject, digest, callOptions);
      if (support === undefined && !referrersProbes.has(host)) {
        const settled = listing.then(
          () => undefined,
          () => undefined,
        );
        referrersProbes.set(host, settled);
        void settled.then(() => referrersProbes.delete(host));
      }
      const viaApi = await listing;
      if (viaApi !== undefined) return { source: 'referrersApi', descriptors: viaApi };
    }
    return { source: 'tagSchema', descriptors: await listViaTagSchema(subject, digest, callOptions) };
  }

  return {
    limits,
    getManifest,
    resolveDigest,
    getBlob,
    listReferrers,
    close: () => transport.close(),
  };
}
