import { SignetError } from '../errors.js';
import { checkSignatureFrom, isSignedBy, parseCertificateBundle, type Certificate } from './certificate.js';

/** Notary Project trust store types: signing CAs, signing authorities and timestamping authorities. */
export const TRUST_STORE_TYPES = ['ca', 'signingAuthority', 'tsa'] as const;
export type TrustStoreType = (typeof TRUST_STORE_TYPES)[number];

/** One named store as configured: its files (PEM or DER, one or more certificates each). */
export interface TrustStoreSource {
  readonly type: TrustStoreType;
  readonly name: string;
  readonly files: readonly { readonly name: string; readonly bytes: Uint8Array }[];
}

export interface TrustStore {
  readonly type: TrustStoreType;
  readonly name: string;
  readonly certificates: readonly Certificate[];
}

/** Named trust stores of one configuration snapshot, looked up as `type:name`. */
export interface TrustStores {
  get(type: TrustStoreType, name: string): TrustStore | undefined;
  readonly all: readonly TrustStore[];
}

const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;

export function isTrustStoreType(value: string): value is TrustStoreType {
  return (TRUST_STORE_TYPES as readonly string[]).includes(value);
}

export function isValidTrustStoreName(name: string): boolean {
  return STORE_NAME.test(name);
}

/**
 * Builds the named stores with notation's rules: every file holds at least one certificate, every
 * certificate is a CA or a self-signed signing certificate, `tsa` stores hold only self-signed root
 * CAs, and a store is never empty. Throws CONFIG_INVALID with notation's wording.
 */
export function parseTrustStores(sources: readonly TrustStoreSource[]): TrustStores {
  const byKey = new Map<string, TrustStore>();
  for (const source of sources) {
    const key = `${source.type}:${source.name}`;
    if (byKey.has(key))
      throw configError(
        `trust store ${JSON.stringify(source.name)} of type ${JSON.stringify(source.type)} is defined more than once`,
        source,
      );
    byKey.set(key, parseTrustStore(source));
  }
  const all = [...byKey.values()];
  return {
    get: (type, name) => byKey.get(`${type}:${name}`),
    all,
  };
}

function parseTrustStore(source: TrustStoreSource): TrustStore {
  const { type, name } = source;
  if (!isTrustStoreType(type)) throw configError(`unsupported trust store type: ${String(type)}`, source);
  if (!isValidTrustStoreName(name)) {
    throw configError(`trust store name needs to follow [a-zA-Z0-9_.-]+ format, ${name} is invalid`, source);
  }
  const certificates: Certificate[] = [];
  for (const file of source.files) {
    let parsed: Certificate[];
    try {
      parsed = parseCertificateBundle(file.bytes);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw configError(
        `failed to read the trusted certificate ${file.name} in trust store ${name} of type ${type}: ${reason}`,
        source,
      );
    }
    if (parsed.length === 0) {
      throw configError(
        `failed to read the trusted certificate ${file.name} in trust store ${name} of type ${type}: no certificate found`,
        source,
      );
    }
    for (const certificate of parsed) {
      const problem = type === 'tsa' ? rootCaProblem(certificate) : trustAnchorProblem(certificate);
      if (problem !== undefined) {
        throw configError(
          `trusted certificate ${file.name} in trust store ${name} of type ${type} is invalid: ${problem}`,
          source,
        );
      }
      certificates.push(certificate);
    }
  }
  if (certificates.length === 0) {
    throw configError(
      `no x509 certificates were found in trust store ${JSON.stringify(name)} of type ${JSON.stringify(type)}`,
      source,
    );
  }
  return { type, name, certificates };
}

/** notation's ValidateCertificates: a trust anchor is a CA or a self-signed signing certificate. */
function trustAnchorProblem(certificate: Certificate): string | undefined {
  if (certificate.basicConstraints?.ca === true) return undefined;
  if (isSignedBy(certificate, certificate.publicKey).ok) return undefined;
  return `certificate with subject ${JSON.stringify(certificate.subject)} is not a CA certificate or self-signed signing certificate`;
}

/** notation requires TSA trust anchors to be self-issued, self-signed root CAs. */
function rootCaProblem(certificate: Certificate): string | undefined {
  const signature = checkSignatureFrom(certificate, certificate);
  if (!signature.ok) {
    return `certificate with subject ${JSON.stringify(certificate.subject)} is not a root CA certificate: ${signature.reason ?? 'invalid signature'}`;
  }
  if (!Buffer.from(certificate.subjectDer).equals(Buffer.from(certificate.issuerDer))) {
    return `certificate with subject ${JSON.stringify(certificate.subject)} is not a root CA certificate: issuer (${certificate.issuer}) and subject (${certificate.subject}) are not the same`;
  }
  return undefined;
}

function configError(reason: string, source: TrustStoreSource): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason,
    details: { trustStoreType: source.type, trustStore: source.name },
  });
}
