import type { AttestationAuthorityConfig } from '../../config/index.js';
import { SignetError, toSignetError } from '../../errors.js';
import type { VerifierReport } from '../../verdict/index.js';
import { ARTIFACT_TYPES, type Descriptor } from '../../registry/index.js';
// cosign's modules one by one, not its index: these need no Sigstore, which cosign/index.js would load.
import { parseCosignPublicKeyDer, verifyCosignSignature, type CosignPublicKey } from '../cosign/keys.js';
import { cosignSignatureLayers, decodeCosignSignature } from '../cosign/signature-layers.js';
import {
  MAX_SIMPLE_SIGNING_PAYLOAD_BYTES,
  SIMPLE_SIGNING_MEDIA_TYPE,
  parseSimpleSigningPayload,
  verifySimpleSigningPayload,
} from '../cosign/simple-signing.js';
import type { ArtifactVerifier, ArtifactVerifyInput } from '../verifier.types.js';

/** The `type` of attestor verifiers and their reports; the pipeline judges these reports as kritis does. */
export const ATTESTOR_VERIFIER_TYPE = 'attestor';

interface AttestorKey {
  readonly keyId: string;
  readonly key: CosignPublicKey;
}

/** One signature layer that attests the subject: which key, over which payload type. */
interface Attestation {
  readonly signatureDigest: string;
  readonly keyId: string;
  readonly keyAlgorithm: string;
  readonly payloadType: string;
}

function invalid(reason: string): SignetError {
  return new SignetError('SIGNATURE_INVALID', { stage: 'verify', reason });
}

function loadKeys(authority: AttestationAuthorityConfig): AttestorKey[] {
  const source = `AttestationAuthority/${authority.resource.name}`;
  return authority.publicKeys.map((publicKey, index) => {
    const keyId = publicKey.keyId ?? `#${index}`;
    return {
      keyId,
      key: parseCosignPublicKeyDer(`${source} key ${keyId}`, new Uint8Array(publicKey.key.rawData)),
    };
  });
}

/** Whether one simple-signing layer is an attestation of the subject by one of `keys`; verdicts are thrown. */
async function verifyLayer(
  layer: Descriptor,
  keys: readonly AttestorKey[],
  input: ArtifactVerifyInput,
): Promise<Attestation> {
  if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE)
    throw invalid(`layer media type is ${layer.mediaType}, expected ${SIMPLE_SIGNING_MEDIA_TYPE}`);
  const signature = decodeCosignSignature(layer);
  if (layer.size > MAX_SIMPLE_SIGNING_PAYLOAD_BYTES) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      reason: `simple-signing payload of ${layer.size} bytes exceeds ${MAX_SIMPLE_SIGNING_PAYLOAD_BYTES} bytes`,
      details: { limit: 'simpleSigningPayloadBytes', value: MAX_SIMPLE_SIGNING_PAYLOAD_BYTES },
    });
  }
  const payload = await input.fetchBlob(layer);
  const signer = keys.find((candidate) => verifyCosignSignature(candidate.key, payload, signature));
  if (signer === undefined)
    throw invalid(`the signature does not verify with any of the ${keys.length} key(s)`);
  const parsed = parseSimpleSigningPayload(payload);
  verifySimpleSigningPayload(parsed, { subjectDigest: input.subjectDescriptor.digest });
  return {
    signatureDigest: layer.digest,
    keyId: signer.keyId,
    keyAlgorithm: signer.key.description,
    payloadType: parsed.type,
  };
}

/**
 * The ArtifactVerifier of one kritis AttestationAuthority: a cosign `.sig` artifact attests the subject when one
 * of its simple-signing layers (`cosign container image signature` or `atomic container signature`) names the
 * subject digest and is signed by one of the authority's keys. Keys that cannot be loaded fail every artifact.
 */
export function createAttestorVerifier(authority: AttestationAuthorityConfig): ArtifactVerifier {
  const name = authority.resource.name;
  let keys: AttestorKey[] | SignetError;
  try {
    keys = loadKeys(authority);
  } catch (error) {
    keys = toSignetError(error, 'config');
  }
  const loaded = keys;

  function toReport(input: ArtifactVerifyInput, outcome: Attestation | SignetError): VerifierReport {
    const base = {
      subject: `${input.subject.registry}/${input.subject.repository}@${input.artifact.descriptor.digest}`,
      name,
      verifierName: name,
      type: ATTESTOR_VERIFIER_TYPE,
      verifierType: ATTESTOR_VERIFIER_TYPE,
      artifactType: input.artifact.artifactType,
      nestedReports: [],
    };
    const authorityFacts = { attestationAuthority: name, noteReference: authority.noteReference };
    if (outcome instanceof SignetError) {
      const message = `not attested by AttestationAuthority ${JSON.stringify(name)}: ${outcome.reason}`;
      return {
        ...base,
        isSuccess: false,
        message,
        errorReason: message,
        remediation: outcome.remediation,
        extensions: { ...authorityFacts, code: outcome.code },
        error: outcome,
      };
    }
    return {
      ...base,
      isSuccess: true,
      message: `attested by AttestationAuthority ${JSON.stringify(name)}`,
      extensions: { ...authorityFacts, ...outcome },
    };
  }

  return {
    name,
    type: ATTESTOR_VERIFIER_TYPE,
    artifactTypes: [ARTIFACT_TYPES.cosignSignature],
    ...(loaded instanceof SignetError ? { problem: loaded } : {}),
    async verify(input) {
      if (loaded instanceof SignetError) return toReport(input, loaded);
      const reasons: string[] = [];
      try {
        const layers = cosignSignatureLayers(input);
        // One layer at a time: the first attestation is enough.
        for (const layer of layers) {
          try {
            return toReport(input, await verifyLayer(layer, loaded, input));
          } catch (error) {
            const failure = toSignetError(error, 'verify');
            if (failure.kind !== 'verdict') throw failure;
            reasons.push(
              layers.length === 1 ? failure.reason : `signature ${layer.digest}: ${failure.reason}`,
            );
          }
        }
        if (reasons.length === 0)
          reasons.push(`signature ${input.artifact.descriptor.digest} has no signature layers`);
        return toReport(input, invalid(reasons.join('; ')));
      } catch (error) {
        const failure = toSignetError(error, 'verify');
        if (failure.kind !== 'verdict') throw failure;
        return toReport(input, failure);
      }
    },
  };
}
