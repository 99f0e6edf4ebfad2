import { createPublicKey } from 'node:crypto';
import type {
  AttestationAuthorityConfig,
  AttestationPolicyConfig,
  AttestorPublicKey,
  ResourceId,
} from '../config.types.js';
import { MAX_INLINE_VALUE_BYTES } from './key-provider.js';
import { parsePemPublicKey } from './pem.js';
import type { FieldReader, Node } from './reader.js';

/** Where kubectl puts a namespaced resource written without a namespace. */
export const KRITIS_DEFAULT_NAMESPACE = 'default';

/**
 * kritis' AttestationAuthority spec (grafeas/kritis `AttestationAuthoritySpec`), plus the older single-key
 * fields ACK's kritis-validation-hook documents (`publicKeyData` = base64 of the PEM key, `publicKeyId`).
 * `privateKeySecretName` and `policyType` belong to kritis' signer and are accepted and not used.
 */
const AUTHORITY_SPEC_FIELDS = [
  'noteReference',
  'publicKeys',
  'publicKeyData',
  'publicKeyId',
  'privateKeySecretName',
  'policyType',
] as const;
const PUBLIC_KEY_FIELDS = ['keyId', 'keyType', 'asciiArmoredPgpPublicKey', 'pkixPublicKey'] as const;
const PKIX_FIELDS = ['publicKeyPem', 'signatureAlgorithm'] as const;
// kritis renamed `admissionWhitelistPatterns` to `admissionAllowlistPatterns`; both spellings are read.
const POLICY_SPEC_FIELDS = [
  'attestationAuthorityNames',
  'admissionWhitelistPatterns',
  'admissionAllowlistPatterns',
] as const;
const KEY_TYPES = ['PKIX', 'PGP'] as const;
/** An authority with more keys than this is a mistake, not a key ring. */
export const MAX_AUTHORITY_KEYS = 32;
const MAX_POLICY_AUTHORITIES = 32;
const MAX_WHITELIST_PATTERNS = 256;
const AUTHORITY_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const PGP_UNSUPPORTED = 'PGP keys are not supported by signet; give the authority a PKIX public key (PEM)';

/**
 * Grafeas signature algorithms signet can check. cosign (and ACR's KMS signing) hash simple-signing
 * payloads with SHA-256, so the SHA-384/512 variants can never match and are refused at load time.
 */
const SIGNATURE_ALGORITHMS: Readonly<
  Record<string, { readonly family: 'rsa' | 'ec'; readonly size: number }>
> = {
  RSA_PSS_2048_SHA256: { family: 'rsa', size: 2048 },
  RSA_PSS_3072_SHA256: { family: 'rsa', size: 3072 },
  RSA_PSS_4096_SHA256: { family: 'rsa', size: 4096 },
  RSA_SIGN_PKCS1_2048_SHA256: { family: 'rsa', size: 2048 },
  RSA_SIGN_PKCS1_3072_SHA256: { family: 'rsa', size: 3072 },
  RSA_SIGN_PKCS1_4096_SHA256: { family: 'rsa', size: 4096 },
  ECDSA_P256_SHA256: { family: 'ec', size: 256 },
  EC_SIGN_P256_SHA256: { family: 'ec', size: 256 },
};
const CURVE_BITS: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

/** Why `algorithm` does not fit `key`, or undefined when it does. */
function algorithmMismatch(algorithm: string, key: AttestorPublicKey['key']): string | undefined {
  const expected = SIGNATURE_ALGORITHMS[algorithm];
  if (expected === undefined) {
    return `must be one of ${Object.keys(SIGNATURE_ALGORITHMS).join(', ')} (signatures over image digests use SHA-256)`;
  }
  const details = createPublicKey({ key: Buffer.from(key.rawData), format: 'der', type: 'spki' });
  const type = details.asymmetricKeyType;
  const size =
    type === 'rsa'
      ? details.asymmetricKeyDetails?.modulusLength
      : CURVE_BITS[details.asymmetricKeyDetails?.namedCurve ?? ''];
  const family = type === 'rsa' ? 'rsa' : type === 'ec' ? 'ec' : type;
  if (family !== expected.family || size !== expected.size) {
    return `${algorithm} does not fit the key (${family ?? 'unknown'} ${size ?? '?'} bits)`;
  }
  return undefined;
}

function readPem(reader: FieldReader, node: Node, text: string): AttestorPublicKey['key'] | undefined {
  if (text.includes('BEGIN PGP PUBLIC KEY BLOCK')) {
    reader.report(node, PGP_UNSUPPORTED);
    return undefined;
  }
  const parsed = parsePemPublicKey(text);
  if (!parsed.ok) {
    reader.report(node, parsed.message);
    return undefined;
  }
  return parsed.value;
}

/** ACK's `publicKeyData`: the PEM key base64-encoded (`cat publickey.txt | base64`); a plain PEM is accepted too. */
function readPublicKeyData(reader: FieldReader, node: Node): AttestorPublicKey['key'] | undefined {
  const value = reader.string(node, { nonEmpty: true });
  if (value === undefined) return undefined;
  if (Buffer.byteLength(value) > MAX_INLINE_VALUE_BYTES) {
    reader.report(node, `must be at most ${MAX_INLINE_VALUE_BYTES} bytes`);
    return undefined;
  }
  if (value.includes('-----BEGIN')) return readPem(reader, node, value);
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 !== 0) {
    reader.report(node, 'must be a base64-encoded PEM public key');
    return undefined;
  }
  const decoded = Buffer.from(compact, 'base64').toString('utf8');
  if (!decoded.includes('-----BEGIN')) {
    reader.report(node, 'must be a base64-encoded PEM public key (the decoded value is not PEM)');
    return undefined;
  }
  return readPem(reader, node, decoded);
}

function readPublicKey(reader: FieldReader, node: Node): AttestorPublicKey | undefined {
  if (reader.mapping(node, { required: true }) === undefined) return undefined;
  reader.knownFields(node, PUBLIC_KEY_FIELDS);
  const keyId = reader.string(reader.child(node, 'keyId'), { nonEmpty: true });
  const keyType = reader.oneOf(reader.child(node, 'keyType'), KEY_TYPES);
  const pgpNode = reader.child(node, 'asciiArmoredPgpPublicKey');
  const pkixNode = reader.child(node, 'pkixPublicKey');
  if (keyType === 'PGP' || reader.isPresent(pgpNode)) {
    reader.report(reader.isPresent(pgpNode) ? pgpNode : node, PGP_UNSUPPORTED);
    return undefined;
  }
  if (reader.mapping(pkixNode, { required: true }) === undefined) return undefined;
  reader.knownFields(pkixNode, PKIX_FIELDS);
  const pemNode = reader.child(pkixNode, 'publicKeyPem');
  const pem = reader.string(pemNode, { required: true, nonEmpty: true });
  const algorithmNode = reader.child(pkixNode, 'signatureAlgorithm');
  const signatureAlgorithm = reader.string(algorithmNode, { nonEmpty: true });
  if (pem === undefined) return undefined;
  if (Buffer.byteLength(pem) > MAX_INLINE_VALUE_BYTES) {
    reader.report(pemNode, `must be at most ${MAX_INLINE_VALUE_BYTES} bytes`);
    return undefined;
  }
  const key = readPem(reader, pemNode, pem);
  if (key === undefined) return undefined;
  if (signatureAlgorithm !== undefined) {
    const mismatch = algorithmMismatch(signatureAlgorithm, key);
    if (mismatch !== undefined) {
      reader.report(algorithmNode, mismatch);
      return undefined;
    }
  }
  return { keyId, key, signatureAlgorithm };
}

/** `AttestationAuthority` (kritis.grafeas.io/v1beta1): a note reference and PKIX public keys. */
export function parseAttestationAuthoritySpec(
  reader: FieldReader,
  spec: Node,
  resource: ResourceId,
): AttestationAuthorityConfig | undefined {
  reader.knownFields(spec, AUTHORITY_SPEC_FIELDS);
  const noteReference = reader.string(reader.child(spec, 'noteReference'), {
    required: true,
    nonEmpty: true,
  });
  reader.string(reader.child(spec, 'privateKeySecretName'));
  reader.string(reader.child(spec, 'policyType'));
  const keysNode = reader.child(spec, 'publicKeys');
  const dataNode = reader.child(spec, 'publicKeyData');
  const listed =
    reader.list(keysNode, (item) => readPublicKey(reader, item), { maxItems: MAX_AUTHORITY_KEYS }) ?? [];
  const publicKeyId = reader.string(reader.child(spec, 'publicKeyId'), { nonEmpty: true });
  const dataKey = readPublicKeyData(reader, dataNode);
  if (!reader.isPresent(keysNode) && !reader.isPresent(dataNode)) {
    reader.report(spec, 'one of publicKeys or publicKeyData is required');
  }
  const publicKeys: AttestorPublicKey[] = [
    ...listed,
    ...(dataKey === undefined ? [] : [{ keyId: publicKeyId, key: dataKey, signatureAlgorithm: undefined }]),
  ];
  if (noteReference === undefined || publicKeys.length === 0) return undefined;
  return { $case: 'attestationAuthority', resource, noteReference, publicKeys };
}

/** `GenericAttestationPolicy` (kritis.grafeas.io/v1beta1): the authorities one of which must attest each image. */
export function parseGenericAttestationPolicySpec(
  reader: FieldReader,
  spec: Node,
  resource: ResourceId,
): AttestationPolicyConfig<string> | undefined {
  reader.knownFields(spec, POLICY_SPEC_FIELDS);
  const authorities = reader.list(
    reader.child(spec, 'attestationAuthorityNames'),
    (item) => {
      const name = reader.string(item, { required: true, nonEmpty: true });
      if (name !== undefined && !AUTHORITY_NAME.test(name)) {
        reader.report(item, 'must be the name of an AttestationAuthority (a lowercase RFC 1123 name)');
        return undefined;
      }
      return name;
    },
    { required: true, nonEmpty: true, maxItems: MAX_POLICY_AUTHORITIES },
  );
  const whitelistNode = reader.child(spec, 'admissionWhitelistPatterns');
  const allowlistNode = reader.child(spec, 'admissionAllowlistPatterns');
  if (reader.isPresent(whitelistNode) && reader.isPresent(allowlistNode)) {
    reader.report(spec, 'admissionWhitelistPatterns and admissionAllowlistPatterns cannot both be set');
    return undefined;
  }
  const patterns =
    reader.list(
      reader.isPresent(allowlistNode) ? allowlistNode : whitelistNode,
      (item) => {
        if (reader.mapping(item, { required: true }) === undefined) return undefined;
        reader.knownFields(item, ['namePattern']);
        return reader.string(reader.child(item, 'namePattern'), { required: true, nonEmpty: true });
      },
      { maxItems: MAX_WHITELIST_PATTERNS },
    ) ?? [];
  if (authorities === undefined) return undefined;
  return {
    $case: 'attestationPolicy',
    resource,
    authorities: [...new Set(authorities)],
    admissionWhitelistPatterns: patterns,
  };
}
