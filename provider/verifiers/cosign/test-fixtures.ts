// Test-only fixtures shared by the cosign and attestor verifier unit tests; never imported by provider code.
import { createHash } from 'node:crypto';
import { SignetError } from '../../errors.js';
import type { ImageReference } from '../../reference/index.js';
import type { Descriptor } from '../../registry/index.js';
import type { ArtifactVerifyInput } from '../verifier.types.js';

export const SUBJECT_DIGEST = `sha256:${'1'.repeat(64)}`;
export const SIG_DIGEST = `sha256:${'2'.repeat(64)}`;

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** One layer of a signature manifest with the bytes `fetchBlob` serves for it. */
export interface FixtureLayer {
  readonly descriptor: Descriptor;
  readonly blob: Uint8Array;
}

export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A digest-pinned subject in `registry.example/<repository>`. */
export function subjectIn(repository: string): ImageReference {
  const name = `registry.example/${repository}@${SUBJECT_DIGEST}`;
  return {
    registry: 'registry.example',
    repository,
    tag: undefined,
    digest: SUBJECT_DIGEST,
    original: name,
    normalized: name,
  };
}

/**
 * The verifier input for one signature manifest over `subject` holding `layers`: a cosign `.sig` tag by default,
 * or an OCI referrer (cosign v3 bundles) with an empty config. `fetchBlob` serves the layers unless replaced.
 */
export function artifactInput(options: {
  readonly subject: ImageReference;
  readonly layers: readonly FixtureLayer[];
  readonly artifactType: string;
  readonly discoveredAs?: 'cosignTag' | 'referrer';
  readonly manifestDigest?: string;
  readonly fetchBlob?: ArtifactVerifyInput['fetchBlob'];
}): ArtifactVerifyInput {
  const { subject, layers, artifactType } = options;
  const discoveredAs = options.discoveredAs ?? 'cosignTag';
  const descriptor: Descriptor = {
    mediaType: MANIFEST_TYPE,
    digest: options.manifestDigest ?? SIG_DIGEST,
    size: 100,
  };
  const config: Descriptor =
    discoveredAs === 'referrer'
      ? { mediaType: 'application/vnd.oci.empty.v1+json', digest: SUBJECT_DIGEST, size: 2 }
      : { mediaType: 'application/vnd.oci.image.config.v1+json', digest: SIG_DIGEST, size: 2 };
  return {
    subject,
    subjectDescriptor: { mediaType: MANIFEST_TYPE, digest: SUBJECT_DIGEST, size: 500 },
    artifact: {
      $case: discoveredAs,
      descriptor,
      artifactType,
      manifest: {
        reference: { ...subject, digest: descriptor.digest },
        descriptor,
        bytes: new Uint8Array(),
        manifest: {
          $case: 'image',
          mediaType: MANIFEST_TYPE,
          config,
          layers: layers.map((layer) => layer.descriptor),
        },
      },
    },
    fetchBlob:
      options.fetchBlob ??
      ((wanted) => {
        const found = layers.find((layer) => layer.descriptor.digest === wanted.digest);
        return found === undefined
          ? Promise.reject(new Error('unexpected blob'))
          : Promise.resolve(found.blob);
      }),
    signal: new AbortController().signal,
    now: new Date(),
  };
}

/** `code: reason` of the SignetError `run` throws; fails the test when it returns or throws anything else. */
export function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SignetError) return `${error.code}: ${error.reason}`;
    throw error;
  }
  throw new Error('expected a SignetError');
}
