import { createResultCache, createTtlCache } from '../cache/index.js';
import { loadDefaultConfig, type ConfigSnapshot } from '../config/index.js';
import { ARTIFACT_TYPES } from '../registry/index.js';
import type { Descriptor } from '../registry/index.js';
import type { ArtifactVerifier } from '../verifiers/index.js';
import { classifyOutcome, type ImageResult } from '../verdict/index.js';
import {
  SUBJECT_DESCRIPTOR as subjectDescriptor,
  signatureDescriptors,
  stubRegistry,
} from '../../test/fixtures/stub-registry.js';
import { createImagePipeline } from './verify-image.js';

const KEY = 'registry.example/app:v1';

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

function setup(
  referrerCount: number,
  maxSignaturesPerImage = 32,
  {
    config = snapshot,
    verifier = acceptingVerifier,
  }: { config?: ConfigSnapshot; verifier?: ArtifactVerifier } = {},
) {
  const registry = stubRegistry({ referrers: signatureDescriptors(referrerCount) });
  const verdicts = createResultCache<ImageResult>({
    maxEntries: 100,
    maxBytes: 1024 * 1024,
    sizeOf: () => 1,
    ttlSuccessMs: 60_000,
    ttlFailureMs: 60_000,
    classify: classifyOutcome,
  });
  const pipeline = createImagePipeline({
    registryFor: () => registry.client,
    config: () => config,
    trustMaterial: () => ({ generation: 1, problems: [], verifiersFor: () => [verifier] }),
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

  describe('what the configuration alone decides', () => {
    it('rejects an unsupported policy type before any registry call', async () => {
      const rego: ConfigSnapshot = {
        ...snapshot,
        policies: [
          {
            $case: 'policy',
            resource: undefined,
            type: 'rego-policy',
            policy: 'package ratify.policy',
            policyPath: undefined,
            passthroughEnabled: false,
          },
        ],
      };
      const { verify, calls } = setup(1, 32, { config: rego });
      const result = await verify();
      expect(result.error?.code).toBe('CONFIG_INVALID');
      expect(result.error?.reason).toBe('policy type rego-policy is not supported; use config-policy');
      expect(calls).toEqual({ resolveDigest: 0, listReferrers: 0, getManifest: 0, getBlob: 0 });
    });
  });

  describe('the stage a timeout names', () => {
    it('is verify once the verifiers run', async () => {
      const deadline = new AbortController();
      let entered: () => void = () => undefined;
      const verifying = new Promise<void>((resolve) => (entered = resolve));
      const hanging: ArtifactVerifier = {
        ...acceptingVerifier,
        verify: ({ signal }) => {
          entered();
          return new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(new Error('aborted'))),
          );
        },
      };
      const { pipeline } = setup(1, 32, { verifier: hanging });
      const pending = pipeline.verify(KEY, { signal: deadline.signal, traceId: 't' });
      await verifying;
      deadline.abort();
      const result = await pending;
      expect(result.error?.code).toBe('TIMEOUT');
      expect(result.error?.stage).toBe('verify');
      expect(result.error?.reason).toBe('verification did not finish before the deadline (verify)');
    });
  });
});
