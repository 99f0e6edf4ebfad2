import { constants, publicDecrypt, type KeyObject } from 'node:crypto';

import { p256, p384, p521 } from '@noble/curves/nist.js';

import type { ArtifactDigestAlgorithm } from './sigstore.types.js';

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1) that precede the digest in a PKCS#1 v1.5 signature. */
const DIGEST_INFO_PREFIX: Record<ArtifactDigestAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

const CURVES = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;

function isCurveName(name: string | undefined): name is keyof typeof CURVES {
  return name !== undefined && name in CURVES;
}

function uncompressedPoint(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.x === undefined || jwk.y === undefined) throw new Error('EC key has no coordinates');
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}

/**
 * Checks a signature made over an artifact's digest when only the digest is known (an image manifest
 * digest). Node's crypto always hashes its input, so ECDSA goes through @noble/curves without prehashing
 * and RSA PKCS#1 v1.5 compares the recovered DigestInfo. Returns undefined when the key type cannot be
 * checked over a bare digest (Ed25519, RSA-PSS) so the caller can say so.
 */
export function verifyPrehashedSignature(
  key: KeyObject,
  algorithm: ArtifactDigestAlgorithm,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean | undefined {
  if (key.asymmetricKeyType === 'ec') {
    const curveName = key.export({ format: 'jwk' }).crv;
    if (!isCurveName(curveName)) return undefined;
    try {
      return CURVES[curveName].verify(signature, digest, uncompressedPoint(key), {
        prehash: false,
        lowS: false,
        format: 'der',
      });
    } catch {
      // Malformed DER signatures are simply invalid.
      return false;
    }
  }
  if (key.asymmetricKeyType === 'rsa') {
    try {
      const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
      const expected = Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[algorithm], 'hex'), digest]);
      return recovered.equals(expected);
    } catch {
      return false;
    }
  }
  return undefined;
}
