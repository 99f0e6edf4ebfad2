import { SignetError } from '../errors.js';
import { toDigestReference } from '../reference/index.js';
import type { ImageReference } from '../reference/index.js';
import type { FetchedManifest, Platform, RegistryClient } from '../registry/index.js';
import type { ResolveOptions, ResolvedSubject } from './discover.types.js';

function describePlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant]
    .filter((part) => part !== undefined)
    .join('/');
}

function matchesPlatform(candidate: Platform | undefined, wanted: Platform): boolean {
  if (candidate === undefined) return false;
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  return wanted.variant === undefined || candidate.variant === wanted.variant;
}

/** Walks from an index to the platform's image manifest, at most `limits.indexDepth` indexes deep. */
async function resolvePlatform(
  client: RegistryClient,
  index: FetchedManifest,
  platform: Platform,
  options: ResolveOptions,
): Promise<FetchedManifest> {
  let current = index;
  for (let depth = 1; ; depth += 1) {
    if (current.manifest.$case !== 'index') return current;
    if (depth > client.limits.indexDepth) {
      throw new SignetError('LIMIT_EXCEEDED', {
        stage: 'resolve',
        reason: `index ${index.reference.normalized} nests deeper than indexDepth (${client.limits.indexDepth})`,
        details: { limit: 'indexDepth', limitValue: client.limits.indexDepth },
      });
    }
    const child = current.manifest.manifests.find((descriptor) =>
      matchesPlatform(descriptor.platform, platform),
    );
    if (child === undefined) {
      throw new SignetError('REGISTRY_NOT_FOUND', {
        stage: 'resolve',
        reason: `index ${current.reference.normalized} has no manifest for platform ${describePlatform(platform)}`,
        details: { platform: describePlatform(platform) },
      });
    }
    current = await client.getManifest(toDigestReference(current.reference, child.digest), {
      ...options,
      stage: 'resolve',
      expectedSize: child.size,
    });
  }
}

/**
 * Resolves a reference to the digest signatures attach to: the digest of what the user named
 * (a tag of a multi-arch image names the index, and so does its signature). The manifest is
 * fetched (GET) so the digest is computed from its bytes, not taken from a header.
 */
export async function resolveSubject(
  client: RegistryClient,
  reference: ImageReference,
  options: ResolveOptions,
): Promise<ResolvedSubject> {
  const manifest = await client.getManifest(reference, { ...options, stage: 'resolve' });
  const isIndex = manifest.manifest.$case === 'index';
  const platformManifest =
    isIndex && options.platform !== undefined
      ? await resolvePlatform(client, manifest, options.platform, options)
      : undefined;
  return {
    reference: manifest.reference,
    manifest,
    isIndex,
    ...(platformManifest === undefined ? {} : { platformManifest }),
  };
}
