export { toKyvernoConversion } from './convert-policy.js';
export { toCosignScope, toExcludedImagePattern, type ScopeResult } from './image-scope.js';
export {
  MAX_KYVERNO_POLICY_BYTES,
  formatImportNote,
  importKyverno,
  type KyvernoImport,
} from './import-kyverno.js';
export type { ImportDocument, ImportNote, KyvernoConversion } from './kyverno-import.types.js';
export { toGatekeeperMatch, type GatekeeperMatch } from './match-scope.js';
