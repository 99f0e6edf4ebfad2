import { createSingleflight, verdictCacheKey, type ResultCache, type TtlCache } from '../cache/index.js';
import { toNamespaceView, type ConfigSnapshot, type NamespaceView } from '../config/index.js';
import { discoverSignatures, type Discovery } from '../discover/index.js';
import { SignetError, toSignetError, type Stage } from '../errors.js';
import {
  judgingVerifiers,
  toSubjectPolicy,
  verifySubject,
  type Subject,
  type SubjectPolicy,
} from '../policy/index.js';
import { parseImageKey, type ImageKey, type ImageReference } from '../reference/index.js';
import {
  ARTIFACT_TYPES,
  type Descriptor,
  type RegistryCallOptions,
  type RegistryClient,
} from '../registry/index.js';
import type { ImageResult } from '../verdict/index.js';
import { judges, type TrustMaterial } from '../verifiers/index.js';
import type { ImagePipeline, VerifyContext } from './result.types.js';

export interface PipelineDeps {
  /** The registry client for a snapshot's store settings (callers memoize per snapshot generation). */
  readonly registryFor: (snapshot: ConfigSnapshot) => RegistryClient;
  /** The snapshot in force; read once per image. */
  readonly config: () => ConfigSnapshot;
  /**
   * The verifiers of a snapshot with their trust material, built once per snapshot (trustMaterialOf), awaited per
   * image: a build under way is waited for, a failed one makes the image an error (never an allow).
   */
  readonly trustMaterial: (snapshot: ConfigSnapshot) => TrustMaterial | Promise<TrustMaterial>;
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
  readonly now?: () => Date;
}

/** Every artifact type signet knows how to look for, used when a verifier accepts `*`. */
const KNOWN_ARTIFACT_TYPES: readonly string[] = Object.values(ARTIFACT_TYPES);

/**
 * The I/O around verifySubject for one image, under the caller's AbortSignal: resolve the reference, discover its
 * signature artifacts, hand them to verifySubject (policy/). Verdicts are cached by subject digest and
 * configuration generation; inconclusive failures never are.
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

  /** discover → verifySubject for one resolved subject; `progress` names the stage in force for timeouts. */
  async function discoverAndVerify(
    imageKey: ImageKey,
    subject: Subject,
    snapshot: ConfigSnapshot,
    view: NamespaceView,
    policy: SubjectPolicy,
    call: RegistryCallOptions,
    progress: { stage: Stage },
  ): Promise<ImageResult> {
    const registry = deps.registryFor(snapshot);
    const verifiers = judgingVerifiers((await deps.trustMaterial(snapshot)).verifiersFor(view), policy);
    const wanted = new Set(
      verifiers.flatMap((v) => (v.artifactTypes.includes('*') ? KNOWN_ARTIFACT_TYPES : v.artifactTypes)),
    );
    const isJudged = (artifactType: string) => verifiers.some((v) => judges(v, artifactType));
    const pinned = subject.reference;
    // A definite "no" from discovery (too many signatures, a limit) is returned, not thrown, so that it is
    // cached like any verdict: a subject listing many referrers must not cost a listing on every admission.
    const refused = (error: SignetError): ImageResult => ({
      key: imageKey.key,
      isSuccess: false,
      subject: pinned.normalized,
      reports: [],
      error: error.forImage(subject.image),
      verifiedAt: now(),
    });
    let discovery: Discovery;
    try {
      discovery = await discoverSignatures(registry, pinned, {
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
          image: subject.image,
          reason: `${artifacts.length} signatures found, more than the limit of ${deps.maxSignaturesPerImage} per image`,
          details: { limit: 'maxSignaturesPerImage', value: deps.maxSignaturesPerImage },
        }),
      );
    }
    progress.stage = 'verify';
    const verifiedAt = now();
    const verdict = await verifySubject(subject, artifacts, verifiers, policy, {
      fetchBlob: (descriptor, limit) =>
        registry.getBlob(pinned, descriptor, {
          ...call,
          stage: 'verify',
          ...(limit === undefined ? {} : { limit }),
        }),
      signal: call.signal,
      now: verifiedAt,
    });
    return { ...verdict, key: imageKey.key, subject: pinned.normalized, verifiedAt };
  }

  async function verifyKey(key: string, context: VerifyContext): Promise<ImageResult> {
    const progress: { stage: Stage } = { stage: 'reference' };
    let image = key;
    let subject: string | undefined;
    try {
      const imageKey = parseImageKey(key);
      image = imageKey.reference.original;
      const snapshot = deps.config();
      const view = toNamespaceView(snapshot, imageKey.namespace);
      // Everything the configuration alone decides is decided before any registry call.
      const policy = toSubjectPolicy(view, imageKey.reference);
      progress.stage = 'resolve';
      const call = toCallOptions(context);
      const descriptor = await resolveDescriptor(deps.registryFor(snapshot), imageKey.reference, call);
      const pinned = pinToDigest(imageKey.reference, descriptor.digest);
      subject = pinned.normalized;
      progress.stage = 'discover';
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
          discoverAndVerify(
            imageKey,
            { reference: pinned, descriptor, image },
            snapshot,
            view,
            policy,
            { ...call, signal },
            progress,
          ),
        context.signal,
        sharedConfigId === undefined
          ? undefined
          : verdictCacheKey({ ...keyParts, configGeneration: sharedConfigId }),
      );
      // A cached verdict may have been reached through another key (tag vs digest) for the same subject.
      return result.key === key ? result : withImage(result, key, image);
    } catch (error) {
      const { stage } = progress;
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
    verify: verifyKey,

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
