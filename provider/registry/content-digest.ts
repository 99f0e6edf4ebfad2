import { createHash } from 'node:crypto';
import type { DigestAlgorithm } from '../reference/index.js';

/** `algorithm:hex` of the bytes. */
export function computeDigest(bytes: Uint8Array, algorithm: DigestAlgorithm): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}
