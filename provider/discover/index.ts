export type {
  DiscoverOptions,
  Discovery,
  ResolveOptions,
  ResolvedSubject,
  SignatureArtifact,
} from './discover.types.js';
export { discoverSignatures } from './discover-signatures.js';
export { resolveSubject } from './resolve-subject.js';
