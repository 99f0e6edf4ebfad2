import type { Bundle } from '@sigstore/bundle';

import { parseSigstoreBundle, toBundleEntity } from './bundle.js';
import { verifyCertificateIdentity } from './identity.js';
import { verifySignature } from './signature.js';
import { verifySigningKey } from './signing-key.js';
import type { SigstoreSigner, SigstoreVerifyOptions } from './sigstore.types.js';
import { verifyTimestamps } from './timestamps.js';
import { verifyTLogBodies } from './transparency-log.js';

// @sigstore/verify's Verifier runs every check in one go with fixed thresholds; signet needs tLogVerify /
// ctLogVerify switches and a named reason per check, so it composes the package's own check functions in the
// package's order (timestamps → signing key → transparency log → signature, `packages/verify/src/verifier.ts`),
// one module per step.

/**
 * Verifies a Sigstore bundle (v0.1–v0.3) offline against a trusted root: timestamps (transparency-log SET or
 * inclusion proof and integrated time, RFC 3161 tokens), signing key (Fulcio chain, SCT, validity at every
 * verified signing time, or a configured public key), transparency-log bodies, the signature, the artifact
 * binding and the identity policy. Throws a SignetError whose reason starts with the failed check.
 */
export function verifySigstoreBundle(
  bundleJson: Uint8Array | string,
  options: SigstoreVerifyOptions,
): SigstoreSigner {
  return verifyParsedSigstoreBundle(parseSigstoreBundle(bundleJson, options.image), options);
}

/** `verifySigstoreBundle` for a bundle already parsed (or assembled from cosign's legacy layer annotations). */
export function verifyParsedSigstoreBundle(bundle: Bundle, options: SigstoreVerifyOptions): SigstoreSigner {
  const { image, policy, artifact } = options;
  const entity = toBundleEntity(bundle, artifact, image);
  const timestamps = verifyTimestamps(bundle, entity, options);
  const { key, identity } = verifySigningKey(bundle, entity, timestamps.times, options);
  if (options.tLogVerify) verifyTLogBodies(bundle, entity, image);
  const dsse = verifySignature(bundle, entity, key, artifact, image);
  if (identity !== undefined) verifyCertificateIdentity(identity, policy, image);

  return {
    subjects: identity?.subjects ?? [],
    issuer: identity?.issuer,
    integratedTime: timestamps.integratedTime,
    logIndex: timestamps.logIndex,
    verifiedTimes: [...timestamps.times],
    keySource: identity === undefined ? 'public-key' : 'certificate',
    dsse,
  };
}
