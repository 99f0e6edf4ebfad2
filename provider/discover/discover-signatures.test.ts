import { createHash } from 'node:crypto';
import { expectSignetError } from '../../test/helpers/expect-signet-error.js';
import { SignetError } from '../errors.js';
import { parseImageReference, toDigestReference } from '../reference/index.js';
import type { ImageReference } from '../reference/index.js';
import { ARTIFACT_TYPES, DEFAULT_REGISTRY_LIMITS, MEDIA_TYPES, toCosignTag } from '../registry/index.js';
import type {
  Descriptor,
  FetchedManifest,
  ReferrersCallOptions,
  ReferrersListing,
  RegistryClient,
} from '../registry/index.js';
import { discoverSignatures } from './discover-signatures.js';

const SBOM_TYPE = 'application/spdx+json';
const subjectDigest = digestOf('subject');
const subject = parseImageReference(`registry.example/app@${subjectDigest}`);

function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function referrer(
  name: string,
  artifactType: string | undefined = ARTIFACT_TYPES.notationSignature,
): Descriptor {
  return {
    mediaType: MEDIA_TYPES.ociManifest,
    digest: digestOf(name),
    size: 500,
    ...(artifactType === undefined ? {} : { artifactType }),
  };
}

function referrers(count: number, artifactType: string = ARTIFACT_TYPES.notationSignature): Descriptor[] {
  return Array.from({ length: count }, (_, i) => referrer(`${artifactType}-${i}`, artifactType));
}

/** An artifact manifest naming the subject, as the registry would serve it for `descriptor`. */
function artifactManifest(
  reference: ImageReference,
  descriptor: Descriptor,
  artifactType: string,
): FetchedManifest {
  return {
    reference,
    descriptor,
    bytes: new Uint8Array(),
    manifest: {
      $case: 'image',
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf('{}'), size: 2 },
      layers: [],
      subject: { mediaType: MEDIA_TYPES.ociManifest, digest: subjectDigest, size: 1000 },
    },
  };
}

interface FakeRegistry {
  readonly client: RegistryClient;
  /** Manifests fetched, by tag or digest, in order. */
  readonly fetched: string[];
  readonly listings: ReferrersCallOptions[];
}

/**
 * A registry listing `listed` as the subject's referrers (from `source`), serving each listed manifest,
 * and cosign's `.sig` tag when `cosignSignature` is set.
 */
function fakeRegistry(
  listed: readonly Descriptor[],
  options: { source?: ReferrersListing['source']; cosignSignature?: boolean } = {},
): FakeRegistry {
  const fetched: string[] = [];
  const listings: ReferrersCallOptions[] = [];
  const byDigest = new Map(listed.map((descriptor) => [descriptor.digest, descriptor]));
  const unused = (): never => {
    throw new Error('not used by discovery');
  };
  const client: RegistryClient = {
    limits: DEFAULT_REGISTRY_LIMITS,
    async getManifest(reference, callOptions) {
      callOptions.signal.throwIfAborted();
      fetched.push(reference.tag ?? reference.digest ?? reference.normalized);
      await Promise.resolve();
      if (reference.tag === toCosignTag(subjectDigest, 'sig') && options.cosignSignature === true) {
        const descriptor = referrer('cosign-sig', undefined);
        return artifactManifest(
          toDigestReference(reference, descriptor.digest),
          descriptor,
          ARTIFACT_TYPES.cosignSignature,
        );
      }
      const descriptor = reference.digest === undefined ? undefined : byDigest.get(reference.digest);
      if (descriptor === undefined) {
        throw new SignetError('REGISTRY_NOT_FOUND', { stage: callOptions.stage ?? 'discover' });
      }
      return artifactManifest(reference, descriptor, descriptor.artifactType ?? SBOM_TYPE);
    },
    resolveDigest: unused,
    getBlob: unused,
    async listReferrers(_subject, callOptions) {
      listings.push(callOptions);
      await Promise.resolve();
      // The client keeps only the requested artifact types (as the real one does).
      const types = callOptions.artifactTypes ?? [];
      return {
        source: options.source ?? 'referrersApi',
        descriptors: listed.filter(
          (descriptor) =>
            types.length === 0 ||
            (descriptor.artifactType !== undefined && types.includes(descriptor.artifactType)),
        ),
      };
    },
    close: () => undefined,
  };
  return { client, fetched, listings };
}

const call = () => ({ signal: AbortSignal.timeout(5_000) });

describe('discoverSignatures', () => {
  describe('maxArtifacts: more wanted referrers listed than the cap', () => {
    it('is LIMIT_EXCEEDED from the referrers listing alone, fetching none of their manifests', async () => {
      const registry = fakeRegistry(referrers(900));
      const error = await expectSignetError(
        discoverSignatures(registry.client, subject, {
          ...call(),
          artifactTypes: [ARTIFACT_TYPES.notationSignature],
          maxArtifacts: 32,
        }),
        'LIMIT_EXCEEDED',
      );
      expect(error.stage).toBe('discover');
      expect(error.kind).toBe('verdict');
      expect(error.message).toBe(
        `900 signature artifacts listed by the referrers API for ${subject.normalized}, more than the limit of 32 per image`,
      );
      expect(error.details).toMatchObject({ limit: 'maxArtifacts', limitValue: 32, observed: 900 });
      expect(registry.listings).toHaveLength(1);
      expect(registry.fetched).toEqual([]);
    });

    it('names the tag-schema index when the listing came from the fallback', async () => {
      const registry = fakeRegistry(referrers(40), { source: 'tagSchema' });
      const error = await expectSignetError(
        discoverSignatures(registry.client, subject, {
          ...call(),
          artifactTypes: [ARTIFACT_TYPES.notationSignature],
          maxArtifacts: 32,
        }),
        'LIMIT_EXCEEDED',
      );
      expect(error.reason).toBe(
        `40 signature artifacts listed by the referrers tag-schema index for ${subject.normalized}, more than the limit of 32 per image`,
      );
      expect(registry.fetched).toEqual([]);
    });

    it('counts a referrer listed twice once', async () => {
      const listed = referrers(3);
      const registry = fakeRegistry([...listed, ...listed]);
      const discovery = await discoverSignatures(registry.client, subject, {
        ...call(),
        artifactTypes: [ARTIFACT_TYPES.notationSignature],
        maxArtifacts: 3,
      });
      expect(discovery.artifacts).toHaveLength(3);
      expect(registry.fetched).toHaveLength(3);
    });

    it('stops before cosign tag lookups add their fetches', async () => {
      const registry = fakeRegistry(referrers(900, ARTIFACT_TYPES.cosignSignature));
      await expectSignetError(
        discoverSignatures(registry.client, subject, {
          ...call(),
          artifactTypes: [ARTIFACT_TYPES.cosignSignature],
          maxArtifacts: 32,
        }),
        'LIMIT_EXCEEDED',
      );
      // Only the `.sig` tag lookup, which runs beside the listing; no listed referrer is fetched.
      expect(registry.fetched).toEqual([toCosignTag(subjectDigest, 'sig')]);
    });
  });

  describe('maxArtifacts: within the cap', () => {
    it('fetches and returns every listed referrer at exactly the cap', async () => {
      const registry = fakeRegistry(referrers(32));
      const discovery = await discoverSignatures(registry.client, subject, {
        ...call(),
        artifactTypes: [ARTIFACT_TYPES.notationSignature],
        maxArtifacts: 32,
      });
      expect(discovery.artifacts).toHaveLength(32);
      expect(registry.fetched).toHaveLength(32);
    });

    it('has no cap without maxArtifacts', async () => {
      const registry = fakeRegistry(referrers(100));
      const discovery = await discoverSignatures(registry.client, subject, {
        ...call(),
        artifactTypes: [ARTIFACT_TYPES.notationSignature],
      });
      expect(discovery.artifacts).toHaveLength(100);
    });
  });

  describe('isWanted: types nobody judges', () => {
    it('neither counts, fetches nor returns them', async () => {
      const registry = fakeRegistry([...referrers(5), ...referrers(50, SBOM_TYPE)]);
      const discovery = await discoverSignatures(registry.client, subject, {
        ...call(),
        artifactTypes: [ARTIFACT_TYPES.notationSignature, SBOM_TYPE],
        isWanted: (artifactType) => artifactType === ARTIFACT_TYPES.notationSignature,
        maxArtifacts: 32,
      });
      expect(discovery.artifacts.map((artifact) => artifact.artifactType)).toEqual(
        Array(5).fill(ARTIFACT_TYPES.notationSignature),
      );
      expect(registry.fetched).toHaveLength(5);
    });

    it('counts the wanted ones only against the cap', async () => {
      const registry = fakeRegistry([...referrers(33), ...referrers(50, SBOM_TYPE)]);
      const error = await expectSignetError(
        discoverSignatures(registry.client, subject, {
          ...call(),
          artifactTypes: [ARTIFACT_TYPES.notationSignature, SBOM_TYPE],
          isWanted: (artifactType) => artifactType === ARTIFACT_TYPES.notationSignature,
          maxArtifacts: 32,
        }),
        'LIMIT_EXCEEDED',
      );
      expect(error.details.observed).toBe(33);
      expect(registry.fetched).toEqual([]);
    });

    it('drops a cosign tag nobody judges', async () => {
      const registry = fakeRegistry(referrers(2), { cosignSignature: true });
      const discovery = await discoverSignatures(registry.client, subject, {
        ...call(),
        artifactTypes: [ARTIFACT_TYPES.notationSignature],
        cosignTag: true,
        isWanted: (artifactType) => artifactType === ARTIFACT_TYPES.notationSignature,
      });
      expect(discovery.artifacts.map((artifact) => artifact.$case)).toEqual(['referrer', 'referrer']);
    });
  });

  describe('maxArtifacts with cosign tags', () => {
    it('counts the `.sig` tag: referrers at the cap plus the tag is LIMIT_EXCEEDED', async () => {
      const registry = fakeRegistry(referrers(32, ARTIFACT_TYPES.cosignSignature), { cosignSignature: true });
      const error = await expectSignetError(
        discoverSignatures(registry.client, subject, {
          ...call(),
          artifactTypes: [ARTIFACT_TYPES.cosignSignature],
          maxArtifacts: 32,
        }),
        'LIMIT_EXCEEDED',
      );
      expect(error.reason).toBe(
        `33 signature artifacts found for ${subject.normalized}, more than the limit of 32 per image`,
      );
    });

    it('returns the referrers and the `.sig` tag within the cap', async () => {
      const registry = fakeRegistry(referrers(2, ARTIFACT_TYPES.cosignSignature), { cosignSignature: true });
      const discovery = await discoverSignatures(registry.client, subject, {
        ...call(),
        artifactTypes: [ARTIFACT_TYPES.cosignSignature],
        maxArtifacts: 3,
      });
      expect(discovery.artifacts.map((artifact) => artifact.$case)).toEqual([
        'referrer',
        'referrer',
        'cosignTag',
      ]);
    });
  });
});
