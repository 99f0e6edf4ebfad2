import type { VerifierFactory } from './create-verifiers.js';
import type { VerifierConfig } from '../config/index.js';

/** The verifier implementations by Verifier type. A type absent here fails closed (see createArtifactVerifiers). */
export const VERIFIER_FACTORIES: Readonly<Partial<Record<VerifierConfig['type'], VerifierFactory>>> = {};
