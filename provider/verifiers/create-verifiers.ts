import type { AttestationPolicyConfig, VerifierConfig } from '../config/index.js';
import { attestingAuthorities, createAttestorVerifier } from './attestor/index.js';
import { createCosignVerifier } from './cosign/index.js';
import { createNotationVerifier } from './notation/index.js';
import type { ArtifactVerifier } from './verifier.types.js';

/** The ArtifactVerifiers for a set of Verifier resources. */
export function createArtifactVerifiers(configs: readonly VerifierConfig[]): ArtifactVerifier[] {
  return configs.map(createArtifactVerifier);
}

/** One attestor verifier per AttestationAuthority named by kritis GenericAttestationPolicies. */
export function createAttestorVerifiers(policies: readonly AttestationPolicyConfig[]): ArtifactVerifier[] {
  return attestingAuthorities(policies).map(createAttestorVerifier);
}

function createArtifactVerifier(config: VerifierConfig): ArtifactVerifier {
  switch (config.type) {
    case 'notation':
      return createNotationVerifier(config);
    case 'cosign':
      return createCosignVerifier(config);
  }
}

/** Whether `verifier` judges artifacts of `artifactType`. */
export function judges(verifier: ArtifactVerifier, artifactType: string): boolean {
  return verifier.artifactTypes.some((type) => type === '*' || type === artifactType);
}
