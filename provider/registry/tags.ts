import { parseDigest } from '../reference/index.js';

/**
 * The OCI referrers tag schema's tag for a subject: `<alg>-<ref>`, the algorithm cut to 32 and the
 * encoded part to 64 characters (distribution-spec "Referrers Tag Schema").
 */
export function toReferrersFallbackTag(subjectDigest: string): string {
  const digest = parseDigest(subjectDigest);
  return `${digest.algorithm.slice(0, 32)}-${digest.hex.slice(0, 64)}`;
}

export type CosignTagKind = 'sig' | 'att' | 'sbom';

/** cosign's tag for a subject's signatures (`.sig`), attestations (`.att`) or SBOMs: `sha256-<hex>.<kind>`. */
export function toCosignTag(subjectDigest: string, kind: CosignTagKind): string {
  const digest = parseDigest(subjectDigest);
  return `${digest.algorithm}-${digest.hex}.${kind}`;
}
