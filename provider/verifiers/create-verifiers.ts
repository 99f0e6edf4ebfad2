import type { VerifierConfig } from '../config/index.js';
import type { VerifierReport } from '../pipeline/result.types.js';
import type { ArtifactVerifier, ArtifactVerifyInput } from './verifier.types.js';

/** Builds the verifier for one Verifier resource; registered per `spec.name` type below. */
export type VerifierFactory = (config: VerifierConfig) => ArtifactVerifier;

/**
 * The ArtifactVerifiers for a set of Verifier resources. A type without an implementation still
 * gets a verifier, one that fails every artifact it is asked about, so that a signature nobody can
 * check never counts as verified (fail closed) and the report says why.
 */
export function createArtifactVerifiers(
  configs: readonly VerifierConfig[],
  factories: Readonly<Partial<Record<VerifierConfig['type'], VerifierFactory>>>,
): ArtifactVerifier[] {
  return configs.map((config) => factories[config.type]?.(config) ?? unavailableVerifier(config));
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
