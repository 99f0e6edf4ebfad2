import { createPublicKey, constants, verify, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { CosignDigestAlgorithm } from '../../config/index.js';
import { SignetError } from '../../errors.js';

/** A PEM public key file larger than this is not one. */
export const MAX_PUBLIC_KEY_FILE_BYTES = 64 * 1024;
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;
const CURVES: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

export type CosignKeyAlgorithm = 'ecdsa' | 'rsa' | 'ed25519';

/** A public key cosign signatures may be checked with, and where it came from (for reports). */
export interface CosignPublicKey {
  /** `file:/keys/cosign.pub`, `KeyManagementProvider/name#0`, … */
  readonly source: string;
  readonly algorithm: CosignKeyAlgorithm;
  /** `ECDSA P-256`, `RSA 3072`, `Ed25519`. */
  readonly description: string;
  readonly key: KeyObject;
}

function configError(source: string, reason: string): SignetError {
  return new SignetError('CONFIG_INVALID', { stage: 'config', reason: `cosign key ${source}: ${reason}` });
}

/** A node:crypto public key as a cosign verification key: ECDSA P-256/384/521, RSA 2048–8192 bits or Ed25519. */
export function toCosignPublicKey(source: string, key: KeyObject): CosignPublicKey {
  const details = key.asymmetricKeyDetails ?? {};
  // Checked one by one rather than by an exhaustive switch: each Node major adds key types (ML-DSA, SLH-DSA, …)
  // that cosign does not sign with, and those all take the same refusal below.
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = CURVES[details.namedCurve ?? ''];
    if (curve === undefined)
      throw configError(
        source,
        `ECDSA curve ${details.namedCurve ?? 'unknown'} is not supported (P-256, P-384, P-521)`,
      );
    return { source, algorithm: 'ecdsa', description: `ECDSA ${curve}`, key };
  }
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)
      throw configError(
        source,
        `RSA keys must have ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits, this one has ${bits}`,
      );
    return { source, algorithm: 'rsa', description: `RSA ${bits}`, key };
  }
  if (type === 'ed25519') return { source, algorithm: 'ed25519', description: 'Ed25519', key };
  throw configError(source, `key type ${type ?? 'unknown'} is not supported (ECDSA, RSA, Ed25519)`);
}

/** A SubjectPublicKeyInfo (DER), as key providers hold it. */
export function parseCosignPublicKeyDer(source: string, der: Uint8Array): CosignPublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch (error) {
    throw configError(source, `not a public key: ${error instanceof Error ? error.message : String(error)}`);
  }
  return toCosignPublicKey(source, key);
}

/** A PEM `PUBLIC KEY` file, as `cosign generate-key-pair` and `cosign import-key-pair` write `cosign.pub`. */
export async function readCosignPublicKeyFile(path: string): Promise<CosignPublicKey> {
  const source = `file:${path}`;
  let pem: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_PUBLIC_KEY_FILE_BYTES)
      throw new Error(`${size} bytes, more than ${MAX_PUBLIC_KEY_FILE_BYTES}`);
    pem = await readFile(path, 'utf8');
  } catch (error) {
    throw configError(source, `cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!pem.includes('-----BEGIN PUBLIC KEY-----')) throw configError(source, 'is not a PEM "PUBLIC KEY"');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw configError(source, `not a public key: ${error instanceof Error ? error.message : String(error)}`);
  }
  return toCosignPublicKey(source, key);
}

/**
 * Whether `signature` is `key`'s signature over `payload` as cosign makes them: ECDSA (ASN.1 DER) and
 * RSA over SHA-256 whatever the curve or size unless told otherwise (cosign loads key verifiers with
 * crypto.SHA256 by default), RSA as PKCS#1 v1.5 or PSS, Ed25519 over the payload itself.
 */
export function verifyCosignSignature(
  key: CosignPublicKey,
  payload: Uint8Array,
  signature: Uint8Array,
  hash: CosignDigestAlgorithm = 'sha256',
): boolean {
  try {
    switch (key.algorithm) {
      case 'ecdsa':
        return verify(hash, payload, { key: key.key, dsaEncoding: 'der' }, signature);
      case 'rsa':
        return (
          verify(hash, payload, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, signature) ||
          verify(
            hash,
            payload,
            {
              key: key.key,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_AUTO,
            },
            signature,
          )
        );
      case 'ed25519':
        return verify(null, payload, key.key, signature);
    }
  } catch {
    // OpenSSL throws on signatures it cannot even decode (wrong length, bad DER): that is "does not verify".
    return false;
  }
}
