import type { CosignTrustPolicy, CosignVerifierConfig, KeyProviderConfig } from '../../config/index.js';
import { SignetError, toSignetError } from '../../errors.js';
import type { VerifierReport } from '../../pipeline/result.types.js';
import type { Descriptor } from '../../registry/index.js';
import type { ArtifactVerifier, ArtifactVerifyInput } from '../verifier.types.js';
import {
  parseCosignPublicKeyDer,
  readCosignPublicKeyFile,
  verifyCosignSignature,
  type CosignPublicKey,
} from './keys.js';
import {
  MAX_SIMPLE_SIGNING_PAYLOAD_BYTES,
  SIMPLE_SIGNING_MEDIA_TYPE,
  parseSimpleSigningPayload,
  verifySimpleSigningPayload,
} from './simple-signing.js';
import { selectCosignTrustPolicy } from './trust-policy.js';

const VERIFIER_TYPE = 'cosign';
/** cosign's layer annotations: the base64 signature over the layer blob, and the Rekor bundle (SET). */
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';
/** Signatures (layers) judged in one `.sig` manifest at most; cosign appends one per `cosign sign`. */
export const MAX_SIGNATURE_LAYERS = 128;
/** A base64 signature longer than this is not an ECDSA, RSA (≤ 8192 bits) or Ed25519 signature. */
const MAX_SIGNATURE_BASE64_CHARS = 4096;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A trust policy with its keys loaded, or the reason signet cannot judge signatures under it. */
interface LoadedPolicy {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly keys: readonly CosignPublicKey[];
  readonly tLogVerify: boolean;
  /** Why signatures under this policy cannot be verified by this build (keyless); they fail closed. */
  readonly unavailable: string | undefined;
}

/** The outcome for one signature layer, as reported in `extensions.signatures`. */
interface SignatureResult {
  readonly signatureDigest: string;
  readonly isSuccess: boolean;
  readonly key?: string;
  readonly keyAlgorithm?: string;
  readonly error?: string;
}

function keysOfProvider(provider: KeyProviderConfig): CosignPublicKey[] {
  const source = `${provider.resource.kind}/${provider.resource.name}`;
  if (provider.publicKeys.length === 0) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: `cosign keys of ${source} (${provider.provider}) are not fetched by signet; use an inline key or a key file`,
    });
  }
  return provider.publicKeys.map((key, index) =>
    parseCosignPublicKeyDer(`${source}#${index}`, new Uint8Array(key.rawData)),
  );
}

function loadPolicy(policy: CosignTrustPolicy<KeyProviderConfig>): LoadedPolicy {
  const keys = policy.keys.flatMap((ref) =>
    ref.$case === 'file' ? [readCosignPublicKeyFile(ref.path)] : keysOfProvider(ref.provider),
  );
  const unavailable =
    policy.keyless !== undefined ? 'keyless verification is not available in this signet build' : undefined;
  return { name: policy.name, scopes: policy.scopes, keys, tLogVerify: policy.tLogVerify, unavailable };
}

/** Ratify's deprecated form: one key file for every repository; Rekor only when `rekorURL` is set. */
function loadPolicies(config: CosignVerifierConfig): LoadedPolicy[] {
  const mode = config.mode;
  if (mode.$case === 'trustPolicies') return mode.trustPolicies.map(loadPolicy);
  if (mode.key === undefined) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason:
        'cosign verifier has neither trustPolicies nor key; keyless verification is not available in this signet build',
    });
  }
  return [
    {
      name: 'default',
      scopes: ['*'],
      keys: [readCosignPublicKeyFile(mode.key)],
      tLogVerify: mode.rekorURL !== undefined,
      unavailable: undefined,
    },
  ];
}

function invalid(reason: string): SignetError {
  return new SignetError('SIGNATURE_INVALID', { stage: 'verify', reason });
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

/** Judges one signature layer; verdicts become a failed result, anything else is rethrown. */
async function verifyLayer(
  layer: Descriptor,
  policy: LoadedPolicy,
  input: ArtifactVerifyInput,
): Promise<SignatureResult> {
  try {
    if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) {
      throw invalid(`layer media type is ${layer.mediaType}, expected ${SIMPLE_SIGNING_MEDIA_TYPE}`);
    }
    const signature = decodeSignature(layer);
    if (layer.size > MAX_SIMPLE_SIGNING_PAYLOAD_BYTES) {
      throw new SignetError('LIMIT_EXCEEDED', {
        stage: 'verify',
        reason: `simple-signing payload of ${layer.size} bytes exceeds ${MAX_SIMPLE_SIGNING_PAYLOAD_BYTES} bytes`,
        details: { limit: 'simpleSigningPayloadBytes', value: MAX_SIMPLE_SIGNING_PAYLOAD_BYTES },
      });
    }
    const payload = await input.fetchBlob(layer);
    const key = policy.keys.find((candidate) => verifyCosignSignature(candidate, payload, signature));
    if (key === undefined) {
      throw invalid(
        `invalid signature: it does not verify with the ${policy.keys.length} key(s) of trust policy ${JSON.stringify(policy.name)}`,
      );
    }
    verifySimpleSigningPayload(parseSimpleSigningPayload(payload), {
      subjectDigest: input.subjectDescriptor.digest,
    });
    if (policy.tLogVerify) {
      throw invalid(
        layer.annotations?.[COSIGN_BUNDLE_ANNOTATION] === undefined
          ? `trust policy ${JSON.stringify(policy.name)} has tLogVerify: true but the signature has no Rekor bundle (${COSIGN_BUNDLE_ANNOTATION}); sign with the transparency log or set tLogVerify: false`
          : `trust policy ${JSON.stringify(policy.name)} has tLogVerify: true but this signet build cannot verify Rekor bundles offline; set tLogVerify: false to verify with keys only`,
      );
    }
    return { signatureDigest: layer.digest, isSuccess: true, key: key.source, keyAlgorithm: key.description };
  } catch (error) {
    const failure = toSignetError(error, 'verify');
    if (failure.kind !== 'verdict') throw failure;
    return { signatureDigest: layer.digest, isSuccess: false, error: failure.reason };
  }
}

function signatureLayers(input: ArtifactVerifyInput): readonly Descriptor[] {
  const manifest = input.artifact.manifest.manifest;
  if (manifest.$case !== 'image')
    throw invalid(
      `signature ${input.artifact.descriptor.digest} is an index, not a cosign signature manifest`,
    );
  if (manifest.layers.length === 0)
    throw invalid(`signature ${input.artifact.descriptor.digest} has no signature layers`);
  if (manifest.layers.length > MAX_SIGNATURE_LAYERS) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      reason: `signature ${input.artifact.descriptor.digest} has ${manifest.layers.length} layers, more than ${MAX_SIGNATURE_LAYERS}`,
      details: { limit: 'cosignSignatureLayers', value: MAX_SIGNATURE_LAYERS },
    });
  }
  return manifest.layers;
}

interface ReportBase {
  readonly verifierName: string;
  readonly input: ArtifactVerifyInput;
}

function toReportBase({ verifierName, input }: ReportBase) {
  return {
    subject: `${input.subject.registry}/${input.subject.repository}@${input.artifact.descriptor.digest}`,
    name: verifierName,
    verifierName,
    type: VERIFIER_TYPE,
    verifierType: VERIFIER_TYPE,
    artifactType: input.artifact.artifactType,
    nestedReports: [],
  };
}

function failedReport(base: ReportBase, error: SignetError, message: string = error.reason): VerifierReport {
  return {
    ...toReportBase(base),
    isSuccess: false,
    message,
    errorReason: error.reason,
    remediation: error.remediation,
    extensions: { code: error.code, stage: error.stage },
  };
}

/** cosign's rule: the artifact verifies when any of its signatures does; otherwise every reason is named. */
function toCosignVerifierReport(
  base: ReportBase,
  policy: LoadedPolicy,
  results: readonly SignatureResult[],
): VerifierReport {
  const extensions = { trustPolicy: policy.name, signatures: results };
  if (results.some((result) => result.isSuccess)) {
    return {
      ...toReportBase(base),
      isSuccess: true,
      message:
        'cosign verification success. valid signatures found. please refer to extensions field for verifications performed.',
      extensions,
    };
  }
  const reasons = results.map((result, index) =>
    results.length === 1
      ? (result.error ?? '')
      : `signature ${index + 1} (${result.signatureDigest}): ${result.error ?? ''}`,
  );
  const reason = `no matching signatures: ${reasons.join('; ')}`;
  return {
    ...toReportBase(base),
    isSuccess: false,
    message: reason,
    errorReason: reason,
    remediation:
      'Sign the image with a key of the trust policy that covers its repository, or add the signing key to that policy.',
    extensions,
  };
}

/**
 * The cosign ArtifactVerifier for one Verifier resource: key-based verification of cosign's `.sig`
 * simple-signing signatures. Keys are loaded once, here; a key that cannot be loaded makes every signature
 * fail with the reason (fail closed) and is shown at load time.
 */
export function createCosignVerifier(config: CosignVerifierConfig): ArtifactVerifier {
  let policies: LoadedPolicy[] | SignetError;
  try {
    policies = loadPolicies(config);
  } catch (error) {
    policies = toSignetError(error, 'config');
  }
  const loaded = policies;
  return {
    name: config.name,
    type: VERIFIER_TYPE,
    artifactTypes: config.artifactTypes,
    ...(loaded instanceof SignetError ? { problem: loaded } : {}),
    async verify(input) {
      const base = { verifierName: config.name, input };
      if (loaded instanceof SignetError) return failedReport(base, loaded);
      const repository = `${input.subject.registry}/${input.subject.repository}`;
      const policy = selectCosignTrustPolicy(loaded, repository);
      if (policy === undefined) {
        return failedReport(
          base,
          new SignetError('NO_APPLICABLE_POLICY', {
            stage: 'verify',
            reason: `no cosign trust policy of verifier ${JSON.stringify(config.name)} has a scope covering ${repository}`,
            remediation:
              'Add a cosign trust policy whose scopes cover the repository, or the global scope "*".',
          }),
        );
      }
      try {
        if (policy.unavailable !== undefined)
          throw invalid(`trust policy ${JSON.stringify(policy.name)}: ${policy.unavailable}`);
        const results: SignatureResult[] = [];
        // One layer at a time: the first valid signature is enough, and blobs are fetched through the shared limiter anyway.
        for (const layer of signatureLayers(input)) {
          const result = await verifyLayer(layer, policy, input);
          results.push(result);
          if (result.isSuccess) break;
        }
        return toCosignVerifierReport(base, policy, results);
      } catch (error) {
        const failure = toSignetError(error, 'verify');
        if (failure.kind !== 'verdict') throw failure;
        return failedReport(base, failure, `no matching signatures: ${failure.reason}`);
      }
    },
  };
}
