// Test images pushed to a registry and signed by the real cosign CLI (offline): the set-up the cosign-signed seeds
// (kritis attestor, Kyverno policy) share.
import { cosignSign, type CosignKeyPair } from './cosign.js';
import { pushImage, type PushedManifest } from './images.js';
import type { TestRegistry } from './registry.js';

export interface CosignTestImage {
  readonly repository: string;
  readonly tag: string;
  /** The key whose `cosign sign` signs the pushed digest; omitted: the image stays unsigned. */
  readonly signer?: CosignKeyPair;
}

/** Pushes `images` (in parallel), then signs each that names a signer; the manifests come back in order. */
export async function pushCosignImages<const Images extends readonly CosignTestImage[]>(
  registry: TestRegistry,
  dir: string,
  images: Images,
): Promise<{ -readonly [Index in keyof Images]: PushedManifest }> {
  const pushed = await Promise.all(images.map((image) => pushImage(registry, image.repository, image.tag)));
  await Promise.all(
    pushed.flatMap((manifest, index) => {
      const signer = images[index]?.signer;
      return signer === undefined ? [] : [cosignSign(registry, signer, manifest.digestReference, dir)];
    }),
  );
  // Promise.all keeps the order and length of `images`, which the mapped tuple type states.
  return pushed as { -readonly [Index in keyof Images]: PushedManifest };
}
