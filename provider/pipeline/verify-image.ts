import { createSingleflight, verdictCacheKey, type ResultCache, type TtlCache } from '../cache/index.js';
import {
  toNamespaceView,
  type AttestationPolicyConfig,
  type ConfigSnapshot,
  type NamespaceView,
} from '../config/index.js';
import { discoverSignatures, type Discovery } from '../discover/index.js';
import { SignetError, toSignetError, type Stage } from '../errors.js';
import { decide, ruleFor } from '../policy/index.js';
import { parseImageKey, type ImageKey, type ImageReference } from '../reference/index.js';
import {
  ARTIFACT_TYPES,
  type Descriptor,
  type RegistryCallOptions,
  type RegistryClient,
} from '../registry/index.js';
import {
  ATTESTOR_VERIFIER_TYPE,
  decideAttestation,
  judges,
  requiredAttestations,
  verifyDigestReference,
  type ArtifactVerifier,
} from '../verifiers/index.js';
import type { ImagePipeline, ImageResult, VerifierReport, VerifyContext } from './result.types.js';

export interface PipelineDeps {
  /** The registry client for a snapshot's store settings (callers memoize per snapshot generation). */
  readonly registryFor: (snapshot: ConfigSnapshot) => RegistryClient;
  /** The snapshot in force; read once per image. */
  readonly config: () => ConfigSnapshot;
  /** The verifiers for one namespace view of a snapshot (callers memoize per snapshot generation). */
  readonly verifiersFor: (snapshot: ConfigSnapshot, view: NamespaceView) => readonly ArtifactVerifier[];
  /** Verdicts keyed by subject digest + config generation (never by tag). */
  readonly verdicts: ResultCache<ImageResult>;
  /**
   * The snapshot's identity across replicas (a content hash, see fingerprintConfig), for the key under which the
   * verdict is shared; undefined (or no function) keeps the verdict to this process.
   */
  readonly sharedConfigId?: (snapshot: ConfigSnapshot) => string | undefined;
  /**
   * Descriptors of digest references (content-addressed, so they cannot change). Tags are never kept: a tag
   * moved to another image must never reuse what the old image resolved to.
   */
  readonly digestDescriptors: TtlCache<Descriptor>;
  /** Signature artifacts judged per image at most; more is LIMIT_EXCEEDED. */
  readonly maxSignaturesPerImage: number;
  readonly onImage?: (result: ImageResult, durationSeconds: number) => void;
  readonly now?: () => Date;
}

/** Every artifact type signet knows how to look for, used when a verifier accepts `*`. */
const KNOWN_ARTIFACT_TYPES: readonly string[] = Object.values(ARTIFACT_TYPES);

/**
 * resolve → discover → verify → decide for one image, under the caller's AbortSignal. Verdicts are
 * cached by subject digest and configuration generation; inconclusive failures never are.
 */
export function createImagePipeline(deps: PipelineDeps): ImagePipeline {
  const now = deps.now ?? (() => new Date());

  // Concurrent admissions of one tag share one resolution in flight; none outlives it.
  const tagResolutions = createSingleflight<Descriptor>();

  async function resolveDescriptor(
    registry: RegistryClient,
    reference: ImageReference,
    call: RegistryCallOptions,
  ): Promise<Descriptor> {
    const cacheKey = reference.normalized;
    if (reference.digest === undefined) {
      return tagResolutions.run(
        cacheKey,
        (signal) => registry.resolveDigest(reference, { ...call, signal, stage: 'resolve' }),
        call.signal,
      );
    }
    const cached = deps.digestDescriptors.get(cacheKey);
    if (cached !== undefined) return cached;
    const descriptor = await registry.resolveDigest(reference, { ...call, stage: 'resolve' });
    if (descriptor.digest !== reference.digest) {
      throw new SignetError('DIGEST_MISMATCH', {
        stage: 'resolve',
        reason: `registry ${reference.registry} answered digest ${descriptor.digest} for ${reference.normalized}`,
        details: { host: reference.registry },
      });
    }
    deps.digestDescriptors.set(cacheKey, descriptor);
    return descriptor;
  }

  async function verifySubject(
    imageKey: ImageKey,
    subject: ImageReference,
    subjectDescriptor: Descriptor,
    snapshot: ConfigSnapshot,
    view: NamespaceView,
    attestations: readonly AttestationPolicyConfig[],
    call: RegistryCallOptions,
  ): Promise<ImageResult> {
    const { signal } = call;
    const registry = deps.registryFor(snapshot);
    const image = imageKey.reference.original;
    // Attestors judge only for the kritis policies this image must satisfy (not whitelisted ones).
    const attesting = new Set(
      attestations.flatMap((policy) => policy.authorities.map((a) => a.resource.name)),
    );
    const verifiers = deps
      .verifiersFor(snapshot, view)
      .filter((v) => v.type !== ATTESTOR_VERIFIER_TYPE || attesting.has(v.name));
    const wanted = new Set(
      verifiers.flatMap((v) => (v.artifactTypes.includes('*') ? KNOWN_ARTIFACT_TYPES : v.artifactTypes)),
    );
    const isJudged = (artifactType: string) => verifiers.some((v) => judges(v, artifactType));
    // A definite "no" from discovery (too many signatures, a limit) is returned, not thrown, so that it is
    // cached like any verdict: a subject listing many referrers must not cost a listing on every admission.
    const refused = (error: SignetError): ImageResult => ({
      key: imageKey.key,
      isSuccess: false,
      subject: subject.normalized,
      reports: [],
      error: error.forImage(image),
      verifiedAt: now(),
    });
    let discovery: Discovery;
    try {
      discovery = await discoverSignatures(registry, subject, {
        ...call,
        artifactTypes: [...wanted],
        cosignTag:
          wanted.has(ARTIFACT_TYPES.cosignSignature) || view.stores.some((store) => store.cosignEnabled),
        isWanted: isJudged,
        // Applied to the listing, before any signature manifest is fetched.
        maxArtifacts: deps.maxSignaturesPerImage,
      });
    } catch (error) {
      if (error instanceof SignetError && error.kind === 'verdict') return refused(error);
      throw error;
    }
    const artifacts = discovery.artifacts.filter((artifact) => isJudged(artifact.artifactType));
    if (artifacts.length > deps.maxSignaturesPerImage) {
      return refused(
        new SignetError('LIMIT_EXCEEDED', {
          stage: 'discover',
          image,
          reason: `${artifacts.length} signatures found, more than the limit of ${deps.maxSignaturesPerImage} per image`,
          details: { limit: 'maxSignaturesPerImage', value: deps.maxSignaturesPerImage },
        }),
      );
    }
    const verifiedAt = now();
    const jobs = artifacts.flatMap((artifact) =>
      verifiers
        .filter((verifier) => judges(verifier, artifact.artifactType))
        .map(async (verifier) => ({
          verifier,
          report: await verifier.verify({
            subject,
            subjectDescriptor,
            artifact,
            fetchBlob: (descriptor, limit) =>
              registry.getBlob(subject, descriptor, {
                ...call,
                stage: 'verify',
                ...(limit === undefined ? {} : { limit }),
              }),
            signal,
            now: verifiedAt,
          }),
        })),
    );
    // A verifier throws only for inconclusive failures; one of them makes the whole image inconclusive.
    const judged = await Promise.all(jobs);
    const policy = view.policy;
    if (policy.type !== 'config-policy') {
      throw new SignetError('CONFIG_INVALID', {
        stage: 'decide',
        image,
        reason: `policy type ${policy.type} is not supported; use config-policy`,
      });
    }
    // A verifier may combine its reports first (cosign v3: one proof spans several bundle referrers).
    const reports: VerifierReport[] = verifiers.flatMap((verifier) => {
      const own = judged.filter((job) => job.verifier === verifier).map((job) => job.report);
      return verifier.aggregate?.(subject, own, (artifactType) => ruleFor(policy, artifactType)) ?? own;
    });
    const notAttested = decideAttestation(image, attestations, reports);
    if (notAttested !== undefined) {
      return {
        key: imageKey.key,
        isSuccess: false,
        subject: subject.normalized,
        reports: [],
        error: notAttested,
        verifiedAt,
      };
    }
    // A namespace governed only by kritis policies (no Ratify Verifier applies) is decided by its attestations.
    const kritisOnly = view.verifiers.length === 0 && view.attestationPolicies.length > 0;
    const decision = kritisOnly
      ? { isSuccess: true, error: undefined }
      : decide(
          image,
          reports.filter((report) => report.type !== ATTESTOR_VERIFIER_TYPE),
          policy,
        );
    return {
      key: imageKey.key,
      isSuccess: decision.isSuccess,
      subject: subject.normalized,
      reports,
      error: decision.error,
      verifiedAt,
    };
  }

  async function verifyKey(key: string, context: VerifyContext): Promise<ImageResult> {
    let stage: Stage = 'reference';
    let image = key;
    let subject: string | undefined;
    try {
      const imageKey = parseImageKey(key);
      image = imageKey.reference.original;
      const snapshot = deps.config();
      const view = toNamespaceView(snapshot, imageKey.namespace);
      const attestations = requiredAttestations(view.attestationPolicies, imageKey.reference);
      // kritis judges tags without any registry call: only a digest can be attested.
      const undigested = verifyDigestReference(image, imageKey.reference, attestations);
      if (undigested !== undefined) throw undigested;
      stage = 'resolve';
      const call = toCallOptions(context);
      const descriptor = await resolveDescriptor(deps.registryFor(snapshot), imageKey.reference, call);
      const pinned = pinToDigest(imageKey.reference, descriptor.digest);
      subject = pinned.normalized;
      stage = 'discover';
      const keyParts = {
        subjectDigest: descriptor.digest,
        namespace: imageKey.namespace,
        registry: pinned.registry,
        repository: pinned.repository,
      };
      const cacheKey = verdictCacheKey({ ...keyParts, configGeneration: snapshot.generation });
      const sharedConfigId = deps.sharedConfigId?.(snapshot);
      const result = await deps.verdicts.getOrLoad(
        cacheKey,
        (signal) =>
          verifySubject(imageKey, pinned, descriptor, snapshot, view, attestations, { ...call, signal }),
        context.signal,
        sharedConfigId === undefined
          ? undefined
          : verdictCacheKey({ ...keyParts, configGeneration: sharedConfigId }),
      );
      // A cached verdict may have been reached through another key (tag vs digest) for the same subject.
      return result.key === key ? result : withImage(result, key, image);
    } catch (error) {
      const failure = toSignetError(
        context.signal.aborted && !(error instanceof SignetError && error.code !== 'INTERNAL')
          ? new SignetError('TIMEOUT', {
              stage,
              reason: `verification did not finish before the deadline (${stage})`,
            })
          : error,
        stage,
        image,
      );
      return { key, isSuccess: false, subject, reports: [], error: failure, verifiedAt: now() };
    }
  }

  return {
    async verify(key, context) {
      const started = process.hrtime.bigint();
      const result = await verifyKey(key, context);
      deps.onImage?.(result, Number(process.hrtime.bigint() - started) / 1e9);
      return result;
    },

    async resolveDigest(key, context) {
      const imageKey = parseImageKey(key);
      const registry = deps.registryFor(deps.config());
      const descriptor = await resolveDescriptor(registry, imageKey.reference, toCallOptions(context));
      return pinToDigest(imageKey.reference, descriptor.digest).normalized;
    },
  };
}

function toCallOptions(context: VerifyContext): RegistryCallOptions {
  return context.deadline === undefined
    ? { signal: context.signal }
    : { signal: context.signal, deadline: context.deadline };
}

function pinToDigest(reference: ImageReference, digest: string): ImageReference {
  const repository = `${reference.registry}/${reference.repository}`;
  return { ...reference, tag: undefined, digest, normalized: `${repository}@${digest}` };
}

/** The same verdict for another key naming the same subject; its error names that key's image. */
function withImage(result: ImageResult, key: string, image: string): ImageResult {
  return { ...result, key, error: result.error?.withImage(image) };
}
