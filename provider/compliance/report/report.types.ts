// The compliance report's data model: what `signet report` computes from an assignment's constraints, their
// Gatekeeper audit status and (where the audit is incomplete) signet's own evaluation. The JSON output is this
// model, described by compliance-report.schema.json (docs/compliance-report.md); change both together.

/** The JSON output's version; bump on any incompatible change to the shape (and the schema's $id). */
export const REPORT_SCHEMA_VERSION = 'signet.dev/compliance-report/v1';

export type ComplianceState = 'Compliant' | 'NonCompliant' | 'Exempt' | 'Error' | 'Unknown';

/**
 * Where a state came from: Gatekeeper's audit (constraint status), signet evaluating the image itself through
 * the provider, or the constraint's match rules (Exempt, decided without asking anyone).
 */
export type StateSource = 'gatekeeper-audit' | 'signet-evaluation' | 'constraint-scope';

export const COMPLIANCE_STATES: readonly ComplianceState[] = [
  'Compliant',
  'NonCompliant',
  'Error',
  'Unknown',
  'Exempt',
];

export interface ResourceRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  readonly creationTimestamp?: string;
}

/** One image of one resource under one policy. */
export interface ImageVerdict {
  readonly image: string;
  readonly state: ComplianceState;
  readonly source: StateSource;
  /** Why it is not Compliant (or, for Compliant, omitted). */
  readonly reason?: string;
  readonly remediation?: string;
  /** Verifiers that decided: the successful or failing reports' names, else the policy's required verifiers. */
  readonly verifiers: readonly string[];
}

/** One resource under one policy (constraint) of one assignment. */
export interface ComplianceResult {
  readonly assignment: string;
  /** The constraint's name. */
  readonly policy: string;
  readonly constraintKind: string;
  readonly resource: ResourceRef;
  /** The worst image state (NonCompliant > Error > Unknown > Compliant > Exempt), or the scope's Exempt. */
  readonly state: ComplianceState;
  /** gatekeeper-audit when any image state came from the audit. */
  readonly source: StateSource;
  readonly reason?: string;
  readonly remediation?: string;
  readonly verifiers: readonly string[];
  readonly images: readonly ImageVerdict[];
}

/** Counts of one group and its compliance percentage. */
export interface Tally {
  readonly total: number;
  readonly compliant: number;
  readonly nonCompliant: number;
  readonly error: number;
  readonly unknown: number;
  readonly exempt: number;
  /**
   * compliant / (compliant + nonCompliant + error) × 100, one decimal; null when nothing was judged. Exempt and
   * Unknown are left out of the denominator (fail closed: an Error counts against compliance).
   */
  readonly compliancePercent: number | null;
}

export interface PolicySummary extends Tally {
  readonly assignment: string;
  readonly policy: string;
  readonly constraintKind: string;
  readonly enforcementAction: string;
  readonly policyDefinitionReferenceId?: string;
  /** Gatekeeper's `status.auditTimestamp`, absent before the first audit. */
  readonly auditTimestamp?: string;
  /** Seconds from the audit to the report; absent before the first audit. */
  readonly auditAgeSeconds?: number;
  /** True when the audit is older than the report's stale threshold, or missing. */
  readonly stale: boolean;
  readonly totalViolations: number;
  readonly listedViolations: number;
  /** True when Gatekeeper listed fewer violations than it counted (--constraint-violations-limit). */
  readonly truncated: boolean;
}

export interface AssignmentSummary extends Tally {
  readonly assignment: string;
  readonly initiative?: string;
}

export interface NamespaceSummary extends Tally {
  readonly namespace: string;
}

export interface FailingImage {
  readonly image: string;
  /** Results (resource × policy) in which the image is NonCompliant or Error. */
  readonly count: number;
  readonly reasons: readonly string[];
}

export interface FailureReason {
  readonly reason: string;
  readonly count: number;
}

export interface ComplianceReport {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly generatedAt: string;
  /** The --assignment filter, when given. */
  readonly assignment?: string;
  readonly staleAfterSeconds: number;
  /** Resources (× policy) whose state signet evaluated itself, and through what. */
  readonly evaluation: { readonly mode: EvaluationMode; readonly evaluated: number; readonly images: number };
  /** Every resource, counted once per assignment with its worst state across the assignment's policies. */
  readonly summary: Tally;
  readonly byAssignment: readonly AssignmentSummary[];
  readonly byPolicy: readonly PolicySummary[];
  readonly byNamespace: readonly NamespaceSummary[];
  readonly topFailingImages: readonly FailingImage[];
  readonly topReasons: readonly FailureReason[];
  readonly results: readonly ComplianceResult[];
}

/**
 * When signet evaluates images itself: `auto` where the audit cannot say (Gatekeeper listed fewer violations than
 * it counted), `always` every image not already named in a violation, `never` (states stay Unknown).
 */
export type EvaluationMode = 'auto' | 'always' | 'never';
