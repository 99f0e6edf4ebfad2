// The registry client against a real olareg registry: the three auth modes, credentials, manifests
// (OCI and Docker, image and index), blobs, referrers (API, artifactType filter, Link paging, the
// tag-schema fallback), limits, and every fault of the fault proxy ending as the right coded error.
import { expectSignetError } from '../helpers/expect-signet-error.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignetError } from '../../provider/errors.js';
import type { ErrorCode } from '../../provider/errors.js';
import { parseImageReference, toDigestReference } from '../../provider/reference/index.js';
import type { ImageReference } from '../../provider/reference/index.js';
import {
  ARTIFACT_TYPES,
  MEDIA_TYPES,
  createCredentialHelpers,
  createDockerConfigCredentialProvider,
  createRegistryClient,
  createStaticCredentialProvider,
} from '../../provider/registry/index.js';
import type {
  RegistryClient,
  RegistryClientOptions,
  RegistryRequestEvent,
} from '../../provider/registry/index.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import { attachArtifact, pushImage, pushIndex } from '../helpers/images.js';
import type { PushedManifest } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry.js';
import type { RegistryAuth, TestRegistry } from '../helpers/registry.js';
import { runTool } from '../helpers/tools.js';

const SBOM_TYPE = 'application/spdx+json';
/** Deadline for each call in these tests: far above loopback latency, far below the jest timeout. */
const CALL_DEADLINE_MS = 10_000;

const loopbackIsInsecure = (registry: string): boolean => registry.startsWith('127.0.0.1:');

function call(deadlineMs = CALL_DEADLINE_MS): { signal: AbortSignal; deadline: number } {
  return { signal: AbortSignal.timeout(deadlineMs), deadline: Date.now() + deadlineMs };
}

function clientFor(registry: TestRegistry, options: RegistryClientOptions = {}): RegistryClient {
  const credentials =
    registry.username === undefined || registry.password === undefined
      ? undefined
      : createStaticCredentialProvider(
          new Map([
            [registry.host, { $case: 'basic', username: registry.username, password: registry.password }],
          ] as const),
        );
  return createRegistryClient({
    isInsecure: loopbackIsInsecure,
    ...(credentials === undefined ? {} : { credentials }),
    ...options,
  });
}

function ref(text: string): ImageReference {
  return parseImageReference(text);
}

describe('registry client', () => {
  describe.each<RegistryAuth>(['none', 'basic', 'token'])('olareg with auth %s', (auth) => {
    let registry: TestRegistry;
    let image: PushedManifest;
    let client: RegistryClient;
    const events: RegistryRequestEvent[] = [];

    beforeAll(async () => {
      registry = await startRegistry({ auth });
      image = await pushImage(registry, 'signet/app', 'v1');
      client = clientFor(registry, { onRequest: (event) => events.push(event) });
    });
    afterAll(async () => {
      client.close();
      await registry.stop();
    });

    it('fetches a manifest by tag, computing its digest from the bytes', async () => {
      const fetched = await client.getManifest(ref(image.reference), call());
      expect(fetched.descriptor).toEqual({
        mediaType: image.mediaType,
        digest: image.digest,
        size: image.size,
      });
      expect(fetched.reference.normalized).toBe(image.digestReference);
      expect(fetched.manifest.$case).toBe('image');
    });

    it('fetches the same manifest by digest and resolves the tag with HEAD', async () => {
      const byDigest = await client.getManifest(ref(image.digestReference), call());
      expect(byDigest.descriptor.digest).toBe(image.digest);
      const resolved = await client.resolveDigest(ref(image.reference), call());
      expect(resolved).toEqual({ mediaType: image.mediaType, digest: image.digest, size: image.size });
    });

    it('fetches and verifies config and layer blobs', async () => {
      const fetched = await client.getManifest(ref(image.digestReference), call());
      if (fetched.manifest.$case !== 'image') throw new Error('expected an image manifest');
      for (const descriptor of [fetched.manifest.config, ...fetched.manifest.layers]) {
        const blob = await client.getBlob(ref(image.digestReference), descriptor, call());
        expect(blob.length).toBe(descriptor.size);
      }
    });

    it('answers an unknown tag with REGISTRY_NOT_FOUND naming host and status', async () => {
      const error = await expectSignetError(
        client.getManifest(ref(`${registry.host}/signet/app:missing`), call()),
        'REGISTRY_NOT_FOUND',
      );
      expect(error.message).toContain(registry.host);
      expect(error.message).toContain('HTTP 404');
      expect(error.details).toEqual({ host: registry.host, status: 404 });
    });

    it('reports every exchange to onRequest without credentials', () => {
      expect(events.length).toBeGreaterThan(0);
      for (const event of events) {
        expect(Object.keys(event).sort()).toEqual(['durationMs', 'host', 'method', 'status']);
        expect(event.host).toBe(registry.host);
      }
      if (auth !== 'none') expect(events.some((event) => event.status === 401)).toBe(true);
      // One challenge per scheme learned, then credentials are sent up front.
      expect(events.filter((event) => event.status === 401)).toHaveLength(auth === 'none' ? 0 : 1);
    });

    if (auth !== 'none') {
      it('fails as REGISTRY_UNAUTHORIZED without credentials', async () => {
        const anonymous = createRegistryClient({ isInsecure: loopbackIsInsecure });
        try {
          const error = await expectSignetError(
            anonymous.getManifest(ref(image.reference), call()),
            'REGISTRY_UNAUTHORIZED',
          );
          expect(error.message).toContain(registry.host);
        } finally {
          anonymous.close();
        }
      });

      it('fails as REGISTRY_UNAUTHORIZED with a wrong password, never echoing it', async () => {
        const wrong = createRegistryClient({
          isInsecure: loopbackIsInsecure,
          credentials: createStaticCredentialProvider(
            new Map([
              [registry.host, { $case: 'basic', username: 'signet', password: 'not-the-password' }],
            ] as const),
          ),
        });
        try {
          const error = await expectSignetError(
            wrong.getManifest(ref(image.reference), call()),
            'REGISTRY_UNAUTHORIZED',
          );
          expect(error.message).not.toContain('not-the-password');
          expect(JSON.stringify(error.details)).not.toContain('not-the-password');
        } finally {
          wrong.close();
        }
      });

      it('reads credentials from the docker config.json', async () => {
        const fromConfig = createRegistryClient({
          isInsecure: loopbackIsInsecure,
          credentials: await createDockerConfigCredentialProvider(
            registry.dockerConfigPath,
            createCredentialHelpers(),
          ),
        });
        try {
          expect((await fromConfig.getManifest(ref(image.reference), call())).descriptor.digest).toBe(
            image.digest,
          );
        } finally {
          fromConfig.close();
        }
      });
    }

    if (auth === 'token') {
      it('fetches one token and reuses it until it expires', async () => {
        const tokenEvents: RegistryRequestEvent[] = [];
        const tokenClient = clientFor(registry, { onRequest: (event) => tokenEvents.push(event) });
        try {
          for (let round = 0; round < 3; round += 1)
            await tokenClient.getManifest(ref(image.reference), call());
          await tokenClient.resolveDigest(ref(image.reference), call());
          // 401 challenge, token GET, manifest GET, then 3 more requests with the cached token.
          expect(tokenEvents.map((event) => event.status)).toEqual([401, 200, 200, 200, 200, 200]);
        } finally {
          tokenClient.close();
        }
      });
    }
  });

  describe('manifest kinds', () => {
    let registry: TestRegistry;
    let client: RegistryClient;
    beforeAll(async () => {
      registry = await startRegistry();
      client = clientFor(registry);
    });
    afterAll(async () => {
      client.close();
      await registry.stop();
    });

    it('fetches an OCI index and its platform manifests', async () => {
      const index = await pushIndex(registry, 'signet/multi', 'v1');
      const fetched = await client.getManifest(ref(index.reference), call());
      expect(fetched.descriptor.digest).toBe(index.digest);
      if (fetched.manifest.$case !== 'index') throw new Error('expected an index');
      expect(fetched.manifest.mediaType).toBe(MEDIA_TYPES.ociIndex);
      expect(fetched.manifest.manifests.map((entry) => entry.digest).sort()).toEqual(
        index.manifests.map((entry) => entry.digest).sort(),
      );
      expect(
        fetched.manifest.manifests
          .map((entry) => `${entry.platform?.os}/${entry.platform?.architecture}`)
          .sort(),
      ).toEqual(['linux/amd64', 'linux/arm64']);
    });

    it('fetches Docker v2 manifests and manifest lists', async () => {
      const index = await pushIndex(registry, 'signet/docker', 'v1', { oci: false });
      const list = await client.getManifest(ref(index.reference), call());
      expect(list.descriptor.mediaType).toBe(MEDIA_TYPES.dockerManifestList);
      const child = await client.getManifest(ref(index.manifests[0]!.digestReference), call());
      expect(child.descriptor.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    });

    it('enforces the manifest and blob limits before buffering', async () => {
      const image = await pushImage(registry, 'signet/big', 'v1', { layerBytes: 4096 });
      const tight = clientFor(registry, { limits: { manifestBytes: 64, blobBytes: 1024 } });
      try {
        const error = await expectSignetError(
          tight.getManifest(ref(image.reference), call()),
          'LIMIT_EXCEEDED',
        );
        expect(error.details).toMatchObject({ limit: 'manifestBytes', limitValue: 64 });
        const manifest = await client.getManifest(ref(image.reference), call());
        if (manifest.manifest.$case !== 'image') throw new Error('expected an image manifest');
        const layer = manifest.manifest.layers[0]!;
        await expectSignetError(tight.getBlob(ref(image.digestReference), layer, call()), 'LIMIT_EXCEEDED');
        await expectSignetError(
          tight.getManifest(ref(image.digestReference), { ...call(), expectedSize: 65 }),
          'LIMIT_EXCEEDED',
        );
      } finally {
        tight.close();
      }
    });

    it('rejects a blob or manifest whose descriptor lies about its size', async () => {
      const image = await pushImage(registry, 'signet/liar', 'v1');
      const manifest = await client.getManifest(ref(image.reference), call());
      if (manifest.manifest.$case !== 'image') throw new Error('expected an image manifest');
      const config = manifest.manifest.config;
      await expectSignetError(
        client.getBlob(ref(image.digestReference), { ...config, size: config.size - 1 }, call()),
        'DIGEST_MISMATCH',
      );
      await expectSignetError(
        client.getBlob(ref(image.digestReference), { ...config, size: config.size + 1 }, call()),
        'DIGEST_MISMATCH',
      );
      await expectSignetError(
        client.getManifest(ref(image.digestReference), { ...call(), expectedSize: image.size - 1 }),
        'DIGEST_MISMATCH',
      );
      await expectSignetError(
        client.getManifest(ref(image.digestReference), { ...call(), expectedSize: image.size + 1 }),
        'DIGEST_MISMATCH',
      );
    });
  });

  describe('referrers API', () => {
    let registry: TestRegistry;
    let client: RegistryClient;
    let subject: PushedManifest;
    beforeAll(async () => {
      registry = await startRegistry({ auth: 'token' });
      client = clientFor(registry);
      subject = await pushImage(registry, 'signet/signed', 'v1');
      await attachArtifact(
        registry,
        subject.digestReference,
        ARTIFACT_TYPES.notationSignature,
        'sig-1',
        'application/jose+json',
      );
      await attachArtifact(
        registry,
        subject.digestReference,
        ARTIFACT_TYPES.sigstoreBundleV03,
        '{}',
        'application/vnd.dev.sigstore.bundle.v0.3+json',
      );
      await attachArtifact(registry, subject.digestReference, SBOM_TYPE, '{}', SBOM_TYPE);
    });
    afterAll(async () => {
      client.close();
      await registry.stop();
    });

    it('lists referrers filtered by one artifactType (server side)', async () => {
      const listing = await client.listReferrers(ref(subject.digestReference), {
        ...call(),
        artifactTypes: [ARTIFACT_TYPES.notationSignature],
      });
      expect(listing.source).toBe('referrersApi');
      expect(listing.descriptors.map((descriptor) => descriptor.artifactType)).toEqual([
        ARTIFACT_TYPES.notationSignature,
      ]);
    });

    it('lists referrers of several artifactTypes (client side)', async () => {
      const listing = await client.listReferrers(ref(subject.digestReference), {
        ...call(),
        artifactTypes: [ARTIFACT_TYPES.notationSignature, ARTIFACT_TYPES.sigstoreBundleV03],
      });
      expect(listing.descriptors.map((descriptor) => descriptor.artifactType).sort()).toEqual(
        [ARTIFACT_TYPES.notationSignature, ARTIFACT_TYPES.sigstoreBundleV03].sort(),
      );
    });

    it('lists everything without a filter, and nothing for an unsigned subject', async () => {
      const all = await client.listReferrers(ref(subject.digestReference), call());
      expect(all.descriptors).toHaveLength(3);
      const unsigned = await pushImage(registry, 'signet/signed', 'unsigned');
      expect((await client.listReferrers(ref(unsigned.digestReference), call())).descriptors).toEqual([]);
    });

    it('enforces referrersPerSubject', async () => {
      const tight = clientFor(registry, { limits: { referrersPerSubject: 2 } });
      try {
        const error = await expectSignetError(
          tight.listReferrers(ref(subject.digestReference), call()),
          'LIMIT_EXCEEDED',
        );
        expect(error.details).toMatchObject({ limit: 'referrersPerSubject', limitValue: 2 });
      } finally {
        tight.close();
      }
    });
  });

  describe('referrers API paging (olareg splits responses over 4 MiB)', () => {
    let registry: TestRegistry;
    let client: RegistryClient;
    let subject: PushedManifest;
    let workDir: string;
    beforeAll(async () => {
      registry = await startRegistry();
      client = clientFor(registry);
      subject = await pushImage(registry, 'signet/paged', 'v1');
      workDir = await mkdtemp(join(tmpdir(), 'signet-paging-'));
      // Three referrers whose descriptors carry ~1.6 MiB of annotations each: at most two fit a page.
      for (let index = 0; index < 3; index += 1) {
        const annotationFile = join(workDir, `annotations-${index}.json`);
        await writeFile(
          annotationFile,
          JSON.stringify({ $manifest: { 'org.example.padding': randomBytes(1_200_000).toString('base64') } }),
        );
        await writeFile(join(workDir, 'sig'), `signature ${index}`);
        await runTool(
          'oras',
          [
            'attach',
            '--no-tty',
            '--plain-http',
            '--registry-config',
            registry.dockerConfigPath,
            '--artifact-type',
            ARTIFACT_TYPES.notationSignature,
            '--annotation-file',
            annotationFile,
            subject.digestReference,
            'sig:application/jose+json',
          ],
          { cwd: workDir },
        );
      }
    });
    afterAll(async () => {
      client.close();
      await registry.stop();
      await rm(workDir, { recursive: true, force: true });
    });

    it('follows the Link header across pages', async () => {
      const listing = await client.listReferrers(ref(subject.digestReference), {
        ...call(),
        artifactTypes: [ARTIFACT_TYPES.notationSignature],
      });
      expect(listing.descriptors).toHaveLength(3);
      expect(new Set(listing.descriptors.map((descriptor) => descriptor.digest)).size).toBe(3);
    });

    it('stops at referrersPages with LIMIT_EXCEEDED', async () => {
      const onePage = clientFor(registry, { limits: { referrersPages: 1 } });
      try {
        const error = await expectSignetError(
          onePage.listReferrers(ref(subject.digestReference), call()),
          'LIMIT_EXCEEDED',
        );
        expect(error.details).toMatchObject({ limit: 'referrersPages', limitValue: 1 });
      } finally {
        onePage.close();
      }
    });
  });

  describe('tag-schema fallback (olareg --api-referrer=false)', () => {
    let registry: TestRegistry;
    let proxy: FaultProxy;
    let client: RegistryClient;
    let subject: PushedManifest;
    beforeAll(async () => {
      registry = await startRegistry({ referrersApi: false });
      proxy = await startFaultProxy(registry.url);
      subject = await pushImage(registry, 'signet/fallback', 'v1');
      await attachArtifact(
        registry,
        subject.digestReference,
        ARTIFACT_TYPES.notationSignature,
        'sig',
        'application/jose+json',
      );
      await attachArtifact(registry, subject.digestReference, SBOM_TYPE, '{}', SBOM_TYPE);
      client = createRegistryClient({ isInsecure: loopbackIsInsecure });
    });
    afterAll(async () => {
      client.close();
      await proxy.stop();
      await registry.stop();
    });

    it('falls back to the sha256-<hex> index, filters it, and remembers the registry has no API', async () => {
      const subjectViaProxy = toDigestReference(ref(`${proxy.host}/signet/fallback`), subject.digest);
      const first = await client.listReferrers(subjectViaProxy, {
        ...call(),
        artifactTypes: [ARTIFACT_TYPES.notationSignature],
      });
      expect(first.source).toBe('tagSchema');
      expect(first.descriptors.map((descriptor) => descriptor.artifactType)).toEqual([
        ARTIFACT_TYPES.notationSignature,
      ]);
      const second = await client.listReferrers(subjectViaProxy, call());
      expect(second.descriptors).toHaveLength(2);
      const paths = proxy.requests.map((request) => request.path);
      expect(paths.filter((path) => path.includes('/referrers/'))).toHaveLength(1);
      expect(
        paths.filter((path) => path.endsWith(`/manifests/sha256-${subject.digest.slice('sha256:'.length)}`)),
      ).toHaveLength(2);
    });

    it('lists nothing for a subject without a fallback index', async () => {
      const unsigned = await pushImage(registry, 'signet/fallback', 'unsigned');
      const listing = await client.listReferrers(ref(unsigned.digestReference), call());
      expect(listing).toEqual({ source: 'tagSchema', descriptors: [] });
    });
  });

  describe('faults between client and registry', () => {
    let registry: TestRegistry;
    let proxy: FaultProxy;
    let image: PushedManifest;
    let viaProxy: { tag: ImageReference; digest: ImageReference };
    let layer: { mediaType: string; digest: string; size: number };
    const fast = {
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 3000 },
      requestTimeoutMs: 1000,
    };

    beforeAll(async () => {
      registry = await startRegistry({ auth: 'token' });
      proxy = await startFaultProxy(registry.url);
      image = await pushImage(registry, 'signet/faults', 'v1', { layerBytes: 64 * 1024 });
      viaProxy = {
        tag: ref(`${proxy.host}/signet/faults:v1`),
        digest: ref(`${proxy.host}/signet/faults@${image.digest}`),
      };
      const client = proxyClient();
      try {
        const manifest = await client.getManifest(viaProxy.digest, call());
        if (manifest.manifest.$case !== 'image') throw new Error('expected an image manifest');
        layer = manifest.manifest.layers[0]!;
      } finally {
        client.close();
      }
    });
    afterAll(async () => {
      await proxy.stop();
      await registry.stop();
    });
    beforeEach(() => {
      proxy.setFault({ $case: 'none' });
      proxy.clearRequests();
    });

    function proxyClient(options: RegistryClientOptions = {}): RegistryClient {
      return createRegistryClient({
        isInsecure: loopbackIsInsecure,
        credentials: createStaticCredentialProvider(
          new Map([
            [proxy.host, { $case: 'basic', username: registry.username!, password: registry.password! }],
          ] as const),
        ),
        ...fast,
        ...options,
      });
    }

    /**
     * Runs `action` with a fresh client; asserts it ends as `code`: a TIMEOUT once the deadline's signal fired,
     * any other fault before it (the signal is the clock: no elapsed-time assertion).
     */
    async function expectFault(
      action: (client: RegistryClient, scope: { signal: AbortSignal; deadline: number }) => Promise<unknown>,
      code: ErrorCode,
      deadlineMs = 8000,
      options: RegistryClientOptions = {},
    ): Promise<SignetError> {
      const client = proxyClient(options);
      const scope = call(deadlineMs);
      try {
        const error = await expectSignetError(action(client, scope), code);
        expect(scope.signal.aborted).toBe(code === 'TIMEOUT');
        return error;
      } finally {
        client.close();
      }
    }

    const manifestRequests = (): number =>
      proxy.requests.filter((request) => request.path.includes('/manifests/') && request.fault !== 'none')
        .length;

    it('retries a 503 and then reports REGISTRY_UNAVAILABLE with host and status', async () => {
      proxy.setFault({ $case: 'status', code: 503, match: /\/manifests\// });
      const error = await expectFault(
        (client, scope) => client.getManifest(viaProxy.tag, scope),
        'REGISTRY_UNAVAILABLE',
      );
      expect(error.details).toEqual({ host: proxy.host, status: 503 });
      expect(manifestRequests()).toBe(3);
    });

    it.each([500, 502] as const)('reports a persistent %d as REGISTRY_UNAVAILABLE', async (code) => {
      proxy.setFault({ $case: 'status', code, match: /\/manifests\// });
      const error = await expectFault(
        (client, scope) => client.getManifest(viaProxy.tag, scope),
        'REGISTRY_UNAVAILABLE',
      );
      expect(error.message).toContain(`HTTP ${code}`);
    });

    it('recovers from one 503 by retrying', async () => {
      proxy.setFault({ $case: 'status', code: 503, times: 1, match: /\/manifests\// });
      const client = proxyClient();
      try {
        expect((await client.getManifest(viaProxy.tag, call())).descriptor.digest).toBe(image.digest);
        expect(manifestRequests()).toBe(1);
      } finally {
        client.close();
      }
    });

    it('honours Retry-After on 429 and then succeeds', async () => {
      proxy.setFault({ $case: 'status', code: 429, retryAfter: 1, times: 1, match: /\/manifests\// });
      // The wait is observed through the injected sleep (no wall clock): one wait, at least the Retry-After.
      const waits: number[] = [];
      const client = proxyClient({
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      });
      try {
        expect((await client.getManifest(viaProxy.tag, call())).descriptor.digest).toBe(image.digest);
        expect(waits).toHaveLength(1);
        expect(waits[0]).toBeGreaterThanOrEqual(1000);
        expect(manifestRequests()).toBe(1);
      } finally {
        client.close();
      }
    });

    it('gives up at once on a Retry-After beyond the cap, as REGISTRY_RATE_LIMITED', async () => {
      proxy.setFault({ $case: 'status', code: 429, retryAfter: 120, match: /\/manifests\// });
      const error = await expectFault(
        (client, scope) => client.getManifest(viaProxy.tag, scope),
        'REGISTRY_RATE_LIMITED',
      );
      expect(error.details).toEqual({ host: proxy.host, status: 429 });
      expect(manifestRequests()).toBe(1);
    });

    it('does not sleep past the caller deadline for a Retry-After', async () => {
      proxy.setFault({ $case: 'status', code: 429, retryAfter: 2, match: /\/manifests\// });
      // expectFault: REGISTRY_RATE_LIMITED while the 1 s deadline's signal has not fired.
      await expectFault(
        (client, scope) => client.getManifest(viaProxy.tag, scope),
        'REGISTRY_RATE_LIMITED',
        1000,
      );
      expect(manifestRequests()).toBe(1);
    });

    it('retries connection resets and reports REGISTRY_UNAVAILABLE', async () => {
      proxy.setFault({ $case: 'reset', match: /\/manifests\// });
      const error = await expectFault(
        (client, scope) => client.getManifest(viaProxy.tag, scope),
        'REGISTRY_UNAVAILABLE',
      );
      expect(error.message).toContain(proxy.host);
      expect(manifestRequests()).toBe(3);
    });

    it('ends a stalled registry at the caller deadline as TIMEOUT', async () => {
      proxy.setFault({ $case: 'stall', match: /\/manifests\// });
      const error = await expectFault(
        (client, scope) => client.getManifest(viaProxy.tag, scope),
        'TIMEOUT',
        800,
        { requestTimeoutMs: 5000 },
      );
      expect(error.details).toMatchObject({ host: proxy.host });
      expect(error.reason).toContain('the verification deadline passed');
    });

    it('ends a stalled registry by per-request timeouts as TIMEOUT without a caller deadline', async () => {
      proxy.setFault({ $case: 'stall', match: /\/manifests\// });
      const client = proxyClient({ requestTimeoutMs: 200 });
      try {
        // The caller's signal never fires: the TIMEOUT can only come from the three per-request timeouts.
        const caller = new AbortController().signal;
        const error = await expectSignetError(
          client.getManifest(viaProxy.tag, { signal: caller }),
          'TIMEOUT',
        );
        expect(caller.aborted).toBe(false);
        expect(error.reason).toContain('no complete answer within 200 ms');
        expect(manifestRequests()).toBe(3);
      } finally {
        client.close();
      }
    });

    it('ends a body that stops mid-way as TIMEOUT', async () => {
      proxy.setFault({ $case: 'stall', afterBodyBytes: 100, match: /\/blobs\// });
      await expectFault((client, scope) => client.getBlob(viaProxy.digest, layer, scope), 'TIMEOUT', 1500);
    });

    it('reports a truncated body as REGISTRY_UNAVAILABLE after retries', async () => {
      proxy.setFault({ $case: 'truncate', bytes: 100, match: /\/blobs\// });
      const error = await expectFault(
        (client, scope) => client.getBlob(viaProxy.digest, layer, scope),
        'REGISTRY_UNAVAILABLE',
      );
      expect(error.message).toContain(proxy.host);
    });

    it('detects an altered manifest fetched by tag, by digest, and an altered blob', async () => {
      proxy.setFault({ $case: 'alterBody', match: /\/manifests\// });
      await expectFault((client, scope) => client.getManifest(viaProxy.tag, scope), 'DIGEST_MISMATCH');
      await expectFault((client, scope) => client.getManifest(viaProxy.digest, scope), 'DIGEST_MISMATCH');
      proxy.setFault({ $case: 'alterBody', match: /\/blobs\// });
      const error = await expectFault(
        (client, scope) => client.getBlob(viaProxy.digest, layer, scope),
        'DIGEST_MISMATCH',
      );
      expect(error.details).toMatchObject({ host: proxy.host });
    });

    it('never believes a wrong Docker-Content-Digest header', async () => {
      proxy.setFault({ $case: 'wrongDigestHeader', match: /\/manifests\// });
      await expectFault((client, scope) => client.getManifest(viaProxy.tag, scope), 'DIGEST_MISMATCH');
      await expectFault((client, scope) => client.getManifest(viaProxy.digest, scope), 'DIGEST_MISMATCH');
      await expectFault((client, scope) => client.resolveDigest(viaProxy.digest, scope), 'DIGEST_MISMATCH');
    });

    it('reports a failing token endpoint as REGISTRY_UNAVAILABLE naming it', async () => {
      proxy.setFault({ $case: 'status', code: 503, match: /^\/token/ });
      const error = await expectFault(
        (client, scope) => client.getManifest(viaProxy.tag, scope),
        'REGISTRY_UNAVAILABLE',
      );
      expect(error.message).toContain('/token');
    });

    it('passes through injected latency', async () => {
      proxy.setFault({ $case: 'delay', ms: 200 });
      const client = proxyClient();
      try {
        expect((await client.getManifest(viaProxy.tag, call())).descriptor.digest).toBe(image.digest);
      } finally {
        client.close();
      }
    });

    it('caps concurrent requests per host', async () => {
      proxy.setFault({ $case: 'delay', ms: 300, match: /\/manifests\// });
      const client = proxyClient({ maxConcurrencyPerHost: 2 });
      try {
        await client.getManifest(viaProxy.digest, call()); // learn the auth scheme and token first
        proxy.clearRequests();
        await Promise.all(Array.from({ length: 6 }, () => client.getManifest(viaProxy.digest, call())));
        // Six slow requests reach the registry two at a time; unbounded all six would be in flight at once.
        expect(manifestRequests()).toBe(6);
        expect(proxy.maxInFlight).toBe(2);
      } finally {
        client.close();
      }
    });
  });
});
