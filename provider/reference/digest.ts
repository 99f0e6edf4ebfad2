import { SignetError } from '../errors.js';

/** Digest algorithms signet accepts, with the length of their lowercase hex encoding. */
export const DIGEST_HEX_LENGTHS = {
  sha256: 64,
  sha512: 128,
} as const;

export type DigestAlgorithm = keyof typeof DIGEST_HEX_LENGTHS;

/** A validated content digest, e.g. `sha256:…`. */
export interface ContentDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  /** `algorithm:hex`. */
  readonly value: string;
}

export type DigestCheck =
  | { readonly $case: 'valid'; readonly digest: ContentDigest }
  | { readonly $case: 'invalid'; readonly problem: string };

// The grammar's digest shape (algorithm components joined by + . _ -, at least 128 bits of hex);
// the per-algorithm check narrows it to what signet can actually compute.
const DIGEST_SHAPE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

function isDigestAlgorithm(name: string): name is DigestAlgorithm {
  return Object.hasOwn(DIGEST_HEX_LENGTHS, name);
}

/** go-digest's rules: a registered algorithm, exactly its hex length, lowercase hex only. */
export function checkDigest(text: string): DigestCheck {
  if (!DIGEST_SHAPE.test(text)) {
    return {
      $case: 'invalid',
      problem: `digest "${text}" is not of the form algorithm:hex (at least 32 hex digits)`,
    };
  }
  const separator = text.indexOf(':');
  const algorithm = text.slice(0, separator);
  const hex = text.slice(separator + 1);
  if (!isDigestAlgorithm(algorithm)) {
    const supported = Object.keys(DIGEST_HEX_LENGTHS).join(' or ');
    return {
      $case: 'invalid',
      problem: `digest algorithm "${algorithm}" is not supported (use ${supported})`,
    };
  }
  const expected = DIGEST_HEX_LENGTHS[algorithm];
  if (hex.length !== expected) {
    return {
      $case: 'invalid',
      problem: `${algorithm} digest must have ${expected} hex digits, got ${hex.length}`,
    };
  }
  if (hex !== hex.toLowerCase())
    return { $case: 'invalid', problem: `${algorithm} digest must be lowercase hex` };
  return { $case: 'valid', digest: { algorithm, hex, value: text } };
}

/** A digest from untrusted text; throws REFERENCE_INVALID naming what is wrong. */
export function parseDigest(text: string, image?: string): ContentDigest {
  const check = checkDigest(text);
  if (check.$case === 'invalid') {
    throw new SignetError('REFERENCE_INVALID', {
      stage: 'reference',
      image: image ?? text,
      reason: check.problem,
    });
  }
  return check.digest;
}
