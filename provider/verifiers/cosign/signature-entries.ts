import { SignetError, toSignetError } from '../../errors.js';
import type { Descriptor } from '../../registry/index.js';
import type { ArtifactVerifyInput } from '../verifier.types.js';
import { findConditionFailure } from './attestation-conditions.js';
import { MAX_SIGSTORE_BUNDLE_BYTES, SIGSTORE_BUNDLE_MEDIA_TYPES, parseSigstoreBundle } from './bundle.js';
import {
  DSSE_ENVELOPE_MEDIA_TYPE,
  MAX_DSSE_ENVELOPE_BYTES,
  findDsseSigner,
  parseDsseEnvelope,
  type DsseEnvelope,
} from './dsse.js';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  parseInTotoStatement,
  toPredicateSummary,
  type InTotoParseOptions,
  type InTotoStatement,
  verifyStatementSubject,
  type PredicateSummary,
} from './in-toto.js';
import { verifyCosignSignature, type CosignPublicKey } from './keys.js';
import type { LoadedPolicy } from './loaded-policy.js';
import {
  MAX_SIMPLE_SIGNING_PAYLOAD_BYTES,
  SIMPLE_SIGNING_MEDIA_TYPE,
  parseSimpleSigningPayload,
  verifySimpleSigningPayload,
} from './simple-signing.js';

/** cosign's layer annotations: the base64 signature over the layer blob, and the Rekor bundle (SET). */
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';
/** A base64 signature longer than this is not an ECDSA, RSA (≤ 8192 bits) or Ed25519 signature. */
const MAX_SIGNATURE_BASE64_CHARS = 4096;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * How a signature artifact carries its signatures: `.sig` simple-signing layers, `.att` DSSE layers
 * (`cosign attest`), or Sigstore bundles (cosign v3 signatures and attestations, one per referrer).
 */
export type EntryKind = 'simpleSigning' | 'attestation' | 'bundle';

/** The outcome for one signature (a layer), as reported in `extensions.signatures`. */
export interface EntryResult {
  readonly signatureDigest: string;
  readonly isSuccess: boolean;
  readonly key?: string;
  readonly keyAlgorithm?: string;
  /** For attestations: what the verified statement's predicate is. */
  readonly predicate?: PredicateSummary;
  readonly error?: string;
}

interface Verified {
  readonly key: CosignPublicKey;
  readonly predicate?: PredicateSummary;
}

function invalid(reason: string): SignetError {
  return new SignetError('SIGNATURE_INVALID', { stage: 'verify', reason });
}

function quoted(name: string): string {
  return JSON.stringify(name);
}

function checkSize(layer: Descriptor, limit: number, what: string, limitName: string): void {
  if (layer.size > limit) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      reason: `${what} of ${layer.size} bytes exceeds ${limit} bytes`,
      details: { limit: limitName, value: limit },
    });
  }
}

function checkMediaType(layer: Descriptor, expected: readonly string[]): void {
  if (!expected.includes(layer.mediaType))
    throw invalid(`layer media type is ${layer.mediaType}, expected ${expected.join(' or ')}`);
}

function noKeyVerifies(policy: LoadedPolicy): SignetError {
  return invalid(
    `invalid signature: it does not verify with the ${policy.keys.length} key(s) of trust policy ${quoted(policy.name)}`,
  );
}

/** Ratify's default `tLogVerify: true` needs a Rekor entry; this verifier cannot check one offline, so it fails closed. */
function checkTransparencyLog(policy: LoadedPolicy, hasEntry: boolean, entryName: string): void {
  if (!policy.tLogVerify) return;
  throw invalid(
    hasEntry
      ? `trust policy ${quoted(policy.name)} has tLogVerify: true but this signet build cannot verify Rekor bundles offline; set tLogVerify: false to verify with keys only`
      : `trust policy ${quoted(policy.name)} has tLogVerify: true but the signature has no Rekor bundle (${entryName}); sign with the transparency log or set tLogVerify: false`,
  );
}

function decodeSignature(layer: Descriptor): Uint8Array {
  const encoded = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
  if (encoded === undefined || encoded === '')
    throw invalid(`layer has no ${COSIGN_SIGNATURE_ANNOTATION} annotation`);
  if (encoded.length > MAX_SIGNATURE_BASE64_CHARS)
    throw invalid(`signature annotation is longer than ${MAX_SIGNATURE_BASE64_CHARS} characters`);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0)
    throw invalid('signature annotation is not valid base64');
  return Buffer.from(encoded, 'base64');
}

function expectedDockerReference(policy: LoadedPolicy, input: ArtifactVerifyInput): string | undefined {
  const identity = policy.signedIdentity;
  if (identity === undefined) return undefined;
  return identity.$case === 'matchRepository'
    ? `${input.subject.registry}/${input.subject.repository}`
    : identity.dockerRepository;
}

async function verifySimpleSigningLayer(
  layer: Descriptor,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
): Promise<Verified> {
  checkMediaType(layer, [SIMPLE_SIGNING_MEDIA_TYPE]);
  const signature = decodeSignature(layer);
  checkSize(layer, MAX_SIMPLE_SIGNING_PAYLOAD_BYTES, 'simple-signing payload', 'simpleSigningPayloadBytes');
  const payload = await input.fetchBlob(layer);
  const key = policy.keys.find((candidate) =>
    verifyCosignSignature(candidate, payload, signature, policy.hash),
  );
  if (key === undefined) throw noKeyVerifies(policy);
  const dockerReference = expectedDockerReference(policy, input);
  verifySimpleSigningPayload(parseSimpleSigningPayload(payload), {
    subjectDigest: input.subjectDescriptor.digest,
    ...(dockerReference === undefined ? {} : { dockerReference }),
  });
  checkTransparencyLog(
    policy,
    layer.annotations?.[COSIGN_BUNDLE_ANNOTATION] !== undefined,
    COSIGN_BUNDLE_ANNOTATION,
  );
  return { key };
}

/** The statement must be of a type the policy lists (when it lists any) and satisfy one rule of that type. */
function verifyAttestationRules(statement: InTotoStatement, policy: LoadedPolicy): void {
  const rules = policy.attestationRules;
  if (rules === undefined) return;
  const ofType = rules.filter((rule) => rule.predicateType === statement.predicateType);
  if (ofType.length === 0) {
    const accepted = [...new Set(rules.map((rule) => rule.predicateType))];
    throw invalid(
      `attestation predicate type ${statement.predicateType} is not one trust policy ${quoted(policy.name)} accepts (${accepted.join(', ')})`,
    );
  }
  const failures = ofType.map((rule) => findConditionFailure(statement.predicate, rule.conditions));
  if (failures.every((failure) => failure !== undefined)) {
    throw invalid(
      `attestation ${statement.predicateType} does not meet the conditions of trust policy ${quoted(policy.name)}: ${failures[0] ?? ''}`,
    );
  }
}

/**
 * A DSSE envelope signed by a policy key whose in-toto statement names the subject. A cosign v3 signature
 * (predicate `https://sigstore.dev/cosign/sign/v1`) is a signature; any other predicate is an attestation,
 * which must be of a type the policy lists (when it lists any) and meet the conditions of a rule of that type.
 */
function verifyEnvelope(
  envelope: DsseEnvelope,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
  options: InTotoParseOptions,
): Verified {
  const key = findDsseSigner(envelope, policy.keys, policy.hash);
  if (key === undefined) throw noKeyVerifies(policy);
  const statement = parseInTotoStatement(envelope.payloadType, envelope.payload, options);
  verifyStatementSubject(statement, input.subjectDescriptor.digest);
  if (statement.predicateType === COSIGN_SIGN_PREDICATE_TYPE) return { key };
  verifyAttestationRules(statement, policy);
  return { key, predicate: toPredicateSummary(statement) };
}

async function verifyAttestationLayer(
  layer: Descriptor,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
): Promise<Verified> {
  checkMediaType(layer, [DSSE_ENVELOPE_MEDIA_TYPE]);
  checkSize(layer, MAX_DSSE_ENVELOPE_BYTES, 'DSSE envelope', 'dsseEnvelopeBytes');
  const verified = verifyEnvelope(parseDsseEnvelope(await input.fetchBlob(layer)), policy, input, {});
  checkTransparencyLog(
    policy,
    layer.annotations?.[COSIGN_BUNDLE_ANNOTATION] !== undefined,
    COSIGN_BUNDLE_ANNOTATION,
  );
  return verified;
}

async function verifyBundleLayer(
  layer: Descriptor,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
): Promise<Verified> {
  checkMediaType(layer, SIGSTORE_BUNDLE_MEDIA_TYPES);
  checkSize(layer, MAX_SIGSTORE_BUNDLE_BYTES, 'Sigstore bundle', 'sigstoreBundleBytes');
  const bundle = parseSigstoreBundle(await input.fetchBlob(layer));
  const verified = verifyEnvelope(bundle.envelope, policy, input, { objectPredicate: true });
  checkTransparencyLog(policy, bundle.tlogEntries > 0, 'verificationMaterial.tlogEntries');
  return verified;
}

const VERIFY_ENTRY: Readonly<
  Record<
    EntryKind,
    (layer: Descriptor, policy: LoadedPolicy, input: ArtifactVerifyInput) => Promise<Verified>
  >
> = {
  simpleSigning: verifySimpleSigningLayer,
  attestation: verifyAttestationLayer,
  bundle: verifyBundleLayer,
};

/** Judges one signature layer; a verdict becomes a failed result, anything else (registry, timeout) is rethrown. */
export async function judgeEntry(
  kind: EntryKind,
  layer: Descriptor,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
): Promise<EntryResult> {
  try {
    const { key, predicate } = await VERIFY_ENTRY[kind](layer, policy, input);
    return {
      signatureDigest: layer.digest,
      isSuccess: true,
      key: key.source,
      keyAlgorithm: key.description,
      ...(predicate === undefined ? {} : { predicate }),
    };
  } catch (error) {
    const failure = toSignetError(error, 'verify');
    if (failure.kind !== 'verdict') throw failure;
    return { signatureDigest: layer.digest, isSuccess: false, error: failure.reason };
  }
}
