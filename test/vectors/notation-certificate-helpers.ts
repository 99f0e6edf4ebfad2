/**
 * Test-only factories: X.509 certificates with chosen extensions (via @peculiar/x509 on Node's
 * WebCrypto) and Notary Project envelopes signed with them. Keys are cached per kind so a test file
 * pays for each RSA key size once.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { constants, KeyObject, sign, webcrypto } from 'node:crypto';

import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type KeyKind = 'rsa2048' | 'rsa3072' | 'rsa4096' | 'p256' | 'p384' | 'p521';
export type TestAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

export const ALGORITHM_FOR_KEY: Readonly<Record<KeyKind, TestAlgorithm>> = {
  rsa2048: 'PS256',
  rsa3072: 'PS384',
  rsa4096: 'PS512',
  p256: 'ES256',
  p384: 'ES384',
  p521: 'ES512',
};

export const KEY_USAGE = x509.KeyUsageFlags;
export const EKU_OIDS = {
  codeSigning: '1.3.6.1.5.5.7.3.3',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  any: '2.5.29.37.0',
} as const;

export interface TestIdentity {
  readonly name: string;
  readonly der: Uint8Array;
  readonly keys: CryptoKeyPair;
  readonly privateKey: KeyObject;
  readonly keyKind: KeyKind;
}

export interface CertificateOptions {
  readonly subject: string;
  readonly issuer?: TestIdentity;
  readonly key?: KeyKind;
  /** `null` leaves the extension out. */
  readonly basicConstraints?: {
    readonly ca: boolean;
    readonly pathLength?: number;
    readonly critical?: boolean;
  } | null;
  readonly keyUsage?: { readonly flags: number; readonly critical?: boolean } | null;
  readonly extendedKeyUsage?: { readonly oids: readonly string[]; readonly critical?: boolean } | null;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Signature hash for the certificate itself (SHA-1 to test refusal). */
  readonly signatureHash?: 'SHA-1' | 'SHA-256' | 'SHA-384';
}

const keyCache = new Map<KeyKind, Promise<CryptoKeyPair>>();

function generateKeys(kind: KeyKind): Promise<CryptoKeyPair> {
  const cached = keyCache.get(kind);
  if (cached !== undefined) return cached;
  const algorithm = kind.startsWith('rsa')
    ? {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: Number(kind.slice(3)),
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      }
    : {
        name: 'ECDSA',
        namedCurve: { p256: 'P-256', p384: 'P-384', p521: 'P-521' }[kind as 'p256' | 'p384' | 'p521'],
      };
  const keys = webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  keyCache.set(kind, keys);
  return keys;
}

/** A fresh key pair that no other certificate shares (for "wrong key" cases). */
export async function uniqueKeys(kind: KeyKind): Promise<CryptoKeyPair> {
  keyCache.delete(kind);
  const keys = await generateKeys(kind);
  keyCache.delete(kind);
  return keys;
}

export async function createTestCertificate(
  options: CertificateOptions,
  keysOverride?: CryptoKeyPair,
): Promise<TestIdentity> {
  const keyKind = options.key ?? 'p256';
  const keys = keysOverride ?? (await generateKeys(keyKind));
  const issuer = options.issuer;
  const signingKeyKind = issuer?.keyKind ?? keyKind;
  const hash = options.signatureHash ?? 'SHA-256';
  const signingAlgorithm = signingKeyKind.startsWith('rsa')
    ? { name: 'RSASSA-PKCS1-v1_5', hash }
    : { name: 'ECDSA', hash };
  const extensions: x509.Extension[] = [];
  if (options.basicConstraints !== null) {
    const constraints = options.basicConstraints ?? { ca: false, critical: true };
    extensions.push(
      new x509.BasicConstraintsExtension(
        constraints.ca,
        constraints.pathLength,
        constraints.critical ?? true,
      ),
    );
  }
  if (options.keyUsage !== null) {
    const usage = options.keyUsage ?? { flags: x509.KeyUsageFlags.digitalSignature, critical: true };
    extensions.push(new x509.KeyUsagesExtension(usage.flags, usage.critical ?? true));
  }
  if (options.extendedKeyUsage !== null) {
    const eku = options.extendedKeyUsage ?? { oids: [EKU_OIDS.codeSigning] };
    extensions.push(new x509.ExtendedKeyUsageExtension([...eku.oids], eku.critical ?? false));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    subject: options.subject,
    issuer: issuer?.name ?? options.subject,
    notBefore: options.notBefore ?? new Date('2020-01-01T00:00:00Z'),
    notAfter: options.notAfter ?? new Date('2120-01-01T00:00:00Z'),
    publicKey: keys.publicKey,
    signingKey: issuer?.keys.privateKey ?? keys.privateKey,
    signingAlgorithm,
    extensions,
  });
  return {
    name: options.subject,
    der: new Uint8Array(certificate.rawData),
    keys,
    privateKey: KeyObject.from(keys.privateKey),
    keyKind,
  };
}

const HASHES: Readonly<Record<TestAlgorithm, string>> = {
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};

export function rawSign(algorithm: TestAlgorithm, key: KeyObject, data: Uint8Array): Uint8Array {
  const hash = HASHES[algorithm];
  if (algorithm.startsWith('PS')) {
    return sign(hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(hash.slice(3)) / 8,
    });
  }
  return sign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export const TEST_SUBJECT: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9',
  size: 517,
};

export function notationPayload(descriptor: Descriptor = TEST_SUBJECT): Uint8Array {
  return Buffer.from(JSON.stringify({ targetArtifact: descriptor }));
}

export interface JwsOptions {
  readonly signer: TestIdentity;
  readonly chain?: readonly Uint8Array[];
  readonly algorithm?: TestAlgorithm;
  /** Replaces the default protected header (alg, cty, crit, scheme, signing time). */
  readonly protectedHeader?: Record<string, unknown>;
  readonly payload?: Uint8Array;
  readonly unprotected?: Record<string, unknown>;
}

export function defaultJwsHeader(algorithm: TestAlgorithm): Record<string, unknown> {
  return {
    alg: algorithm,
    crit: ['io.cncf.notary.signingScheme'],
    cty: 'application/vnd.cncf.notary.payload.v1+json',
    'io.cncf.notary.signingScheme': 'notary.x509',
    'io.cncf.notary.signingTime': '2024-01-01T00:00:00Z',
  };
}

/** A JWS JSON serialization envelope, signed with the signer's key over protected.payload. */
export function signJws(options: JwsOptions): Uint8Array {
  const algorithm = options.algorithm ?? ALGORITHM_FOR_KEY[options.signer.keyKind];
  const protectedText = Buffer.from(
    JSON.stringify(options.protectedHeader ?? defaultJwsHeader(algorithm)),
  ).toString('base64url');
  const payloadText = Buffer.from(options.payload ?? notationPayload()).toString('base64url');
  const signature = rawSign(
    algorithm,
    options.signer.privateKey,
    Buffer.from(`${protectedText}.${payloadText}`, 'ascii'),
  );
  const chain = options.chain ?? [options.signer.der];
  return Buffer.from(
    JSON.stringify({
      payload: payloadText,
      protected: protectedText,
      header: { x5c: chain.map((der) => Buffer.from(der).toString('base64')), ...options.unprotected },
      signature: Buffer.from(signature).toString('base64url'),
    }),
  );
}

export interface Tagged {
  readonly tag: number;
  readonly value: TestCbor;
}
export type TestCbor =
  number | string | Uint8Array | readonly TestCbor[] | ReadonlyMap<number | string, TestCbor> | Tagged | null;

/** A CBOR encoder for building COSE test messages (definite lengths, integer/text keys). */
export function encodeTestCbor(value: TestCbor): Uint8Array {
  if (value === null) return Uint8Array.of(0xf6);
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, text.length), text]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value))
    return Buffer.concat([head(4, value.length), ...value.map((item: TestCbor) => encodeTestCbor(item))]);
  if (value instanceof Map) {
    const parts: Uint8Array[] = [head(5, value.size)];
    for (const [key, item] of value as ReadonlyMap<number | string, TestCbor>)
      parts.push(encodeTestCbor(key), encodeTestCbor(item));
    return Buffer.concat(parts);
  }
  const tagged = value as Tagged;
  return Buffer.concat([head(6, tagged.tag), encodeTestCbor(tagged.value)]);
}

function head(major: number, argument: number): Uint8Array {
  const type = major << 5;
  if (argument < 24) return Uint8Array.of(type | argument);
  if (argument < 0x100) return Uint8Array.of(type | 24, argument);
  if (argument < 0x10000) return Uint8Array.of(type | 25, argument >> 8, argument & 0xff);
  if (argument < 0x100000000) {
    const out = Buffer.alloc(5);
    out[0] = type | 26;
    out.writeUInt32BE(argument, 1);
    return out;
  }
  const out = Buffer.alloc(9);
  out[0] = type | 27;
  out.writeBigUInt64BE(BigInt(argument), 1);
  return out;
}

const COSE_ALGORITHM_IDS: Readonly<Record<TestAlgorithm, number>> = {
  PS256: -37,
  PS384: -38,
  PS512: -39,
  ES256: -7,
  ES384: -35,
  ES512: -36,
};

export function defaultCoseHeader(algorithm: TestAlgorithm): Map<number | string, TestCbor> {
  return new Map<number | string, TestCbor>([
    [1, COSE_ALGORITHM_IDS[algorithm]],
    [2, ['io.cncf.notary.signingScheme']],
    [3, 'application/vnd.cncf.notary.payload.v1+json'],
    ['io.cncf.notary.signingScheme', 'notary.x509'],
    ['io.cncf.notary.signingTime', { tag: 1, value: 1704067200 }],
  ]);
}

export interface CoseOptions {
  readonly signer: TestIdentity;
  readonly chain?: readonly Uint8Array[];
  readonly algorithm?: TestAlgorithm;
  readonly protectedHeader?: ReadonlyMap<number | string, TestCbor>;
  readonly payload?: Uint8Array;
  readonly unprotected?: ReadonlyMap<number | string, TestCbor>;
}

/** A COSE_Sign1_Tagged envelope signed over its Sig_structure. */
export function signCose(options: CoseOptions): Uint8Array {
  const algorithm = options.algorithm ?? ALGORITHM_FOR_KEY[options.signer.keyKind];
  const protectedBytes = encodeTestCbor(options.protectedHeader ?? defaultCoseHeader(algorithm));
  const payload = options.payload ?? notationPayload();
  const toBeSigned = encodeTestCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  const signature = rawSign(algorithm, options.signer.privateKey, toBeSigned);
  const unprotected = new Map<number | string, TestCbor>(options.unprotected ?? []);
  if (!unprotected.has(33)) unprotected.set(33, [...(options.chain ?? [options.signer.der])]);
  return encodeTestCbor({ tag: 18, value: [protectedBytes, unprotected, payload, signature] });
}
