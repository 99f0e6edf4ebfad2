import type { VerifierConfig } from '../config/index.js';
import { createCosignVerifier } from './cosign/index.js';
import { createNotationVerifier } from './notation/index.js';
import type { ArtifactVerifier } from './verifier.types.js';

/** The ArtifactVerifiers for a set of Verifier resources. */
export function createArtifactVerifiers(configs: readonly VerifierConfig[]): ArtifactVerifier[] {
  return configs.map(createArtifactVerifier);
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
