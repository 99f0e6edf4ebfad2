import { SignetError, toSignetError, type ErrorCode } from '../../errors.js';
import type { Descriptor } from '../../registry/index.js';
import type { ArtifactVerifyInput } from '../verifier.types.js';
import { findConditionFailure } from './attestation-conditions.js';
import {
  MAX_SIGSTORE_BUNDLE_BYTES,
  toDigestArtifact,
  verifyParsedSigstoreBundle,
  type SigstoreSigner,
  type SigstoreTrustMaterial,
} from '../sigstore/index.js';
import { parseCosignBundle, toKeyedEnvelope, type CosignBundle } from './bundle.js';
import { SIGSTORE_BUNDLE_MEDIA_TYPES } from './policy-terms.js';
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
import {
  COSIGN_REKOR_BUNDLE_ANNOTATION as COSIGN_BUNDLE_ANNOTATION,
  verifyCosignKeyedLayerLog,
  verifyCosignKeylessAttestation,
  verifyCosignKeylessLayer,
} from './keyless.js';
import { verifyCosignSignature, type CosignPublicKey } from './keys.js';
import type { LoadedKeyless, LoadedPolicy } from './loaded-policy.js';
import {
  MAX_SIMPLE_SIGNING_PAYLOAD_BYTES,
  SIMPLE_SIGNING_MEDIA_TYPE,
  parseSimpleSigningPayload,
  verifySimpleSigningPayload,
} from './simple-signing.js';
import { COSIGN_SIGNATURE_ANNOTATION, decodeCosignSignature } from './signature-layers.js';

/** cosign's layer annotations: the Rekor bundle (SET, defined beside the keyless checks) and the base64 signature. */
export { COSIGN_BUNDLE_ANNOTATION };
export { COSIGN_SIGNATURE_ANNOTATION };

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
  /** Keyless: the Fulcio certificate's subjects (email / URI) and OIDC issuer. */
  readonly identity?: string;
  readonly issuer?: string;
  /** When the transparency log was checked: the Rekor entry's index and integrated time. */
  readonly logIndex?: string;
  readonly integratedTime?: string;
  readonly error?: string;
  /** The failure's stable code (CERT_UNTRUSTED, IDENTITY_MISMATCH…), beside its reason. */
  readonly code?: ErrorCode;
}

/** Who signed: a policy key, or a Fulcio certificate's identity (keyless). */
interface Signer {
  readonly source: string;
  readonly description: string;
}

interface Verified {
  readonly key: Signer;
  readonly predicate?: PredicateSummary;
  /** What the Sigstore checks established (keyless identity, log entry), when they ran. */
  readonly sigstore?: SigstoreSigner;
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

/**
 * Ratify's default `tLogVerify: true` for a key-signed entry: its Rekor entry is verified offline with the
 * policy's trusted root (`verify`); without an entry, a trusted root or a way to check it, it fails closed.
 */
function checkTransparencyLog(
  policy: LoadedPolicy,
  hasEntry: boolean,
  entryName: string,
  verify: ((trustMaterial: SigstoreTrustMaterial) => SigstoreSigner) | undefined,
): SigstoreSigner | undefined {
  if (!policy.tLogVerify) return undefined;
  if (!hasEntry)
    throw invalid(
      `trust policy ${quoted(policy.name)} has tLogVerify: true but the signature has no Rekor bundle (${entryName}); sign with the transparency log or set tLogVerify: false`,
    );
  if (policy.trustMaterial === undefined)
    throw invalid(
      `trust policy ${quoted(policy.name)} has tLogVerify: true but no trustedRootPath with the Rekor key to verify the signature's Rekor bundle with; set trustedRootPath or tLogVerify: false`,
    );
  if (verify === undefined)
    throw invalid(
      `trust policy ${quoted(policy.name)} has tLogVerify: true but this signet build cannot verify the Rekor entries of ${entryName} annotations on .att attestations; set tLogVerify: false to verify with keys only`,
    );
  return verify(policy.trustMaterial);
}

/** A keyless policy's identity rules and trusted root (a policy without a root never gets here: `unavailable`). */
function keylessTrust(
  policy: LoadedPolicy,
): { readonly keyless: LoadedKeyless; readonly trustMaterial: SigstoreTrustMaterial } | undefined {
  if (policy.keyless === undefined) return undefined;
  if (policy.trustMaterial === undefined)
    throw invalid(`trust policy ${quoted(policy.name)} is keyless but has no keyless.trustedRootPath`);
  return { keyless: policy.keyless, trustMaterial: policy.trustMaterial };
}

/** A keyless signer as reported: the certificate's identity stands where a key would. */
function toKeylessSigner(signer: SigstoreSigner): Signer {
  const identity = signer.subjects.join(', ');
  return {
    source: `keyless:${identity}`,
    description: `Fulcio certificate (issuer ${signer.issuer ?? 'unknown'})`,
  };
}

function expectedDockerReference(policy: LoadedPolicy, input: ArtifactVerifyInput): string | undefined {
  const identity = policy.signedIdentity;
  if (identity === undefined) return undefined;
  return identity.$case === 'matchRepository'
    ? `${input.subject.registry}/${input.subject.repository}`
    : identity.dockerRepository;
}

/** The payload's claims: docker-manifest-digest is the subject, and the docker-reference when configured. */
function verifyPayloadClaims(payload: Uint8Array, policy: LoadedPolicy, input: ArtifactVerifyInput): void {
  const dockerReference = expectedDockerReference(policy, input);
  verifySimpleSigningPayload(parseSimpleSigningPayload(payload), {
    subjectDigest: input.subjectDescriptor.digest,
    ...(dockerReference === undefined ? {} : { dockerReference }),
  });
}

async function verifySimpleSigningLayer(
  layer: Descriptor,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
): Promise<Verified> {
  checkMediaType(layer, [SIMPLE_SIGNING_MEDIA_TYPE]);
  const signature = decodeCosignSignature(layer);
  checkSize(layer, MAX_SIMPLE_SIGNING_PAYLOAD_BYTES, 'simple-signing payload', 'simpleSigningPayloadBytes');
  const payload = await input.fetchBlob(layer);
  const annotations = layer.annotations ?? {};
  const keyless = keylessTrust(policy);
  if (keyless !== undefined) {
    // cosign's keyless `.sig` layer: certificate, SCT, SET and timestamp annotations checked as a bundle.
    const sigstore = verifyCosignKeylessLayer({
      payload,
      signature,
      annotations,
      policy: keyless.keyless.policy,
      trustMaterial: keyless.trustMaterial,
      tLogVerify: policy.tLogVerify,
      ctLogVerify: keyless.keyless.ctLogVerify,
      now: input.now,
    });
    verifyPayloadClaims(payload, policy, input);
    return { key: toKeylessSigner(sigstore), sigstore };
  }
  const key = policy.keys.find((candidate) =>
    verifyCosignSignature(candidate, payload, signature, policy.hash),
  );
  if (key === undefined) throw noKeyVerifies(policy);
  verifyPayloadClaims(payload, policy, input);
  const sigstore = checkTransparencyLog(
    policy,
    annotations[COSIGN_BUNDLE_ANNOTATION] !== undefined,
    COSIGN_BUNDLE_ANNOTATION,
    (trustMaterial) =>
      verifyCosignKeyedLayerLog({
        payload,
        signature,
        annotations,
        publicKey: key.key,
        trustMaterial,
        now: input.now,
      }),
  );
  return { key, ...(sigstore === undefined ? {} : { sigstore }) };
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
 * What a verified in-toto statement naming the subject is: a cosign v3 signature (predicate
 * `https://sigstore.dev/cosign/sign/v1`), or an attestation, which must be of a type the policy lists (when it
 * lists any) and meet the conditions of a rule of that type; its predicate summary is reported.
 */
function judgeStatement(
  statement: InTotoStatement,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
): PredicateSummary | undefined {
  verifyStatementSubject(statement, input.subjectDescriptor.digest);
  if (statement.predicateType === COSIGN_SIGN_PREDICATE_TYPE) return undefined;
  verifyAttestationRules(statement, policy);
  return toPredicateSummary(statement);
}

/** A DSSE envelope signed by a policy key whose in-toto statement names the subject. */
function verifyEnvelope(
  envelope: DsseEnvelope,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
  options: InTotoParseOptions,
): Verified & { readonly key: CosignPublicKey } {
  const key = findDsseSigner(envelope, policy.keys, policy.hash);
  if (key === undefined) throw noKeyVerifies(policy);
  const predicate = judgeStatement(
    parseInTotoStatement(envelope.payloadType, envelope.payload, options),
    policy,
    input,
  );
  return { key, ...(predicate === undefined ? {} : { predicate }) };
}

async function verifyAttestationLayer(
  layer: Descriptor,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
): Promise<Verified> {
  checkMediaType(layer, [DSSE_ENVELOPE_MEDIA_TYPE]);
  checkSize(layer, MAX_DSSE_ENVELOPE_BYTES, 'DSSE envelope', 'dsseEnvelopeBytes');
  const keyless = keylessTrust(policy);
  if (keyless !== undefined) {
    const sigstore = verifyCosignKeylessAttestation({
      envelope: parseDsseEnvelope(await input.fetchBlob(layer)),
      subjectDigest: input.subjectDescriptor.digest,
      annotations: layer.annotations ?? {},
      policy: keyless.keyless.policy,
      trustMaterial: keyless.trustMaterial,
      tLogVerify: policy.tLogVerify,
      ctLogVerify: keyless.keyless.ctLogVerify,
      now: input.now,
    });
    return verifiedKeyless(sigstore, policy, input, {});
  }
  const verified = verifyEnvelope(parseDsseEnvelope(await input.fetchBlob(layer)), policy, input, {});
  checkTransparencyLog(
    policy,
    layer.annotations?.[COSIGN_BUNDLE_ANNOTATION] !== undefined,
    COSIGN_BUNDLE_ANNOTATION,
    undefined,
  );
  return verified;
}

/** A keyless signer and, for DSSE, what its verified statement is (signature or attestation under the rules). */
function verifiedKeyless(
  sigstore: SigstoreSigner,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
  options: InTotoParseOptions,
): Verified {
  const predicate =
    sigstore.dsse === undefined
      ? undefined
      : judgeStatement(
          parseInTotoStatement(sigstore.dsse.payloadType, sigstore.dsse.payload, options),
          policy,
          input,
        );
  return { key: toKeylessSigner(sigstore), sigstore, ...(predicate === undefined ? {} : { predicate }) };
}

/** A keyless bundle (cosign v3): Fulcio chain, SCT, log, identity, and its binding to the subject digest. */
function verifyKeylessBundle(
  bundle: CosignBundle,
  keyless: NonNullable<ReturnType<typeof keylessTrust>>,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
): Verified {
  const sigstore = verifyParsedSigstoreBundle(bundle.bundle, {
    artifact: toDigestArtifact(input.subjectDescriptor.digest),
    policy: keyless.keyless.policy,
    tLogVerify: policy.tLogVerify,
    ctLogVerify: keyless.keyless.ctLogVerify,
    trustMaterial: keyless.trustMaterial,
    now: input.now,
  });
  return verifiedKeyless(sigstore, policy, input, { objectPredicate: true });
}

async function verifyBundleLayer(
  layer: Descriptor,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
): Promise<Verified> {
  checkMediaType(layer, SIGSTORE_BUNDLE_MEDIA_TYPES);
  checkSize(layer, MAX_SIGSTORE_BUNDLE_BYTES, 'Sigstore bundle', 'sigstoreBundleBytes');
  const bundle = parseCosignBundle(await input.fetchBlob(layer));
  const keyless = keylessTrust(policy);
  if (keyless !== undefined) return verifyKeylessBundle(bundle, keyless, policy, input);
  const verified = verifyEnvelope(toKeyedEnvelope(bundle), policy, input, { objectPredicate: true });
  const sigstore = checkTransparencyLog(
    policy,
    bundle.bundle.verificationMaterial.tlogEntries.length > 0,
    'verificationMaterial.tlogEntries',
    (trustMaterial) =>
      verifyParsedSigstoreBundle(bundle.bundle, {
        artifact: toDigestArtifact(input.subjectDescriptor.digest),
        policy: { publicKey: verified.key.key },
        tLogVerify: true,
        ctLogVerify: false,
        trustMaterial,
        now: input.now,
      }),
  );
  return { ...verified, ...(sigstore === undefined ? {} : { sigstore }) };
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

/** What the Sigstore checks established, for `extensions.signatures[]`. */
function toSigstoreFacts(signer: SigstoreSigner): Partial<EntryResult> {
  return {
    ...(signer.keySource === 'certificate'
      ? {
          identity: signer.subjects.join(', '),
          ...(signer.issuer === undefined ? {} : { issuer: signer.issuer }),
        }
      : {}),
    ...(signer.logIndex === undefined ? {} : { logIndex: signer.logIndex }),
    ...(signer.integratedTime === undefined ? {} : { integratedTime: signer.integratedTime.toISOString() }),
  };
}

/** Judges one signature layer; a verdict becomes a failed result, anything else (registry, timeout) is rethrown. */
export async function judgeEntry(
  kind: EntryKind,
  layer: Descriptor,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
): Promise<EntryResult> {
  try {
    const { key, predicate, sigstore } = await VERIFY_ENTRY[kind](layer, policy, input);
    return {
      signatureDigest: layer.digest,
      isSuccess: true,
      key: key.source,
      keyAlgorithm: key.description,
      ...(predicate === undefined ? {} : { predicate }),
      ...(sigstore === undefined ? {} : toSigstoreFacts(sigstore)),
    };
  } catch (error) {
    const failure = toSignetError(error, 'verify');
    if (failure.kind !== 'verdict') throw failure;
    return { signatureDigest: layer.digest, isSuccess: false, error: failure.reason, code: failure.code };
  }
}
