import type { VerifierConfig } from '../config/index.js';
import type { VerifierReport } from '../pipeline/result.types.js';
import { createNotationVerifier } from './notation/index.js';
import type { ArtifactVerifier, ArtifactVerifyInput } from './verifier.types.js';

/** The ArtifactVerifiers for a set of Verifier resources. */
export function createArtifactVerifiers(configs: readonly VerifierConfig[]): ArtifactVerifier[] {
  return configs.map(createArtifactVerifier);
}

function createArtifactVerifier(config: VerifierConfig): ArtifactVerifier {
  switch (config.type) {
    case 'notation':
      return createNotationVerifier(config);
    case 'cosign':
      // Not implemented yet: it still judges its artifacts, failing each, so that a signature nobody can
      // check never counts as verified (fail closed) and the report says why.
      return unavailableVerifier(config);
  }
}

function unavailableVerifier(config: VerifierConfig): ArtifactVerifier {
  return {
    name: config.name,
    type: config.type,
    artifactTypes: config.artifactTypes,
    verify(input: ArtifactVerifyInput): Promise<VerifierReport> {
      return Promise.resolve({
        subject: `${input.subject.registry}/${input.subject.repository}@${input.artifact.descriptor.digest}`,
        isSuccess: false,
        name: config.name,
        verifierName: config.name,
        type: config.type,
        verifierType: config.type,
        message: `verifier type ${config.type} is not available in this signet build`,
        errorReason: 'verifier unavailable',
        artifactType: input.artifact.artifactType,
        nestedReports: [],
      });
    },
  };
}

/** Whether `verifier` judges artifacts of `artifactType`. */
export function judges(verifier: ArtifactVerifier, artifactType: string): boolean {
  return verifier.artifactTypes.some((type) => type === '*' || type === artifactType);
}
