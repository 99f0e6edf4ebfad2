export type { ImageKey, ImageReference } from './reference.types.js';
export type { ContentDigest, DigestAlgorithm, DigestCheck } from './digest.js';
export { DIGEST_HEX_LENGTHS, checkDigest, parseDigest } from './digest.js';
export {
  DOCKER_HUB_API_HOST,
  DOCKER_HUB_REGISTRY,
  formatReference,
  isDockerHub,
  parseImageReference,
  toDigestReference,
  toRegistryHost,
  toTagReference,
} from './parse-reference.js';
export { parseImageKey } from './parse-key.js';
