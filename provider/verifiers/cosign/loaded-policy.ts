import type {
  CosignAttestationRule,
  CosignDigestAlgorithm,
  CosignSignedIdentity,
  CosignTrustPolicy,
  CosignVerifierConfig,
  KeyProviderConfig,
} from '../../config/index.js';
import { SignetError } from '../../errors.js';
import { toPredicateTypeUri } from './in-toto.js';
import { parseCosignPublicKeyDer, readCosignPublicKeyFile, type CosignPublicKey } from './keys.js';

/** A trust policy with its keys loaded and defaults applied, or the reason signet cannot judge under it. */
export interface LoadedPolicy {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly keys: readonly CosignPublicKey[];
  readonly tLogVerify: boolean;
  /** Why signatures under this policy cannot be verified by this verifier (keyless); they fail closed. */
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
  return {
    name: policy.name,
    scopes: policy.scopes,
    keys,
    tLogVerify: policy.tLogVerify,
    unavailable:
      policy.keyless !== undefined ? 'keyless verification is not available in this signet build' : undefined,
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
export function loadCosignPolicies(config: CosignVerifierConfig): LoadedPolicy[] {
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
      // Ratify's legacy form consults Rekor only when `rekorURL` is set.
      tLogVerify: mode.rekorURL !== undefined,
      unavailable: undefined,
      hash: 'sha256',
      signedIdentity: undefined,
      count: 1,
      required: true,
      attestationRules: undefined,
    },
  ];
}
