import { SignetError, toSignetError } from '../errors.js';
import { toDigestReference, toTagReference } from '../reference/index.js';
import type { ImageReference } from '../reference/index.js';
import { ARTIFACT_TYPES, IMAGE_MANIFEST_MEDIA_TYPES, toCosignTag } from '../registry/index.js';
import type { Descriptor, FetchedManifest, RegistryCallOptions, RegistryClient } from '../registry/index.js';
import type { DiscoverOptions, Discovery, SignatureArtifact } from './discover.types.js';

function protocolError(subject: ImageReference, reason: string): SignetError {
  return new SignetError('REGISTRY_PROTOCOL', {
    stage: 'discover',
    reason: `registry ${subject.registry}: ${reason}`,
    details: { host: subject.registry },
  });
}

/**
 * More wanted artifacts than the per-image cap: a definite no, decided from what the registry lists (or
 * found), so it is a verdict and none of the listed manifests needs fetching.
 */
function tooManyArtifacts(subject: ImageReference, seen: number, limit: number, where: string): SignetError {
  return new SignetError('LIMIT_EXCEEDED', {
    stage: 'discover',
    reason: `${seen} signature artifacts ${where} for ${subject.normalized}, more than the limit of ${limit} per image`,
    remediation:
      'Delete signature artifacts the image no longer needs, or raise the per-image signature limit (--max-signatures).',
    details: { host: subject.registry, limit: 'maxArtifacts', limitValue: limit, observed: seen },
  });
}

const LISTING_NAMES: Readonly<Record<Discovery['referrersSource'], string>> = {
  referrersApi: 'listed by the referrers API',
  tagSchema: 'listed by the referrers tag-schema index',
};

/** The artifact type a manifest declares: `artifactType`, else its config media type (OCI 1.1). */
function declaredArtifactType(fetched: FetchedManifest): string | undefined {
  const { manifest } = fetched;
  if (manifest.artifactType !== undefined) return manifest.artifactType;
  return manifest.$case === 'image' ? manifest.config.mediaType : undefined;
}

/**
 * Fetches a listed referrer and checks it against the listing: it must name our subject and be
 * of the artifact type it was listed (and filtered) as. The listing itself is not content-addressed.
 */
async function fetchReferrer(
  client: RegistryClient,
  subject: ImageReference,
  subjectDigest: string,
  descriptor: Descriptor,
  callOptions: RegistryCallOptions,
): Promise<SignatureArtifact> {
  const manifest = await client.getManifest(toDigestReference(subject, descriptor.digest), {
    ...callOptions,
    stage: 'discover',
    accept: IMAGE_MANIFEST_MEDIA_TYPES,
    expectedSize: descriptor.size,
  });
  const named = manifest.manifest.subject?.digest;
  if (named !== subjectDigest) {
    throw protocolError(
      subject,
      `referrer ${descriptor.digest} names subject ${named ?? 'none'}, not ${subjectDigest}`,
    );
  }
  const declared = declaredArtifactType(manifest);
  if (descriptor.artifactType !== undefined && declared !== descriptor.artifactType) {
    throw protocolError(
      subject,
      `referrer ${descriptor.digest} was listed as ${descriptor.artifactType} but declares ${declared ?? 'no artifact type'}`,
    );
  }
  const artifactType = descriptor.artifactType ?? declared;
  if (artifactType === undefined)
    throw protocolError(subject, `referrer ${descriptor.digest} has no artifact type`);
  return { $case: 'referrer', descriptor, manifest, artifactType };
}

/** cosign's attestations (`sha256-<hex>.att` tag), as cosign names them in OCI 1.1 referrers mode. */
export const COSIGN_ATTESTATION_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.att.v1+json';

const COSIGN_TAG_ARTIFACT_TYPES: Readonly<Record<'sig' | 'att', string>> = {
  sig: ARTIFACT_TYPES.cosignSignature,
  att: COSIGN_ATTESTATION_ARTIFACT_TYPE,
};

async function fetchCosignTag(
  client: RegistryClient,
  subject: ImageReference,
  subjectDigest: string,
  kind: 'sig' | 'att',
  callOptions: RegistryCallOptions,
): Promise<SignatureArtifact | undefined> {
  try {
    const manifest = await client.getManifest(toTagReference(subject, toCosignTag(subjectDigest, kind)), {
      ...callOptions,
      stage: 'discover',
      accept: IMAGE_MANIFEST_MEDIA_TYPES,
    });
    return {
      $case: 'cosignTag',
      descriptor: manifest.descriptor,
      manifest,
      artifactType: COSIGN_TAG_ARTIFACT_TYPES[kind],
    };
  } catch (error) {
    if (error instanceof SignetError && error.code === 'REGISTRY_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * Finds the signature artifacts of a digest-pinned subject: referrers of the wanted artifact
 * types (the referrers API, else the `sha256-<hex>` tag-schema index), plus cosign's `.sig` and `.att` tags.
 * Every artifact manifest is fetched by digest and verified; counts are bounded by the client's
 * limits, and by `maxArtifacts` before any referrer manifest is fetched. Fetches run concurrently (bounded
 * per host by the client); the first failure cancels the rest.
 */
export async function discoverSignatures(
  client: RegistryClient,
  subject: ImageReference,
  options: DiscoverOptions,
): Promise<Discovery> {
  const subjectDigest = subject.digest;
  if (subjectDigest === undefined) {
    throw new SignetError('REFERENCE_INVALID', {
      stage: 'discover',
      reason: `signatures are discovered for a digest; ${subject.normalized} has none`,
    });
  }
  const siblings = new AbortController();
  const callOptions: RegistryCallOptions = {
    signal: AbortSignal.any([options.signal, siblings.signal]),
    ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
    stage: 'discover',
  };
  const isWanted = options.isWanted ?? (() => true);
  const { maxArtifacts } = options;
  const wantCosignTag = options.cosignTag ?? options.artifactTypes.includes(ARTIFACT_TYPES.cosignSignature);
  const wantAttestationTag =
    options.cosignAttestationTag ?? options.artifactTypes.includes(COSIGN_ATTESTATION_ARTIFACT_TYPE);
  // The first failure is the one to report: siblings it cancels fail afterwards as timeouts.
  let firstFailure: { readonly error: unknown } | undefined;
  const cancelOnFailure = <T>(promise: Promise<T>): Promise<T> =>
    promise.catch((error: unknown) => {
      if (firstFailure === undefined) {
        firstFailure = { error };
        siblings.abort(new Error('a sibling fetch failed'));
      }
      throw error;
    });

  const lookupTag = (wanted: boolean, kind: 'sig' | 'att') =>
    wanted
      ? cancelOnFailure(fetchCosignTag(client, subject, subjectDigest, kind, callOptions))
      : Promise.resolve(undefined);
  const signatureTagLookup = lookupTag(wantCosignTag, 'sig');
  const attestationTagLookup = lookupTag(wantAttestationTag, 'att');
  const referrerLookup = cancelOnFailure(
    (async () => {
      if (options.artifactTypes.length === 0) return { source: 'referrersApi' as const, artifacts: [] };
      const listing = await client.listReferrers(subject, {
        ...callOptions,
        artifactTypes: options.artifactTypes,
      });
      const unique = [
        ...new Map(
          listing.descriptors
            // A descriptor listed without a type is judged by the type its manifest declares.
            .filter(
              (descriptor) => descriptor.artifactType === undefined || isWanted(descriptor.artifactType),
            )
            .map((descriptor) => [descriptor.digest, descriptor]),
        ).values(),
      ];
      // Decided from the listing alone: none of the listed manifests is fetched.
      if (maxArtifacts !== undefined && unique.length > maxArtifacts)
        throw tooManyArtifacts(subject, unique.length, maxArtifacts, LISTING_NAMES[listing.source]);
      const settled = await Promise.allSettled(
        unique.map((descriptor) =>
          cancelOnFailure(fetchReferrer(client, subject, subjectDigest, descriptor, callOptions)),
        ),
      );
      const artifacts = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      if (artifacts.length !== settled.length) throw toSignetError(firstFailure?.error, 'discover');
      return {
        source: listing.source,
        artifacts: artifacts.filter((artifact) => isWanted(artifact.artifactType)),
      };
    })(),
  );
  // Everything settles before deciding, so no fetch outlives the call unobserved.
  const [referrers, ...tags] = await Promise.allSettled([
    referrerLookup,
    signatureTagLookup,
    attestationTagLookup,
  ]);
  if (referrers.status === 'rejected' || tags.some((tag) => tag.status === 'rejected')) {
    // Every lookup goes through cancelOnFailure, so the first failure is recorded.
    throw toSignetError(firstFailure?.error, 'discover');
  }
  const artifacts = [...referrers.value.artifacts];
  for (const tag of tags) {
    const tagged = tag.status === 'fulfilled' ? tag.value : undefined;
    if (
      tagged !== undefined &&
      isWanted(tagged.artifactType) &&
      !artifacts.some((artifact) => artifact.descriptor.digest === tagged.descriptor.digest)
    )
      artifacts.push(tagged);
  }
  if (maxArtifacts !== undefined && artifacts.length > maxArtifacts)
    throw tooManyArtifacts(subject, artifacts.length, maxArtifacts, 'found');
  return { subject, artifacts, referrersSource: referrers.value.source };
}
