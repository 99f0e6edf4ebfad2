// createImagePipeline's I/O around verifySubject, against a stub registry and stub verifiers (test/fixtures):
// what it asks the registry, what it caches and what never, and how failures become results. verify-image.test.ts
// covers the per-image signature limit.
import { createResultCache, createTtlCache } from '../cache/index.js';
import { loadDefaultConfig, type ConfigSnapshot } from '../config/index.js';
import { SignetError } from '../errors.js';
import { ARTIFACT_TYPES, type Descriptor, type RegistryClient } from '../registry/index.js';
import { classifyOutcome, type ImageResult, type VerifierReport } from '../verdict/index.js';
import type { ArtifactVerifier, ArtifactVerifyInput } from '../verifiers/index.js';
import {
  SUBJECT_DESCRIPTOR,
  digestOf,
  signatureDescriptors,
  stubRegistry,
} from '../../test/fixtures/stub-registry.js';
import { createImagePipeline } from './verify-image.js';

const TAG_KEY = 'registry.example/app:v1';
const PINNED = `registry.example/app@${SUBJECT_DESCRIPTOR.digest}`;

let defaultSnapshot: ConfigSnapshot;

beforeAll(async () => {
  defaultSnapshot = await loadDefaultConfig();
});

function report(input: ArtifactVerifyInput, isSuccess: boolean): VerifierReport {
  return {
    subject: input.artifact.descriptor.digest,
    isSuccess,
    name: 'notation',
    verifierName: 'notation',
    type: 'notation',
    verifierType: 'notation',
    message: isSuccess ? 'signature verification success' : 'signature verification failed',
    artifactType: input.artifact.artifactType,
    nestedReports: [],
  };
}

/** A notation verifier whose answer the test chooses; it records every input it was given. */
function stubVerifier(judge: (input: ArtifactVerifyInput) => Promise<VerifierReport>) {
  const inputs: ArtifactVerifyInput[] = [];
  const verifier: ArtifactVerifier = {
    name: 'notation',
    type: 'notation',
    artifactTypes: [ARTIFACT_TYPES.notationSignature],
    verify: (input) => {
      inputs.push(input);
      return judge(input);
    },
  };
  return { verifier, inputs };
}

const accepting = () => stubVerifier((input) => Promise.resolve(report(input, true)));

interface SetupOptions {
  readonly client: RegistryClient;
  readonly verifier: ArtifactVerifier;
  readonly snapshot?: () => ConfigSnapshot;
}

function setup({ client, verifier, snapshot }: SetupOptions) {
  const verdicts = createResultCache<ImageResult>({
    maxEntries: 100,
    maxBytes: 1024 * 1024,
    sizeOf: () => 1,
    ttlSuccessMs: 60_000,
    ttlFailureMs: 60_000,
    classify: classifyOutcome,
  });
  const pipeline = createImagePipeline({
    registryFor: () => client,
    config: snapshot ?? (() => defaultSnapshot),
    trustMaterial: () => ({ generation: 1, problems: [], verifiersFor: () => [verifier] }),
    verdicts,
    digestDescriptors: createTtlCache<Descriptor>({ ttlMs: 60_000, maxEntries: 100 }),
    maxSignaturesPerImage: 32,
  });
  const context = (signal: AbortSignal = new AbortController().signal) => ({ signal, traceId: 'trace' });
  return { pipeline, verdicts, context };
}

describe('createImagePipeline', () => {
  describe('resolve', () => {
    it('joins concurrent admissions of one tag into one resolution', async () => {
      let answer: (descriptor: Descriptor) => void = () => undefined;
      const registry = stubRegistry({
        referrers: signatureDescriptors(1),
        resolveDigest: () => new Promise((resolve) => (answer = resolve)),
      });
      const { pipeline, context } = setup({ client: registry.client, verifier: accepting().verifier });
      const both = Promise.all([pipeline.verify(TAG_KEY, context()), pipeline.verify(TAG_KEY, context())]);
      // Both admissions are waiting on the one resolution in flight.
      await Promise.resolve();
      expect(registry.calls.resolveDigest).toBe(1);
      answer(SUBJECT_DESCRIPTOR);
      const results = await both;
      expect(results.map((result) => result.isSuccess)).toEqual([true, true]);
      expect(registry.calls.resolveDigest).toBe(1);
    });

    it('resolves a tag afresh on every admission, but a digest reference only once', async () => {
      const registry = stubRegistry();
      const { pipeline, context } = setup({ client: registry.client, verifier: accepting().verifier });
      expect(await pipeline.resolveDigest(TAG_KEY, context())).toBe(PINNED);
      expect(await pipeline.resolveDigest(TAG_KEY, context())).toBe(PINNED);
      expect(registry.calls.resolveDigest).toBe(2);
      expect(await pipeline.resolveDigest(PINNED, context())).toBe(PINNED);
      expect(await pipeline.resolveDigest(PINNED, context())).toBe(PINNED);
      expect(registry.calls.resolveDigest).toBe(3);
    });

    it('refuses a registry answering another digest for a digest reference, inconclusive and never cached', async () => {
      const other = `registry.example/app@${digestOf('another image')}`;
      const registry = stubRegistry({ referrers: signatureDescriptors(1) });
      const { pipeline, context, verdicts } = setup({
        client: registry.client,
        verifier: accepting().verifier,
      });
      const result = await pipeline.verify(other, context());
      expect(result.isSuccess).toBe(false);
      expect(result.error?.code).toBe('DIGEST_MISMATCH');
      expect(result.error?.kind).toBe('inconclusive');
      expect(result.error?.stage).toBe('resolve');
      await pipeline.verify(other, context());
      expect(registry.calls.resolveDigest).toBe(2);
      expect(registry.calls.listReferrers).toBe(0);
      expect(verdicts.size).toBe(0);
    });

    it('answers an invalid key as REFERENCE_INVALID without asking the registry', async () => {
      const registry = stubRegistry();
      const { pipeline, context } = setup({ client: registry.client, verifier: accepting().verifier });
      const result = await pipeline.verify('registry.example/App:v1', context());
      expect(result.error?.code).toBe('REFERENCE_INVALID');
      expect(result.error?.stage).toBe('reference');
      expect(result.subject).toBeUndefined();
      expect(registry.calls).toEqual({ resolveDigest: 0, listReferrers: 0, getManifest: 0, getBlob: 0 });
    });

    /** A registry whose resolution never answers; the abort of `controller` comes while it is in flight. */
    function stalledResolution(controller: AbortController, reason: unknown) {
      return stubRegistry({
        resolveDigest: (_reference, options) =>
          new Promise((_resolve, reject) => {
            options.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
            controller.abort(reason);
          }),
      });
    }

    it('ends a resolution cut short by the caller as TIMEOUT in the resolve stage, never cached', async () => {
      const controller = new AbortController();
      const registry = stalledResolution(controller, undefined);
      const { pipeline, context, verdicts } = setup({
        client: registry.client,
        verifier: accepting().verifier,
      });
      const result = await pipeline.verify(TAG_KEY, context(controller.signal));
      expect(result.error?.code).toBe('TIMEOUT');
      expect(result.error?.stage).toBe('resolve');
      expect(result.error?.kind).toBe('inconclusive');
      expect(verdicts.size).toBe(0);
    });

    it("keeps the request deadline's own TIMEOUT as the reason", async () => {
      const controller = new AbortController();
      const deadline = new SignetError('TIMEOUT', { stage: 'server', reason: 'request deadline passed' });
      const registry = stalledResolution(controller, deadline);
      const { pipeline, context } = setup({ client: registry.client, verifier: accepting().verifier });
      const result = await pipeline.verify(TAG_KEY, context(controller.signal));
      expect(result.error?.code).toBe('TIMEOUT');
      expect(result.error?.stage).toBe('server');
      expect(result.error?.reason).toBe('request deadline passed');
    });
  });

  describe('discover and verify', () => {
    it('is a cached SIGNATURE_NOT_FOUND verdict when the subject has no signature', async () => {
      const registry = stubRegistry({ referrers: [] });
      const { verifier, inputs } = accepting();
      const { pipeline, context, verdicts } = setup({ client: registry.client, verifier });
      const result = await pipeline.verify(TAG_KEY, context());
      expect(result.isSuccess).toBe(false);
      expect(result.error?.code).toBe('SIGNATURE_NOT_FOUND');
      expect(result.error?.kind).toBe('verdict');
      expect(result.subject).toBe(PINNED);
      expect(inputs).toHaveLength(0);
      await pipeline.verify(TAG_KEY, context());
      expect(registry.calls.listReferrers).toBe(1);
      expect(verdicts.size).toBe(1);
    });

    it('hands each verifier only the artifacts it judges, with the subject pinned to its digest', async () => {
      const registry = stubRegistry({
        referrers: [...signatureDescriptors(2), ...signatureDescriptors(3, 'application/vnd.example.sbom')],
      });
      const { verifier, inputs } = accepting();
      const { pipeline, context } = setup({ client: registry.client, verifier });
      const result = await pipeline.verify(TAG_KEY, context());
      expect(result.isSuccess).toBe(true);
      expect(result.reports).toHaveLength(2);
      expect(inputs.map((input) => input.artifact.artifactType)).toEqual([
        ARTIFACT_TYPES.notationSignature,
        ARTIFACT_TYPES.notationSignature,
      ]);
      expect(inputs.every((input) => input.subject.normalized === PINNED)).toBe(true);
      expect(inputs.every((input) => input.subjectDescriptor.digest === SUBJECT_DESCRIPTOR.digest)).toBe(
        true,
      );
    });

    it("fetches a verifier's blobs from the subject's repository in the verify stage", async () => {
      const registry = stubRegistry({ referrers: signatureDescriptors(1) });
      const { verifier } = stubVerifier(async (input) => {
        await input.fetchBlob(SUBJECT_DESCRIPTOR, 'notationEnvelopeBytes');
        return report(input, true);
      });
      const { pipeline, context } = setup({ client: registry.client, verifier });
      await pipeline.verify(TAG_KEY, context());
      expect(registry.blobRequests).toHaveLength(1);
      expect(registry.blobRequests[0]?.repository.normalized).toBe(PINNED);
      expect(registry.blobRequests[0]?.options).toMatchObject({
        stage: 'verify',
        limit: 'notationEnvelopeBytes',
      });
    });

    it('caches a rejected signature as a failed verdict', async () => {
      const registry = stubRegistry({ referrers: signatureDescriptors(1) });
      const { verifier, inputs } = stubVerifier((input) => Promise.resolve(report(input, false)));
      const { pipeline, context } = setup({ client: registry.client, verifier });
      const first = await pipeline.verify(TAG_KEY, context());
      expect(first.isSuccess).toBe(false);
      const again = await pipeline.verify(TAG_KEY, context());
      expect(again.isSuccess).toBe(false);
      expect(inputs).toHaveLength(1);
    });

    it('makes the image inconclusive when a verifier fails inconclusively, and asks again next time', async () => {
      const registry = stubRegistry({ referrers: signatureDescriptors(1) });
      const { verifier, inputs } = stubVerifier(() =>
        Promise.reject(
          new SignetError('REGISTRY_UNAVAILABLE', { stage: 'verify', reason: 'blob fetch failed' }),
        ),
      );
      const { pipeline, context, verdicts } = setup({ client: registry.client, verifier });
      const result = await pipeline.verify(TAG_KEY, context());
      expect(result.isSuccess).toBe(false);
      expect(result.error?.code).toBe('REGISTRY_UNAVAILABLE');
      expect(result.error?.kind).toBe('inconclusive');
      expect(verdicts.size).toBe(0);
      await pipeline.verify(TAG_KEY, context());
      expect(inputs).toHaveLength(2);
    });

    it('verifies again under a new configuration generation', async () => {
      const registry = stubRegistry({ referrers: signatureDescriptors(1) });
      const { verifier, inputs } = accepting();
      let snapshot = defaultSnapshot;
      const { pipeline, context } = setup({ client: registry.client, verifier, snapshot: () => snapshot });
      await pipeline.verify(TAG_KEY, context());
      await pipeline.verify(TAG_KEY, context());
      expect(inputs).toHaveLength(1);
      snapshot = { ...defaultSnapshot, generation: defaultSnapshot.generation + 1 };
      await pipeline.verify(TAG_KEY, context());
      expect(inputs).toHaveLength(2);
    });
  });
});
