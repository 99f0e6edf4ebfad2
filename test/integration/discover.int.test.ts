// Subject resolution and signature discovery against a real olareg registry: tag → digest, indexes
// and platforms, referrers through the API and the tag-schema fallback, real cosign `.sig` tags,
// forged fallback indexes, and faults that must end as coded errors within the deadline.
import { expectSignetError } from '../helpers/expect-signet-error.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverSignatures, resolveSubject } from '../../provider/discover/index.js';
import { parseImageReference, toDigestReference } from '../../provider/reference/index.js';
import type { ImageReference } from '../../provider/reference/index.js';
import {
  ARTIFACT_TYPES,
  MEDIA_TYPES,
  createRegistryClient,
  toReferrersFallbackTag,
} from '../../provider/registry/index.js';
import type { RegistryClient } from '../../provider/registry/index.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import { attachArtifact, pushImage, pushIndex } from '../helpers/images.js';
import type { AttachedArtifact, PushedIndex, PushedManifest } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry.js';
import type { TestRegistry } from '../helpers/registry.js';
import { runTool } from '../helpers/tools.js';

const SBOM_TYPE = 'application/spdx+json';
const SIGNATURE_TYPES = [ARTIFACT_TYPES.notationSignature, ARTIFACT_TYPES.sigstoreBundleV03];
const CALL_DEADLINE_MS = 10_000;

const loopbackIsInsecure = (registry: string): boolean => registry.startsWith('127.0.0.1:');

function call(deadlineMs = CALL_DEADLINE_MS): { signal: AbortSignal; deadline: number } {
  return { signal: AbortSignal.timeout(deadlineMs), deadline: Date.now() + deadlineMs };
}

function newClient(limits: Parameters<typeof createRegistryClient>[0] = {}): RegistryClient {
  return createRegistryClient({ isInsecure: loopbackIsInsecure, ...limits });
}

/** Pushes a hand-written manifest or index with oras (the way a tampering client would). */
async function pushRawManifest(
  registry: TestRegistry,
  target: string,
  document: unknown,
  mediaType: string,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'signet-raw-'));
  try {
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(document));
    await runTool('oras', [
      'manifest',
      'push',
      '--plain-http',
      '--registry-config',
      registry.dockerConfigPath,
      '--media-type',
      mediaType,
      target,
      join(dir, 'manifest.json'),
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function fallbackIndexOf(
  artifacts: ReadonlyArray<{ artifact: AttachedArtifact; artifactType: string }>,
): unknown {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: artifacts.map(({ artifact, artifactType }) => ({
      mediaType: artifact.mediaType,
      digest: artifact.digest,
      size: artifact.size,
      artifactType,
    })),
  };
}

describe('resolveSubject', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let image: PushedManifest;
  let index: PushedIndex;
  beforeAll(async () => {
    registry = await startRegistry();
    client = newClient();
    image = await pushImage(registry, 'signet/app', 'v1');
    index = await pushIndex(registry, 'signet/multi', 'v1');
  });
  afterAll(async () => {
    client.close();
    await registry.stop();
  });

  describe('an image tag', () => {
    it('resolves to the manifest digest', async () => {
      const subject = await resolveSubject(client, parseImageReference(image.reference), call());
      expect(subject.reference.normalized).toBe(image.digestReference);
      expect(subject.isIndex).toBe(false);
      expect(subject.platformManifest).toBeUndefined();
    });
  });

  describe('a multi-arch tag', () => {
    it('resolves to the index digest (signatures attach to what the user named)', async () => {
      const subject = await resolveSubject(client, parseImageReference(index.reference), call());
      expect(subject.reference.digest).toBe(index.digest);
      expect(subject.isIndex).toBe(true);
    });

    it('also resolves a platform manifest on request', async () => {
      const subject = await resolveSubject(client, parseImageReference(index.reference), {
        ...call(),
        platform: { os: 'linux', architecture: 'arm64' },
      });
      const arm64 = index.manifests.find((entry) => entry.platform === 'linux/arm64');
      expect(subject.reference.digest).toBe(index.digest);
      expect(subject.platformManifest?.descriptor.digest).toBe(arm64?.digest);
    });

    it('reports a platform the index lacks as REGISTRY_NOT_FOUND', async () => {
      const error = await expectSignetError(
        resolveSubject(client, parseImageReference(index.reference), {
          ...call(),
          platform: { os: 'linux', architecture: 's390x' },
        }),
        'REGISTRY_NOT_FOUND',
      );
      expect(error.stage).toBe('resolve');
      expect(error.message).toContain('linux/s390x');
    });
  });

  describe('a nested index', () => {
    it('is followed up to indexDepth and refused beyond it', async () => {
      const nestedTag = `${registry.host}/signet/multi:nested`;
      await pushRawManifest(
        registry,
        nestedTag,
        {
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.ociIndex,
          manifests: [
            {
              mediaType: MEDIA_TYPES.ociIndex,
              digest: index.digest,
              size: index.size,
              platform: { os: 'linux', architecture: 'arm64' },
            },
          ],
        },
        MEDIA_TYPES.ociIndex,
      );
      const platform = { os: 'linux', architecture: 'arm64' };
      const deep = await resolveSubject(client, parseImageReference(nestedTag), { ...call(), platform });
      expect(deep.platformManifest?.manifest.$case).toBe('image');
      const shallow = newClient({ limits: { indexDepth: 1 } });
      try {
        const error = await expectSignetError(
          resolveSubject(shallow, parseImageReference(nestedTag), { ...call(), platform }),
          'LIMIT_EXCEEDED',
        );
        expect(error.details).toMatchObject({ limit: 'indexDepth', limitValue: 1 });
      } finally {
        shallow.close();
      }
    });
  });

  describe('an unknown tag', () => {
    it('is REGISTRY_NOT_FOUND at the resolve stage', async () => {
      const error = await expectSignetError(
        resolveSubject(client, parseImageReference(`${registry.host}/signet/app:nope`), call()),
        'REGISTRY_NOT_FOUND',
      );
      expect(error.stage).toBe('resolve');
    });
  });
});

describe('discoverSignatures', () => {
  describe('through the referrers API', () => {
    let registry: TestRegistry;
    let client: RegistryClient;
    let subject: ImageReference;
    let notation: AttachedArtifact;
    let bundle: AttachedArtifact;
    beforeAll(async () => {
      registry = await startRegistry({ auth: 'basic', anonymousPull: true });
      client = newClient();
      const image = await pushImage(registry, 'signet/signed', 'v1');
      subject = parseImageReference(image.digestReference);
      notation = await attachArtifact(
        registry,
        image.digestReference,
        ARTIFACT_TYPES.notationSignature,
        'jws',
        'application/jose+json',
      );
      bundle = await attachArtifact(
        registry,
        image.digestReference,
        ARTIFACT_TYPES.sigstoreBundleV03,
        '{}',
        'application/vnd.dev.sigstore.bundle.v0.3+json',
      );
      await attachArtifact(registry, image.digestReference, SBOM_TYPE, '{}', SBOM_TYPE);
    });
    afterAll(async () => {
      client.close();
      await registry.stop();
    });

    it('returns the signature referrers with verified manifests, not other artifacts', async () => {
      const discovery = await discoverSignatures(client, subject, {
        ...call(),
        artifactTypes: SIGNATURE_TYPES,
      });
      expect(discovery.referrersSource).toBe('referrersApi');
      const found = discovery.artifacts.map((artifact) => ({
        $case: artifact.$case,
        artifactType: artifact.artifactType,
        digest: artifact.manifest.descriptor.digest,
        subject: artifact.manifest.manifest.subject?.digest,
      }));
      expect(found.sort((a, b) => a.artifactType.localeCompare(b.artifactType))).toEqual(
        [
          {
            $case: 'referrer',
            artifactType: ARTIFACT_TYPES.notationSignature,
            digest: notation.digest,
            subject: subject.digest,
          },
          {
            $case: 'referrer',
            artifactType: ARTIFACT_TYPES.sigstoreBundleV03,
            digest: bundle.digest,
            subject: subject.digest,
          },
        ].sort((a, b) => a.artifactType.localeCompare(b.artifactType)),
      );
    });

    it('returns nothing for an unsigned image', async () => {
      const unsigned = await pushImage(registry, 'signet/signed', 'unsigned');
      const discovery = await discoverSignatures(client, parseImageReference(unsigned.digestReference), {
        ...call(),
        artifactTypes: SIGNATURE_TYPES,
      });
      expect(discovery.artifacts).toEqual([]);
    });

    it('bounds the number of artifacts', async () => {
      const tight = newClient({ limits: { referrersPerSubject: 1 } });
      try {
        await expectSignetError(
          discoverSignatures(tight, subject, { ...call(), artifactTypes: SIGNATURE_TYPES }),
          'LIMIT_EXCEEDED',
        );
      } finally {
        tight.close();
      }
    });

    it('refuses a tag without a digest', async () => {
      await expectSignetError(
        discoverSignatures(client, parseImageReference(`${registry.host}/signet/signed:v1`), {
          ...call(),
          artifactTypes: SIGNATURE_TYPES,
        }),
        'REFERENCE_INVALID',
      );
    });
  });

  describe('for a multi-arch image', () => {
    it('finds signatures attached to the index digest the tag resolves to', async () => {
      const registry = await startRegistry();
      const client = newClient();
      try {
        const index = await pushIndex(registry, 'signet/multi', 'v1');
        const signature = await attachArtifact(
          registry,
          index.digestReference,
          ARTIFACT_TYPES.notationSignature,
          'jws',
          'application/jose+json',
        );
        const subject = await resolveSubject(client, parseImageReference(index.reference), call());
        const discovery = await discoverSignatures(client, subject.reference, {
          ...call(),
          artifactTypes: SIGNATURE_TYPES,
        });
        expect(discovery.artifacts.map((artifact) => artifact.descriptor.digest)).toEqual([signature.digest]);
      } finally {
        client.close();
        await registry.stop();
      }
    });
  });

  describe('through the tag-schema fallback', () => {
    let registry: TestRegistry;
    let client: RegistryClient;
    let image: PushedManifest;
    let other: PushedManifest;
    let notation: AttachedArtifact;
    let sbom: AttachedArtifact;
    let foreign: AttachedArtifact;
    beforeAll(async () => {
      registry = await startRegistry({ referrersApi: false });
      client = newClient();
      image = await pushImage(registry, 'signet/fallback', 'v1');
      other = await pushImage(registry, 'signet/fallback', 'other');
      notation = await attachArtifact(
        registry,
        image.digestReference,
        ARTIFACT_TYPES.notationSignature,
        'jws',
        'application/jose+json',
      );
      sbom = await attachArtifact(registry, image.digestReference, SBOM_TYPE, '{}', SBOM_TYPE);
      foreign = await attachArtifact(
        registry,
        other.digestReference,
        ARTIFACT_TYPES.notationSignature,
        'jws',
        'application/jose+json',
      );
    });
    afterAll(async () => {
      client.close();
      await registry.stop();
    });

    it('finds the signature in the sha256-<hex> index', async () => {
      const discovery = await discoverSignatures(client, parseImageReference(image.digestReference), {
        ...call(),
        artifactTypes: SIGNATURE_TYPES,
      });
      expect(discovery.referrersSource).toBe('tagSchema');
      expect(discovery.artifacts.map((artifact) => [artifact.$case, artifact.descriptor.digest])).toEqual([
        ['referrer', notation.digest],
      ]);
    });

    it('rejects a forged index listing another subject’s signature', async () => {
      const victim = await pushImage(registry, 'signet/fallback', 'victim');
      await pushRawManifest(
        registry,
        `${registry.host}/signet/fallback:${toReferrersFallbackTag(victim.digest)}`,
        fallbackIndexOf([{ artifact: foreign, artifactType: ARTIFACT_TYPES.notationSignature }]),
        MEDIA_TYPES.ociIndex,
      );
      const error = await expectSignetError(
        discoverSignatures(client, parseImageReference(victim.digestReference), {
          ...call(),
          artifactTypes: SIGNATURE_TYPES,
        }),
        'REGISTRY_PROTOCOL',
      );
      expect(error.message).toContain(`names subject ${other.digest}`);
    });

    it('rejects a forged index that lists an SBOM as a signature', async () => {
      await pushRawManifest(
        registry,
        `${registry.host}/signet/fallback:${toReferrersFallbackTag(image.digest)}`,
        fallbackIndexOf([{ artifact: sbom, artifactType: ARTIFACT_TYPES.notationSignature }]),
        MEDIA_TYPES.ociIndex,
      );
      const error = await expectSignetError(
        discoverSignatures(client, parseImageReference(image.digestReference), {
          ...call(),
          artifactTypes: SIGNATURE_TYPES,
        }),
        'REGISTRY_PROTOCOL',
      );
      expect(error.message).toContain(`declares ${SBOM_TYPE}`);
    });
  });

  describe('cosign .sig tags', () => {
    let registry: TestRegistry;
    let client: RegistryClient;
    let keyDir: string;
    beforeAll(async () => {
      registry = await startRegistry();
      client = newClient();
      keyDir = await mkdtemp(join(tmpdir(), 'signet-cosign-'));
      await runTool('cosign', ['generate-key-pair'], { cwd: keyDir, env: { COSIGN_PASSWORD: '' } });
    });
    afterAll(async () => {
      client.close();
      await registry.stop();
      await rm(keyDir, { recursive: true, force: true });
    });

    it('finds a signature made by the real cosign CLI', async () => {
      const image = await pushImage(registry, 'signet/cosigned', 'v1');
      await runTool(
        'cosign',
        [
          'sign',
          '--key',
          join(keyDir, 'cosign.key'),
          '--tlog-upload=false',
          '--allow-insecure-registry',
          '--yes',
          image.digestReference,
        ],
        { cwd: keyDir, env: { COSIGN_PASSWORD: '', DOCKER_CONFIG: registry.dockerConfigDir } },
      );
      const discovery = await discoverSignatures(client, parseImageReference(image.digestReference), {
        ...call(),
        artifactTypes: [...SIGNATURE_TYPES, ARTIFACT_TYPES.cosignSignature],
      });
      expect(discovery.artifacts).toHaveLength(1);
      const [artifact] = discovery.artifacts;
      expect(artifact?.$case).toBe('cosignTag');
      expect(artifact?.artifactType).toBe(ARTIFACT_TYPES.cosignSignature);
      const layers = artifact?.manifest.manifest.$case === 'image' ? artifact.manifest.manifest.layers : [];
      expect(layers[0]?.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
      expect(layers[0]?.annotations?.['dev.cosignproject.cosign/signature']).toEqual(expect.any(String));
      const withoutCosign = await discoverSignatures(client, parseImageReference(image.digestReference), {
        ...call(),
        artifactTypes: SIGNATURE_TYPES,
      });
      expect(withoutCosign.artifacts).toEqual([]);
    });

    it('finds nothing for an image cosign never signed', async () => {
      const image = await pushImage(registry, 'signet/cosigned', 'unsigned');
      const discovery = await discoverSignatures(client, parseImageReference(image.digestReference), {
        ...call(),
        artifactTypes: [ARTIFACT_TYPES.cosignSignature],
      });
      expect(discovery.artifacts).toEqual([]);
    });
  });

  describe('faults', () => {
    let registry: TestRegistry;
    let proxy: FaultProxy;
    let subject: ImageReference;
    let signature: AttachedArtifact;
    beforeAll(async () => {
      registry = await startRegistry();
      proxy = await startFaultProxy(registry.url);
      const image = await pushImage(registry, 'signet/faulty', 'v1');
      signature = await attachArtifact(
        registry,
        image.digestReference,
        ARTIFACT_TYPES.notationSignature,
        'jws',
        'application/jose+json',
      );
      subject = toDigestReference(parseImageReference(`${proxy.host}/signet/faulty`), image.digest);
    });
    afterAll(async () => {
      await proxy.stop();
      await registry.stop();
    });
    beforeEach(() => proxy.setFault({ $case: 'none' }));

    async function discoverThroughProxy(
      deadlineMs: number,
      scope: { signal: AbortSignal; deadline: number } = call(deadlineMs),
    ): Promise<unknown> {
      const client = newClient({
        retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
        requestTimeoutMs: 2000,
      });
      try {
        return await discoverSignatures(client, subject, {
          ...scope,
          artifactTypes: SIGNATURE_TYPES,
        });
      } finally {
        client.close();
      }
    }

    it('reports an altered signature manifest as DIGEST_MISMATCH', async () => {
      proxy.setFault({ $case: 'alterBody', match: new RegExp(`/manifests/${signature.digest}`) });
      await expectSignetError(discoverThroughProxy(5000), 'DIGEST_MISMATCH');
    });

    it('reports a referrers API that keeps failing as REGISTRY_UNAVAILABLE', async () => {
      proxy.setFault({ $case: 'status', code: 503, match: /\/referrers\// });
      await expectSignetError(discoverThroughProxy(5000), 'REGISTRY_UNAVAILABLE');
    });

    it('ends at the deadline as TIMEOUT when the signature fetch stalls', async () => {
      proxy.setFault({ $case: 'stall', match: new RegExp(`/manifests/${signature.digest}`) });
      // The deadline's signal is the clock: the TIMEOUT comes from it, not from the 2 s request timeout.
      const scope = call(700);
      const error = await expectSignetError(discoverThroughProxy(700, scope), 'TIMEOUT');
      expect(scope.signal.aborted).toBe(true);
      expect(error.reason).toContain('the verification deadline passed');
    });

    it('works again once the fault is gone', async () => {
      const discovery = (await discoverThroughProxy(5000)) as { artifacts: unknown[] };
      expect(discovery.artifacts).toHaveLength(1);
    });
  });
});
