import { createHash } from 'node:crypto';
import { createResultCache, createTtlCache } from '../cache/index.js';
import { loadDefaultConfig, type ConfigSnapshot } from '../config/index.js';
import { SignetError } from '../errors.js';
import { ARTIFACT_TYPES, DEFAULT_REGISTRY_LIMITS, MEDIA_TYPES } from '../registry/index.js';
import type { Descriptor, FetchedManifest, RegistryClient } from '../registry/index.js';
import type { ArtifactVerifier } from '../verifiers/index.js';
import type { ImageResult } from './result.types.js';
import { createImagePipeline } from './verify-image.js';

const KEY = 'registry.example/app:v1';

function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

const subjectDescriptor: Descriptor = {
  mediaType: MEDIA_TYPES.ociManifest,
  digest: digestOf('subject'),
  size: 1000,
};

interface Counted {
  resolveDigest: number;
  listReferrers: number;
  getManifest: number;
  getBlob: number;
}

/** A registry whose subject lists `referrerCount` notation signatures, counting every call. */
function fakeRegistry(referrerCount: number): { client: RegistryClient; calls: Counted } {
  const calls: Counted = { resolveDigest: 0, listReferrers: 0, getManifest: 0, getBlob: 0 };
  const listed: Descriptor[] = Array.from({ length: referrerCount }, (_, i) => ({
    mediaType: MEDIA_TYPES.ociManifest,
    digest: digestOf(`signature-${i}`),
    size: 600,
    artifactType: ARTIFACT_TYPES.notationSignature,
  }));
  const client: RegistryClient = {
    limits: DEFAULT_REGISTRY_LIMITS,
    resolveDigest() {
      calls.resolveDigest += 1;
      return Promise.resolve(subjectDescriptor);
    },
    listReferrers() {
      calls.listReferrers += 1;
      return Promise.resolve({ source: 'referrersApi', descriptors: listed });
    },
    getManifest(reference) {
      calls.getManifest += 1;
      const descriptor = listed.find((d) => d.digest === reference.digest);
      if (descriptor === undefined)
        return Promise.reject(new SignetError('REGISTRY_NOT_FOUND', { stage: 'discover' }));
      const fetched: FetchedManifest = {
        reference,
        descriptor,
        bytes: new Uint8Array(),
        manifest: {
          $case: 'image',
          mediaType: MEDIA_TYPES.ociManifest,
          artifactType: ARTIFACT_TYPES.notationSignature,
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf('{}'), size: 2 },
          layers: [],
          subject: subjectDescriptor,
        },
      };
      return Promise.resolve(fetched);
    },
    getBlob() {
      calls.getBlob += 1;
      return Promise.reject(new Error('no blobs here'));
    },
    close: () => undefined,
  };
  return { client, calls };
}

/** A notation verifier that accepts every signature it is given. */
const acceptingVerifier: ArtifactVerifier = {
  name: 'notation',
  type: 'notation',
  artifactTypes: [ARTIFACT_TYPES.notationSignature],
  verify: ({ artifact }) =>
    Promise.resolve({
      subject: artifact.descriptor.digest,
      isSuccess: true,
      name: 'notation',
      verifierName: 'notation',
      type: 'notation',
      verifierType: 'notation',
      message: 'signature verification success',
      artifactType: artifact.artifactType,
      nestedReports: [],
    }),
};

let snapshot: ConfigSnapshot;

beforeAll(async () => {
  snapshot = await loadDefaultConfig();
});

function setup(referrerCount: number, maxSignaturesPerImage = 32) {
  const registry = fakeRegistry(referrerCount);
  const verdicts = createResultCache<ImageResult>({
    maxEntries: 100,
    maxBytes: 1024 * 1024,
    sizeOf: () => 1,
    ttlSuccessMs: 60_000,
    ttlFailureMs: 60_000,
    // As cli.ts classifies verdicts.
    classify: (result) =>
      result.isSuccess ? 'success' : result.error?.kind === 'verdict' ? 'failure' : 'inconclusive',
  });
  const pipeline = createImagePipeline({
    registryFor: () => registry.client,
    config: () => snapshot,
    verifiersFor: () => [acceptingVerifier],
    verdicts,
    digestDescriptors: createTtlCache<Descriptor>({ ttlMs: 60_000, maxEntries: 100 }),
    maxSignaturesPerImage,
  });
  const verify = (key = KEY) => pipeline.verify(key, { signal: AbortSignal.timeout(5_000), traceId: 't' });
  return { pipeline, verify, calls: registry.calls, verdicts };
}

describe('createImagePipeline', () => {
  describe('too many signatures (maxSignaturesPerImage)', () => {
    it('is a failed LIMIT_EXCEEDED verdict decided from the listing, without fetching a signature', async () => {
      const { verify, calls } = setup(900);
      const result = await verify();
      expect(result.isSuccess).toBe(false);
      expect(result.error?.code).toBe('LIMIT_EXCEEDED');
      expect(result.error?.kind).toBe('verdict');
      expect(result.error?.stage).toBe('discover');
      expect(result.error?.message).toBe(
        `image verification failed for ${KEY}: 900 signature artifacts listed by the referrers API for ` +
          `registry.example/app@${subjectDescriptor.digest}, more than the limit of 32 per image`,
      );
      expect(result.subject).toBe(`registry.example/app@${subjectDescriptor.digest}`);
      expect(calls).toEqual({ resolveDigest: 1, listReferrers: 1, getManifest: 0, getBlob: 0 });
    });

    it('is cached: a repeat admission only resolves the tag again', async () => {
      const { verify, calls, verdicts } = setup(900);
      await verify();
      expect(verdicts.size).toBe(1);
      const again = await verify();
      expect(again.error?.code).toBe('LIMIT_EXCEEDED');
      expect(calls).toEqual({ resolveDigest: 2, listReferrers: 1, getManifest: 0, getBlob: 0 });
    });

    it('names the other key when the cached verdict is reached by digest', async () => {
      const { verify, calls } = setup(900);
      await verify();
      const byDigest = `registry.example/app@${subjectDescriptor.digest}`;
      const result = await verify(byDigest);
      expect(result.key).toBe(byDigest);
      expect(result.error?.message).toMatch(new RegExp(`^image verification failed for ${byDigest}: 900 `));
      expect(calls.listReferrers).toBe(1);
    });

    it('verifies signatures at the limit', async () => {
      const { verify, calls } = setup(32);
      const result = await verify();
      expect(result.error).toBeUndefined();
      expect(result.isSuccess).toBe(true);
      expect(calls.getManifest).toBe(32);
    });
  });
});
