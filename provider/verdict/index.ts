export { classifyOutcome } from './outcome.js';
export type { ImageOutcome } from './outcome.js';
export type { ArtifactRule, ImageResult, SubjectVerdict, VerifierReport } from './verdict.types.js';
