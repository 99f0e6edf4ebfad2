import type { Bundle } from '@sigstore/bundle';
import type { SignedEntity } from '@sigstore/verify';
// Pinned 4.x; these files have no `exports` barrier (see verify-bundle.ts). Since 4.x the package compares a
// Rekor v2 hashedrekord entry over a DSSE envelope with the PAE digest itself (compareSignedDigest).
import { verifyTLogBody } from '@sigstore/verify/dist/tlog/index.js';

import { bundleFailure, messageOf } from './bundle-failure.js';

/**
 * sigstore-js's third step: every log entry's body must record this bundle's signature (and key or certificate).
 * Their inclusion was checked with the timestamps.
 */
export function verifyTLogBodies(bundle: Bundle, entity: SignedEntity, image: string | undefined): void {
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    try {
      verifyTLogBody(entry, entity.signature);
    } catch (error) {
      throw bundleFailure(
        'SIGNATURE_INVALID',
        'tlog entry',
        `log entry does not match the bundle (${messageOf(error)})`,
        image,
        error,
        { logIndex: entry.logIndex },
      );
    }
  }
}
