import { constants, verify } from 'node:crypto';

import { HASH_LENGTHS, type Certificate, type HashName } from '../../../trust/index.js';

/** The Notary Project signature algorithms (signature-specification "Algorithm Selection"). */
export type SignatureAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

interface AlgorithmSpec {
  readonly hash: HashName;
  readonly family: 'rsa-pss' | 'ecdsa';
  readonly keyBits: number;
  readonly coseId: number;
}

const ALGORITHMS: Readonly<Record<SignatureAlgorithm, AlgorithmSpec>> = {
  PS256: { hash: 'sha256', family: 'rsa-pss', keyBits: 2048, coseId: -37 },
  PS384: { hash: 'sha384', family: 'rsa-pss', keyBits: 3072, coseId: -38 },
  PS512: { hash: 'sha512', family: 'rsa-pss', keyBits: 4096, coseId: -39 },
  ES256: { hash: 'sha256', family: 'ecdsa', keyBits: 256, coseId: -7 },
  ES384: { hash: 'sha384', family: 'ecdsa', keyBits: 384, coseId: -35 },
  ES512: { hash: 'sha512', family: 'ecdsa', keyBits: 521, coseId: -36 },
};

const NAMES = Object.keys(ALGORITHMS) as SignatureAlgorithm[];

export function jwsAlgorithm(name: string): SignatureAlgorithm | undefined {
  return NAMES.find((algorithm) => algorithm === name);
}

export function coseAlgorithm(id: number): SignatureAlgorithm | undefined {
  return NAMES.find((algorithm) => ALGORITHMS[algorithm].coseId === id);
}

/**
 * The algorithm the signing certificate's key dictates (RSA 2048/3072/4096 → PS256/384/512, EC
 * P-256/384/521 → ES256/384/512); anything else is not a Notary Project signing key.
 */
export function algorithmForCertificate(
  certificate: Certificate,
): SignatureAlgorithm | { readonly problem: string } {
  const spec = certificate.publicKeySpec;
  switch (spec.$case) {
    case 'rsa':
    case 'ec': {
      const family = spec.$case === 'rsa' ? 'rsa-pss' : 'ecdsa';
      const found = NAMES.find(
        (name) => ALGORITHMS[name].family === family && ALGORITHMS[name].keyBits === spec.bits,
      );
      return (
        found ?? { problem: `${spec.$case === 'rsa' ? 'RSA' : 'EC'}: key size ${spec.bits} not supported` }
      );
    }
    case 'other':
      return { problem: `signing key type ${spec.type} is not supported` };
  }
}

/**
 * Verifies a raw signature: RSASSA-PSS with a salt as long as the hash (RFC 7518 §3.5, go-cose),
 * or ECDSA with the fixed-size r||s encoding both JWS and COSE use.
 */
export function verifyRawSignature(
  algorithm: SignatureAlgorithm,
  certificate: Certificate,
  signedContent: Uint8Array,
  signature: Uint8Array,
): boolean {
  const spec = ALGORITHMS[algorithm];
  const key = certificate.publicKey;
  if (key === undefined) return false;
  if (spec.family === 'rsa-pss') {
    return verify(
      spec.hash,
      signedContent,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LENGTHS[spec.hash] },
      signature,
    );
  }
  const coordinateBytes = Math.ceil(spec.keyBits / 8);
  if (signature.length !== 2 * coordinateBytes) return false;
  return verify(spec.hash, signedContent, { key, dsaEncoding: 'ieee-p1363' }, signature);
}
