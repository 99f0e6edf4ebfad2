/** Converters from other admission tools' policies into signet configuration and Gatekeeper constraints. */
export * from './kyverno/index.js';
