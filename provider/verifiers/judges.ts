import type { ArtifactVerifier } from './verifier.types.js';

/** Whether `verifier` judges artifacts of `artifactType`. */
export function judges(verifier: ArtifactVerifier, artifactType: string): boolean {
  return verifier.artifactTypes.some((type) => type === '*' || type === artifactType);
}
