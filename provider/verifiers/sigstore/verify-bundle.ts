import { createHash, type KeyObject } from 'node:crypto';

import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  bundleFromJSON,
  type Bundle,
  type TransparencyLogEntry,
} from '@sigstore/bundle';
import { crypto as sigstoreCrypto, type RFC3161Timestamp, type X509Certificate } from '@sigstore/core';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { toSignedEntity, VerificationError, type SignedEntity } from '@sigstore/verify';
// The package's Verifier runs every check in one go with fixed thresholds; signet needs tLogVerify /
// ctLogVerify switches and a named reason per check, so it composes the package's own check functions
// (pinned 4.x; these files have no `exports` barrier). Since 4.x the package compares a Rekor v2
// hashedrekord entry over a DSSE envelope with the PAE digest itself (compareSignedDigest).
import { verifyCertificateChain } from '@sigstore/verify/dist/key/certificate.js';
import { verifySCTs } from '@sigstore/verify/dist/key/sct.js';
import { getTSATimestamp } from '@sigstore/verify/dist/timestamp/index.js';
import { verifyTLogBody, verifyTLogInclusion } from '@sigstore/verify/dist/tlog/index.js';

import { SignetError, type ErrorCode } from '../../errors.js';
import { CertificateParseError, parseCertificate, readDer, readTime } from '../../trust/index.js';
import { toCertificateIdentity, verifyCertificateIdentity, type CertificateIdentity } from './identity.js';
import { verifyPrehashedSignature } from './prehashed-signature.js';
import type {
  ArtifactDigestAlgorithm,
  SigstoreArtifact,
  SigstoreSigner,
  SigstoreVerifyOptions,
} from './sigstore.types.js';

/** Bundles carry at most an attestation predicate (an SBOM can be large); refuse anything bigger unread. */
export const MAX_SIGSTORE_BUNDLE_BYTES = 16 * 1024 * 1024;
/** In-toto statements name few subjects; bound the scan. */
const MAX_STATEMENT_SUBJECTS = 1024;
/** Rekor's clock and signet's may differ slightly; beyond this an integrated time "in the future" is a lie. */
const INTEGRATED_TIME_SKEW_MS = 60_000;

const SUPPORTED_MEDIA_TYPES = new Set([
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
]);
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const HASH_NAMES: Partial<Record<HashAlgorithm, ArtifactDigestAlgorithm>> = {
  [HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED]: 'sha256',
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
};

/** The check that failed; it starts every reason so reports say which one. */
type Check =
  | 'bundle'
  | 'artifact'
  | 'certificate chain'
  | 'certificate validity'
  | 'SCT'
  | 'SET'
  | 'inclusion proof'
  | 'tlog entry'
  | 'integrated time'
  | 'timestamp'
  | 'public key'
  | 'signature';

function failure(
  code: ErrorCode,
  check: Check,
  detail: string,
  image: string | undefined,
  cause?: unknown,
  details: Record<string, string | number | boolean> = {},
): SignetError {
  return new SignetError(code, {
    stage: 'verify',
    image,
    reason: `${check}: ${detail}`,
    details: { check, ...details },
    cause,
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}

/** Parses untrusted bundle JSON (bytes or an already parsed value) into a v0.1–v0.3 bundle. */
export function parseSigstoreBundle(json: Uint8Array | string, image?: string): Bundle {
  const length = typeof json === 'string' ? Buffer.byteLength(json) : json.length;
  if (length > MAX_SIGSTORE_BUNDLE_BYTES) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      image,
      reason: `bundle: ${length} bytes exceeds the ${MAX_SIGSTORE_BUNDLE_BYTES}-byte limit`,
      details: { limit: 'sigstoreBundleBytes', size: length },
    });
  }
  let bundle: Bundle;
  try {
    const text = typeof json === 'string' ? json : Buffer.from(json).toString('utf8');
    bundle = bundleFromJSON(JSON.parse(text));
  } catch (error) {
    throw failure(
      'SIGNATURE_INVALID',
      'bundle',
      `malformed Sigstore bundle (${messageOf(error)})`,
      image,
      error,
    );
  }
  if (!SUPPORTED_MEDIA_TYPES.has(bundle.mediaType)) {
    throw failure('SIGNATURE_INVALID', 'bundle', `unsupported bundle media type ${bundle.mediaType}`, image);
  }
  return bundle;
}

function digestOf(algorithm: ArtifactDigestAlgorithm, bytes: Uint8Array): Buffer {
  return createHash(algorithm).update(bytes).digest();
}

/** The statement's subjects must include the artifact: a DSSE signature says nothing about other bytes. */
function verifyStatementSubject(
  payloadType: string,
  payload: Buffer,
  artifact: SigstoreArtifact,
  image?: string,
): void {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw failure(
      'SIGNATURE_INVALID',
      'artifact',
      `DSSE payload type ${payloadType} is not an in-toto statement`,
      image,
    );
  }
  let subjects: unknown;
  try {
    subjects = (JSON.parse(payload.toString('utf8')) as { subject?: unknown }).subject;
  } catch (error) {
    throw failure('SIGNATURE_INVALID', 'artifact', 'DSSE payload is not valid JSON', image, error);
  }
  if (!Array.isArray(subjects) || subjects.length === 0 || subjects.length > MAX_STATEMENT_SUBJECTS) {
    throw failure('SIGNATURE_INVALID', 'artifact', 'in-toto statement has no usable subject list', image);
  }
  const matches = subjects.some((subject: unknown) => {
    const digests = (subject as { digest?: unknown } | null)?.digest;
    if (typeof digests !== 'object' || digests === null) return false;
    return (['sha256', 'sha384', 'sha512'] as const).some((algorithm) => {
      const hex = (digests as Record<string, unknown>)[algorithm];
      if (typeof hex !== 'string') return false;
      const expected = Buffer.from(hex.toLowerCase(), 'hex');
      if (artifact.$case === 'digest')
        return artifact.algorithm === algorithm && expected.equals(artifact.digest);
      return expected.equals(digestOf(algorithm, artifact.payload));
    });
  });
  if (!matches) {
    throw failure(
      'SIGNATURE_INVALID',
      'artifact',
      'artifact digest does not match any subject of the in-toto statement',
      image,
    );
  }
}

/** Message signatures: the bundle's digest must be the artifact's, and the signature must be over it. */
function toMessageContent(
  bundle: Bundle,
  entity: SignedEntity,
  artifact: SigstoreArtifact,
  image?: string,
): SignedEntity['signature'] {
  if (bundle.content.$case !== 'messageSignature') return entity.signature;
  const messageDigest = bundle.content.messageSignature.messageDigest;
  const algorithm = messageDigest === undefined ? undefined : HASH_NAMES[messageDigest.algorithm];
  if (messageDigest === undefined || algorithm === undefined) {
    throw failure('SIGNATURE_INVALID', 'bundle', 'message signature has no supported message digest', image);
  }
  const artifactDigest =
    artifact.$case === 'payload'
      ? digestOf(algorithm, artifact.payload)
      : artifact.algorithm === algorithm
        ? Buffer.from(artifact.digest)
        : undefined;
  if (artifactDigest === undefined || !artifactDigest.equals(messageDigest.digest)) {
    throw failure(
      'SIGNATURE_INVALID',
      'artifact',
      'artifact digest does not match the bundle message digest',
      image,
    );
  }
  if (artifact.$case === 'payload') return entity.signature;
  const signature = bundle.content.messageSignature.signature;
  return {
    ...entity.signature,
    signature,
    compareSignature: (candidate) => entity.signature.compareSignature(candidate),
    compareDigest: (candidate) => entity.signature.compareDigest(candidate),
    compareSignedDigest: (candidate) => entity.signature.compareSignedDigest(candidate),
    verifySignature: (key) => {
      const verdict = verifyPrehashedSignature(key, algorithm, artifactDigest, signature);
      if (verdict === undefined) {
        throw failure(
          'SIGNATURE_INVALID',
          'signature',
          `a ${key.asymmetricKeyType ?? 'unknown'} signature cannot be checked against a digest alone`,
          image,
        );
      }
      return verdict;
    },
  };
}

function tlogCheck(error: unknown): Check {
  if (!(error instanceof VerificationError)) return 'tlog entry';
  if (error.code === 'TLOG_INCLUSION_PROMISE_ERROR') return 'SET';
  if (error.code === 'TLOG_INCLUSION_PROOF_ERROR' || error.code === 'TLOG_MISSING_INCLUSION_ERROR')
    return 'inclusion proof';
  return 'tlog entry';
}

interface TlogResult {
  readonly times: Date[];
  readonly integratedTime: Date | undefined;
  readonly logIndex: string | undefined;
}

function verifyTlogEntries(bundle: Bundle, entity: SignedEntity, options: SigstoreVerifyOptions): TlogResult {
  const { image, now, trustMaterial } = options;
  const entries = bundle.verificationMaterial.tlogEntries;
  if (entries.length === 0) {
    throw failure(
      'SIGNATURE_INVALID',
      'inclusion proof',
      'the bundle has no transparency-log entry and tLogVerify is on',
      image,
    );
  }
  const times: Date[] = [];
  let first: TransparencyLogEntry | undefined;
  for (const entry of entries) {
    try {
      verifyTLogInclusion(entry, trustMaterial.material.tlogs);
    } catch (error) {
      const detail =
        error instanceof VerificationError ? error.message : `malformed log entry (${messageOf(error)})`;
      throw failure('SIGNATURE_INVALID', tlogCheck(error), detail, image, error, {
        logIndex: entry.logIndex,
      });
    }
    try {
      verifyTLogBody(entry, entity.signature);
    } catch (error) {
      throw failure(
        'SIGNATURE_INVALID',
        'tlog entry',
        `log entry does not match the bundle (${messageOf(error)})`,
        image,
        error,
        {
          logIndex: entry.logIndex,
        },
      );
    }
    // Only an inclusion promise (SET) signs the integrated time; Rekor v2 entries carry none.
    if (entry.inclusionPromise === undefined || entry.integratedTime === '0' || entry.integratedTime === '')
      continue;
    const integrated = new Date(Number(entry.integratedTime) * 1000);
    if (integrated.getTime() > now.getTime() + INTEGRATED_TIME_SKEW_MS) {
      throw failure(
        'SIGNATURE_INVALID',
        'integrated time',
        `integrated time ${integrated.toISOString()} is in the future`,
        image,
      );
    }
    times.push(integrated);
    first ??= entry;
  }
  return {
    times,
    integratedTime: first === undefined ? undefined : new Date(Number(first.integratedTime) * 1000),
    logIndex: first?.logIndex ?? entries[0]?.logIndex,
  };
}

/** TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, … } */
const TST_INFO_GEN_TIME_INDEX = 4;

/**
 * @sigstore/core 3 reads genTime only with no or exactly three fractional digits, but DER drops trailing zeros
 * (`.01Z`), so one valid token in ten would be refused. The token is read by signet's DER reader instead, and the
 * package's checks see that time; everything else (signature, imprint, chain) stays the package's.
 */
function withDerGenTime(timestamp: RFC3161Timestamp): RFC3161Timestamp {
  const genTime = timestamp.tstInfo.root.subs[TST_INFO_GEN_TIME_INDEX];
  const signingTime = readTime(genTime === undefined ? undefined : readDer(genTime.toDER()), 'genTime');
  return new Proxy(timestamp, {
    get: (target, property): unknown =>
      property === 'signingTime' ? signingTime : Reflect.get(target, property, target),
  });
}

function verifyTimestampAuthorities(entity: SignedEntity, options: SigstoreVerifyOptions): Date[] {
  const times: Date[] = [];
  for (const timestamp of entity.timestamps) {
    if (timestamp.$case !== 'timestamp-authority') continue;
    try {
      const token = withDerGenTime(timestamp.timestamp);
      times.push(
        getTSATimestamp(
          token,
          entity.signature.signature,
          options.trustMaterial.material.timestampAuthorities,
        ).timestamp,
      );
    } catch (error) {
      throw failure(
        'SIGNATURE_INVALID',
        'timestamp',
        `RFC 3161 timestamp not verified (${messageOf(error)})`,
        options.image,
        error,
      );
    }
  }
  return times;
}

function leafDer(bundle: Bundle): Uint8Array | undefined {
  const content = bundle.verificationMaterial.content;
  switch (content.$case) {
    case 'x509CertificateChain':
      return content.x509CertificateChain.certificates[0]?.rawBytes;
    case 'certificate':
      return content.certificate.rawBytes;
    case 'publicKey':
      return undefined;
  }
}

interface CertificateResult {
  readonly key: KeyObject;
  readonly identity: CertificateIdentity;
}

function verifySigningCertificate(
  leaf: X509Certificate,
  der: Uint8Array,
  times: readonly Date[],
  options: SigstoreVerifyOptions,
): CertificateResult {
  const { image, trustMaterial } = options;
  let validity: { notBefore: Date; notAfter: Date };
  let identity: CertificateIdentity;
  try {
    validity = parseCertificate(der);
    identity = toCertificateIdentity(der);
  } catch (error) {
    const detail = error instanceof CertificateParseError ? error.message : messageOf(error);
    throw failure(
      'SIGNATURE_INVALID',
      'certificate chain',
      `signing certificate is malformed (${detail})`,
      image,
      error,
    );
  }
  let path: X509Certificate[] = [];
  for (const time of times) {
    if (time < validity.notBefore || time > validity.notAfter) {
      throw failure(
        'EXPIRED',
        'certificate validity',
        `signing time ${time.toISOString()} is outside the certificate validity ${validity.notBefore.toISOString()} – ${validity.notAfter.toISOString()}`,
        image,
      );
    }
    try {
      path = verifyCertificateChain(time, leaf, trustMaterial.material.certificateAuthorities);
    } catch (error) {
      throw failure(
        'CERT_UNTRUSTED',
        'certificate chain',
        `${messageOf(error)} at ${time.toISOString()}`,
        image,
        error,
      );
    }
  }
  if (options.ctLogVerify) {
    const [certificate, issuer] = path;
    let scts: unknown[] = [];
    try {
      if (certificate !== undefined && issuer !== undefined)
        scts = verifySCTs(certificate, issuer, trustMaterial.material.ctlogs);
    } catch (error) {
      throw failure('CERT_UNTRUSTED', 'SCT', messageOf(error), image, error);
    }
    if (scts.length === 0)
      throw failure(
        'CERT_UNTRUSTED',
        'SCT',
        'the certificate has no verified SCT and ctLogVerify is on',
        image,
      );
  }
  return { key: sigstoreCrypto.createPublicKey(leaf.publicKey), identity };
}

/**
 * Verifies a Sigstore bundle (v0.1–v0.3) offline against a trusted root: signing key (Fulcio chain, SCT,
 * validity at every verified signing time, or a configured public key), transparency-log entries (SET,
 * inclusion proof, body), RFC 3161 timestamps, the signature, the artifact binding and the identity policy.
 * Throws a SignetError whose reason starts with the failed check.
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
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(
      bundle,
      artifact.$case === 'payload' ? Buffer.from(artifact.payload) : Buffer.alloc(0),
    );
  } catch (error) {
    throw failure(
      'SIGNATURE_INVALID',
      'bundle',
      `unreadable certificate or timestamp (${messageOf(error)})`,
      image,
      error,
    );
  }
  const signature = toMessageContent(bundle, entity, artifact, image);
  entity = { ...entity, signature };

  const tlog: TlogResult = options.tLogVerify
    ? verifyTlogEntries(bundle, entity, options)
    : { times: [], integratedTime: undefined, logIndex: undefined };
  const times = [...verifyTimestampAuthorities(entity, options), ...tlog.times];

  let key: KeyObject;
  let identity: CertificateIdentity | undefined;
  const der = leafDer(bundle);
  if (entity.key.$case === 'certificate' && der !== undefined) {
    if (policy.publicKey !== undefined) {
      throw failure(
        'SIGNATURE_INVALID',
        'public key',
        'the policy names a public key but the bundle carries a certificate',
        image,
      );
    }
    if (times.length === 0 && options.tLogVerify) {
      throw failure(
        'SIGNATURE_INVALID',
        'timestamp',
        'no verified signing time (no inclusion promise and no RFC 3161 timestamp)',
        image,
      );
    }
    // Without a log or timestamp the certificate must be valid now, as cosign does with --insecure-ignore-tlog.
    ({ key, identity } = verifySigningCertificate(
      entity.key.certificate,
      der,
      times.length > 0 ? times : [options.now],
      options,
    ));
  } else {
    if (policy.publicKey === undefined) {
      throw failure(
        'SIGNATURE_INVALID',
        'public key',
        'the bundle is signed with a key but the policy names no public key',
        image,
      );
    }
    key = policy.publicKey;
  }

  let signatureValid: boolean;
  try {
    signatureValid = entity.signature.verifySignature(key);
  } catch (error) {
    if (error instanceof SignetError) throw error;
    throw failure(
      'SIGNATURE_INVALID',
      'signature',
      `signature could not be checked (${messageOf(error)})`,
      image,
      error,
    );
  }
  if (!signatureValid)
    throw failure('SIGNATURE_INVALID', 'signature', 'signature does not verify with the signing key', image);

  let dssePayload: SigstoreSigner['dsse'];
  if (bundle.content.$case === 'dsseEnvelope') {
    const envelope = bundle.content.dsseEnvelope;
    if (envelope.signatures.length !== 1) {
      throw failure(
        'SIGNATURE_INVALID',
        'bundle',
        `DSSE envelope has ${envelope.signatures.length} signatures, expected 1`,
        image,
      );
    }
    verifyStatementSubject(envelope.payloadType, envelope.payload, artifact, image);
    dssePayload = { payloadType: envelope.payloadType, payload: new Uint8Array(envelope.payload) };
  }

  if (identity !== undefined) verifyCertificateIdentity(identity, policy, image);

  return {
    subjects: identity?.subjects ?? [],
    issuer: identity?.issuer,
    integratedTime: tlog.integratedTime,
    logIndex: tlog.logIndex,
    verifiedTimes: times,
    keySource: identity === undefined ? 'public-key' : 'certificate',
    dsse: dssePayload,
  };
}

/** Parses `sha256:<hex>` (or sha384 / sha512) into a digest artifact. */
export function toDigestArtifact(digest: string): SigstoreArtifact {
  const match = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(digest);
  const algorithm = match?.[1] as ArtifactDigestAlgorithm | undefined;
  const hex = match?.[2];
  const lengths: Record<ArtifactDigestAlgorithm, number> = { sha256: 64, sha384: 96, sha512: 128 };
  if (algorithm === undefined || hex === undefined || hex.length !== lengths[algorithm]) {
    throw new SignetError('SIGNATURE_INVALID', {
      stage: 'verify',
      reason: `artifact: invalid digest ${digest}`,
    });
  }
  return { $case: 'digest', algorithm, digest: Buffer.from(hex, 'hex') };
}
