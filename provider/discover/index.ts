export type {
  DiscoverOptions,
  Discovery,
  ResolveOptions,
  ResolvedSubject,
  SignatureArtifact,
} from './discover.types.js';
export { COSIGN_ATTESTATION_ARTIFACT_TYPE, discoverSignatures } from './discover-signatures.js';
export { resolveSubject } from './resolve-subject.js';
