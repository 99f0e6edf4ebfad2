import type {
  CosignAttestationRule,
  CosignDigestAlgorithm,
  CosignKeyless,
  CosignSignedIdentity,
  CosignTrustPolicy,
  CosignVerifierConfig,
  KeyProviderConfig,
} from '../../config/index.js';
import { SignetError } from '../../errors.js';
import {
  readSigstoreTrustedRootFile,
  type SigstorePolicy,
  type SigstoreTrustMaterial,
} from '../sigstore/index.js';
import { toPredicateTypeUri } from './in-toto.js';
import { parseCosignPublicKeyDer, readCosignPublicKeyFile, type CosignPublicKey } from './keys.js';

/** A trust policy with its keys loaded and defaults applied, or the reason signet cannot judge under it. */
export interface LoadedPolicy {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly keys: readonly CosignPublicKey[];
  readonly tLogVerify: boolean;
  /** Who may sign keylessly (Fulcio certificate identity and issuer); undefined for key-based policies. */
  readonly keyless: LoadedKeyless | undefined;
  /** The trusted root (Fulcio CAs, Rekor and CT log keys, TSAs), read once per snapshot; undefined when not configured. */
  readonly trustMaterial: SigstoreTrustMaterial | undefined;
  /** Why signatures under this policy cannot be verified (keyless without a trusted root); they fail closed. */
  readonly unavailable: string | undefined;
  readonly hash: CosignDigestAlgorithm;
  readonly signedIdentity: CosignSignedIdentity | undefined;
  /** Distinct keys whose valid signatures an artifact needs (Kyverno's attestor count; 1 = any key). */
  readonly count: number;
  /** false: a failure is reported but does not deny (Kyverno's `required: false`). */
  readonly required: boolean;
  /** Attestation rules with predicate types as URIs; an attestation must satisfy one of its type. Undefined accepts any. */
  readonly attestationRules: readonly CosignAttestationRule[] | undefined;
}

export interface LoadedKeyless {
  readonly policy: SigstorePolicy;
  readonly ctLogVerify: boolean;
}

/** Trusted roots by path, so policies sharing one read it once. */
type TrustedRoots = Map<string, SigstoreTrustMaterial>;

async function trustedRoot(
  roots: TrustedRoots,
  path: string | undefined,
): Promise<SigstoreTrustMaterial | undefined> {
  if (path === undefined) return undefined;
  const known = roots.get(path);
  if (known !== undefined) return known;
  const material = await readSigstoreTrustedRootFile(path);
  roots.set(path, material);
  return material;
}

function toLoadedKeyless(keyless: CosignKeyless): LoadedKeyless {
  const policy: SigstorePolicy = {
    ...(keyless.certificateIdentity === undefined
      ? {}
      : { certificateIdentity: keyless.certificateIdentity }),
    ...(keyless.certificateIdentityRegExp === undefined
      ? {}
      : { certificateIdentityRegExp: keyless.certificateIdentityRegExp }),
    ...(keyless.certificateOIDCIssuer === undefined
      ? {}
      : { certificateOIDCIssuer: keyless.certificateOIDCIssuer }),
    ...(keyless.certificateOIDCIssuerRegExp === undefined
      ? {}
      : { certificateOIDCIssuerRegExp: keyless.certificateOIDCIssuerRegExp }),
  };
  return { policy, ctLogVerify: keyless.ctLogVerify };
}

function keysOfProvider(provider: KeyProviderConfig): CosignPublicKey[] {
  const source = `${provider.resource.kind}/${provider.resource.name}`;
  if (provider.publicKeys.length === 0) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: `${source} (${provider.provider}) holds no public keys for cosign`,
    });
  }
  return provider.publicKeys.map((key, index) =>
    parseCosignPublicKeyDer(`${source}#${index}`, new Uint8Array(key.rawData)),
  );
}

/** Why a key provider of the policy holds no keys now (a Key Vault fetch failed): its signatures fail closed. */
function unavailableProvider(policy: CosignTrustPolicy<KeyProviderConfig>): string | undefined {
  for (const ref of policy.keys) {
    if (ref.$case === 'provider' && ref.provider.unavailable !== undefined)
      return `${ref.provider.resource.kind}/${ref.provider.resource.name} has no usable keys: ${ref.provider.unavailable}`;
  }
  return undefined;
}

/** The policy's keys in the order it lists them; the first that cannot be loaded is thrown. */
async function keysOfPolicy(policy: CosignTrustPolicy<KeyProviderConfig>): Promise<CosignPublicKey[]> {
  const keys: CosignPublicKey[] = [];
  for (const ref of policy.keys) {
    if (ref.$case === 'file') keys.push(await readCosignPublicKeyFile(ref.path));
    else keys.push(...keysOfProvider(ref.provider));
  }
  return keys;
}

async function loadPolicy(
  policy: CosignTrustPolicy<KeyProviderConfig>,
  roots: TrustedRoots,
): Promise<LoadedPolicy> {
  const providerUnavailable = unavailableProvider(policy);
  const keys = providerUnavailable !== undefined ? [] : await keysOfPolicy(policy);
  const trustMaterial = await trustedRoot(roots, policy.keyless?.trustedRootPath ?? policy.trustedRootPath);
  return {
    name: policy.name,
    scopes: policy.scopes,
    keys,
    tLogVerify: policy.tLogVerify,
    keyless: policy.keyless === undefined ? undefined : toLoadedKeyless(policy.keyless),
    trustMaterial,
    unavailable:
      providerUnavailable ??
      (policy.keyless !== undefined && policy.keyless.trustedRootPath === undefined
        ? 'keyless verification needs keyless.trustedRootPath (a trusted_root.json with the Fulcio CA and Rekor keys); signet does not fetch the public-good Sigstore TUF root'
        : undefined),
    hash: policy.signatureDigestAlgorithm ?? 'sha256',
    signedIdentity: policy.signedIdentity,
    count: policy.count ?? 1,
    required: policy.required ?? true,
    attestationRules: policy.attestations?.map((rule) => ({
      ...rule,
      predicateType: toPredicateTypeUri(rule.predicateType),
    })),
  };
}

/** Every trust policy of a cosign Verifier; Ratify's legacy form is one key file for every repository. */
export async function loadCosignPolicies(config: CosignVerifierConfig): Promise<LoadedPolicy[]> {
  const mode = config.mode;
  const roots: TrustedRoots = new Map();
  if (mode.$case === 'trustPolicies') {
    // One after another: policies sharing a trusted root read it once (`roots`), and the first failure is reported.
    const loaded: LoadedPolicy[] = [];
    for (const policy of mode.trustPolicies) loaded.push(await loadPolicy(policy, roots));
    return loaded;
  }
  if (mode.key === undefined) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason:
        'cosign verifier has neither trustPolicies nor key; keyless verification needs trustPolicies with keyless.trustedRootPath',
    });
  }
  return [
    {
      name: 'default',
      scopes: ['*'],
      keys: [await readCosignPublicKeyFile(mode.key)],
      // Ratify's legacy form consults Rekor only when `rekorURL` is set.
      tLogVerify: mode.rekorURL !== undefined,
      keyless: undefined,
      trustMaterial: undefined,
      unavailable: undefined,
      hash: 'sha256',
      signedIdentity: undefined,
      count: 1,
      required: true,
      attestationRules: undefined,
    },
  ];
}
