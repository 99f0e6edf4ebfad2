import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyProviderConfig, NotationVerifierConfig } from '../../config/index.js';
import { SignetError, toSignetError } from '../../errors.js';
import type { VerifierReport } from '../../verdict/index.js';
import {
  parseTrustStores,
  type TrustStores,
  type TrustStoreSource,
  type TrustStoreType,
} from '../../trust/index.js';
import type { ArtifactVerifier, ArtifactVerifyInput } from '../verifier.types.js';
import { ENVELOPE_MEDIA_TYPES } from './envelope/index.js';
import { createRevocationChecker } from './revocation/index.js';
import { toNotationVerifierReport } from './report.js';
import { parseTrustPolicyDocument, selectTrustPolicy, type TrustPolicyDocument } from './trust-policy.js';
import { verifyNotationSignature } from './verify.js';

/** Certificate files read from one `verificationCerts` directory at most; more is a configuration error. */
const MAX_CERTIFICATE_FILES = 256;

type StoreFile = TrustStoreSource['files'][number];

function filesOfProviders(providers: readonly KeyProviderConfig[]): StoreFile[] {
  return providers.flatMap((provider) =>
    provider.certificates.map((certificate, index) => ({
      name: `${provider.resource.kind}/${provider.resource.name}#${index}`,
      bytes: new Uint8Array(certificate.rawData),
    })),
  );
}

/** Ratify's `verificationCerts`: certificate files, or directories of them (not recursive). */
async function filesOfPaths(paths: readonly string[]): Promise<StoreFile[]> {
  const files: StoreFile[] = [];
  for (const path of paths) {
    let entries: string[];
    try {
      entries = (await stat(path)).isDirectory()
        ? (await readdir(path)).map((name) => join(path, name))
        : [path];
    } catch {
      continue; // An absent path contributes nothing; an empty store is reported by parseTrustStores.
    }
    for (const entry of entries) {
      if (files.length >= MAX_CERTIFICATE_FILES) {
        throw new SignetError('CONFIG_INVALID', {
          stage: 'config',
          reason: `verificationCerts hold more than ${MAX_CERTIFICATE_FILES} files`,
        });
      }
      if ((await stat(entry)).isFile()) files.push({ name: entry, bytes: await readFile(entry) });
    }
  }
  return files;
}

/**
 * The named trust stores a Verifier's policy refers to. Typed bindings (`ca:name`) serve their type;
 * Ratify's legacy form (`certs: [providers]`) and `verificationCerts` serve every store of that name the
 * trust policy refers to, since Ratify does not type them.
 */
async function buildTrustStores(config: NotationVerifierConfig): Promise<TrustStores> {
  const referenced = new Map<string, { type: TrustStoreType; name: string }>();
  for (const statement of config.trustPolicyDoc.trustPolicies) {
    for (const reference of statement.trustStores ?? []) {
      const [type, name] = reference.split(':', 2);
      if (
        (type === 'ca' || type === 'signingAuthority' || type === 'tsa') &&
        name !== undefined &&
        name !== ''
      ) {
        referenced.set(reference, { type, name });
      }
    }
  }
  const fromPaths = await filesOfPaths(config.verificationCerts);
  const sources: TrustStoreSource[] = [];
  for (const { type, name } of referenced.values()) {
    const bindings = config.verificationCertStores.filter(
      (binding) =>
        binding.storeName === name && (binding.storeType === undefined || binding.storeType === type),
    );
    const files = bindings.length > 0 ? bindings.flatMap((b) => filesOfProviders(b.providers)) : fromPaths;
    if (files.length > 0) sources.push({ type, name, files });
  }
  return parseTrustStores(sources);
}

function failedReport(
  config: NotationVerifierConfig,
  input: ArtifactVerifyInput,
  error: SignetError,
): VerifierReport {
  return {
    subject: `${input.subject.registry}/${input.subject.repository}@${input.artifact.descriptor.digest}`,
    isSuccess: false,
    name: config.name,
    verifierName: config.name,
    type: 'notation',
    verifierType: 'notation',
    message: error.reason,
    errorReason: error.reason,
    remediation: error.remediation,
    artifactType: input.artifact.artifactType,
    nestedReports: [],
    error,
  };
}

/** The envelope layer of a notation signature manifest: exactly one layer, JWS or COSE. */
function envelopeLayer(input: ArtifactVerifyInput) {
  const manifest = input.artifact.manifest.manifest;
  const layer = manifest.$case === 'image' && manifest.layers.length === 1 ? manifest.layers[0] : undefined;
  const known: readonly string[] = Object.values(ENVELOPE_MEDIA_TYPES);
  if (layer === undefined || !known.includes(layer.mediaType)) {
    throw new SignetError('SIGNATURE_INVALID', {
      stage: 'verify',
      reason: `signature ${input.artifact.descriptor.digest} is not a notation signature: it must have exactly one layer of media type ${known.join(' or ')}`,
    });
  }
  return layer;
}

/**
 * The notation ArtifactVerifier for one Verifier resource. Trust stores and the trust policy are built
 * once, here; a configuration notation would reject makes every signature fail with notation's reason.
 */
export async function createNotationVerifier(config: NotationVerifierConfig): Promise<ArtifactVerifier> {
  // A Key Vault provider without material (fetch failed, version disabled) is not a configuration mistake: the
  // Verifier stays in force and fails closed, undecided, until the next refresh brings the certificates back.
  const unavailable = config.verificationCertStores
    .flatMap((binding) => binding.providers)
    .find((provider) => provider.unavailable !== undefined);
  const unavailableError =
    unavailable === undefined
      ? undefined
      : new SignetError('KEY_PROVIDER_UNAVAILABLE', {
          stage: 'verify',
          reason: `${unavailable.resource.kind}/${unavailable.resource.name} has no usable certificates: ${unavailable.unavailable ?? ''}`,
        });
  let policy: { document: TrustPolicyDocument; trustStores: TrustStores } | SignetError;
  try {
    const trustStores = await buildTrustStores(config);
    policy = { document: parseTrustPolicyDocument(config.trustPolicyDoc, { trustStores }), trustStores };
  } catch (error) {
    policy = toSignetError(error, 'config');
  }
  const configured = policy;
  // One checker per Verifier, so its cache of OCSP/CRL answers outlives single requests.
  const revocation = createRevocationChecker();
  return {
    name: config.name,
    type: 'notation',
    artifactTypes: config.artifactTypes,
    ...(configured instanceof SignetError && unavailableError === undefined ? { problem: configured } : {}),
    async verify(input) {
      if (unavailableError !== undefined) throw unavailableError;
      if (configured instanceof SignetError) return failedReport(config, input, configured);
      const subjectReference = `${input.subject.registry}/${input.subject.repository}@${input.subjectDescriptor.digest}`;
      try {
        const statement = selectTrustPolicy(configured.document, subjectReference);
        const layer = envelopeLayer(input);
        const bytes = await input.fetchBlob(layer, 'notationEnvelopeBytes');
        const outcome = await verifyNotationSignature({
          subject: { reference: subjectReference, descriptor: input.subjectDescriptor },
          envelope: { mediaType: layer.mediaType, bytes },
          statement,
          trustStores: configured.trustStores,
          now: input.now,
          revocation,
          signal: input.signal,
        });
        // A failure we could not decide (revocation responders unreachable) must not be pinned as a verdict.
        if (!outcome.isSuccess && outcome.error?.kind === 'inconclusive') throw outcome.error;
        return toNotationVerifierReport(outcome, {
          verifierName: config.name,
          subject: `${input.subject.registry}/${input.subject.repository}@${input.artifact.descriptor.digest}`,
        });
      } catch (error) {
        const failure = toSignetError(error, 'verify');
        if (failure.kind !== 'verdict') throw failure;
        return failedReport(config, input, failure);
      }
    },
  };
}
