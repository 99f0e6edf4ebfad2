import { constants, verify, type KeyObject } from 'node:crypto';

import {
  ASN1_TAG,
  DerError,
  isContext,
  readChildren,
  readOid,
  readSequence,
  readSmallInteger,
  type DerNode,
} from './der.js';

/** An X.509 / CMS AlgorithmIdentifier: OID plus the DER of its parameters, if any. */
export interface AlgorithmIdentifier {
  readonly oid: string;
  readonly parameters: DerNode | undefined;
}

export type HashName = 'sha256' | 'sha384' | 'sha512';

export const HASH_OIDS: Readonly<Record<string, HashName>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

export const HASH_LENGTHS: Readonly<Record<HashName, number>> = { sha256: 32, sha384: 48, sha512: 64 };

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const RSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';
const ED25519 = '1.3.101.112';

const RSA_PKCS1: Readonly<Record<string, HashName>> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

const ECDSA: Readonly<Record<string, HashName>> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** Algorithms refused outright (the Notary Project forbids SHA-1 anywhere in a chain). */
const INSECURE: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'MD5-RSA',
  '1.2.840.113549.1.1.5': 'SHA1-RSA',
  '1.2.840.10045.4.1': 'ECDSA-SHA1',
  '1.3.14.3.2.29': 'SHA1-RSA',
  '1.3.14.3.2.26': 'SHA1',
};

export class UnsupportedAlgorithmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedAlgorithmError';
  }
}

export function readAlgorithmIdentifier(node: DerNode | undefined, what: string): AlgorithmIdentifier {
  const [oidNode, parameters, extra] = readSequence(node, what);
  if (extra !== undefined) throw new DerError(`${what}: unexpected data in algorithm identifier`);
  return { oid: readOid(oidNode, what), parameters };
}

/**
 * Verifies `signature` over `data` with `key` as the algorithm identifier says. `digestOid` is the
 * CMS SignerInfo digest algorithm, used when the signature algorithm is bare `rsaEncryption`.
 * Returns false for a wrong signature; throws UnsupportedAlgorithmError for algorithms we refuse.
 */
export function verifyWithAlgorithm(
  algorithm: AlgorithmIdentifier,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
  digestOid?: string,
): boolean {
  const insecure = INSECURE[algorithm.oid] ?? (digestOid === undefined ? undefined : INSECURE[digestOid]);
  if (insecure !== undefined) throw new UnsupportedAlgorithmError(`insecure algorithm ${insecure}`);
  const pkcs1Hash =
    RSA_PKCS1[algorithm.oid] ??
    (algorithm.oid === RSA_ENCRYPTION && digestOid !== undefined ? HASH_OIDS[digestOid] : undefined);
  if (pkcs1Hash !== undefined) {
    requireKeyType(key, ['rsa']);
    return verify(pkcs1Hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  }
  const ecdsaHash = ECDSA[algorithm.oid];
  if (ecdsaHash !== undefined) {
    requireKeyType(key, ['ec']);
    return verify(ecdsaHash, data, { key, dsaEncoding: 'der' }, signature);
  }
  if (algorithm.oid === RSA_PSS) {
    const { hash, saltLength } = readPssParameters(algorithm.parameters);
    requireKeyType(key, ['rsa', 'rsa-pss']);
    return verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
  }
  if (algorithm.oid === ED25519) {
    requireKeyType(key, ['ed25519']);
    return verify(null, data, key, signature);
  }
  throw new UnsupportedAlgorithmError(`unsupported signature algorithm ${algorithm.oid}`);
}

function requireKeyType(key: KeyObject, allowed: readonly string[]): void {
  if (!allowed.includes(key.asymmetricKeyType ?? '')) {
    throw new UnsupportedAlgorithmError(
      `public key type ${key.asymmetricKeyType ?? 'unknown'} does not match the signature algorithm`,
    );
  }
}

/**
 * RSASSA-PSS parameters. Like Go, only the SHA-2 family with MGF1 over the same hash and a salt
 * as long as the hash is accepted.
 */
function readPssParameters(parameters: DerNode | undefined): { hash: HashName; saltLength: number } {
  if (parameters === undefined || parameters.tagNumber !== ASN1_TAG.SEQUENCE) {
    throw new UnsupportedAlgorithmError('RSASSA-PSS without parameters is not supported');
  }
  let hashOid = '1.3.14.3.2.26';
  let mgfHashOid = '1.3.14.3.2.26';
  let saltLength = 20;
  for (const field of readChildren(parameters)) {
    if (isContext(field, 0)) {
      hashOid = readAlgorithmIdentifier(readChildren(field)[0], 'PSS hash').oid;
    } else if (isContext(field, 1)) {
      const mgf = readAlgorithmIdentifier(readChildren(field)[0], 'PSS mask generation');
      if (mgf.oid !== MGF1) throw new UnsupportedAlgorithmError('unsupported PSS mask generation function');
      mgfHashOid = readAlgorithmIdentifier(mgf.parameters, 'PSS MGF1 hash').oid;
    } else if (isContext(field, 2)) {
      saltLength = readSmallInteger(readChildren(field)[0], 'PSS salt length');
    } else if (isContext(field, 3)) {
      if (readSmallInteger(readChildren(field)[0], 'PSS trailer field') !== 1) {
        throw new UnsupportedAlgorithmError('unsupported PSS trailer field');
      }
    }
  }
  const hash = HASH_OIDS[hashOid];
  if (hash === undefined || mgfHashOid !== hashOid || saltLength !== HASH_LENGTHS[hash]) {
    throw new UnsupportedAlgorithmError('unsupported RSASSA-PSS parameters');
  }
  return { hash, saltLength };
}
