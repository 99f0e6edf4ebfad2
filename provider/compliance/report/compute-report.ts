// The compliance report from an assignment's constraints, the workloads listed from the cluster and signet's
// own answers: a state per resource × policy with its images, then the summaries (per policy, assignment and
// namespace), the top failing images and reasons, and each audit's age. Pure: the caller lists and evaluates.
import { interpretViolation, type AssignedConstraint, type ViolationMeaning } from './constraints.js';
import { judgeAnswer, type KeyAnswer } from './provider-answer.js';
import {
  REPORT_SCHEMA_VERSION,
  type AssignmentSummary,
  type ComplianceReport,
  type ComplianceResult,
  type ComplianceState,
  type EvaluationMode,
  type FailingImage,
  type FailureReason,
  type ImageVerdict,
  type NamespaceSummary,
  type PolicySummary,
  type ResourceRef,
  type StateSource,
  type Tally,
} from './report.types.js';
import { decideScope, describeExemption, excludedPattern, imagesOf, type ListedObject } from './scope.js';

export interface ReportInput {
  readonly constraints: readonly AssignedConstraint[];
  /** Every workload listed (of every kind any constraint matches). */
  readonly objects: readonly ListedObject[];
  readonly now: Date;
  readonly staleAfterSeconds: number;
  readonly mode: EvaluationMode;
  readonly assignment?: string;
  /** signet's answers by key (see keysToEvaluate); a key without one stays Unknown. */
  readonly answers?: ReadonlyMap<string, KeyAnswer>;
}

const TOP = 10;

/** Worst first: a resource is as compliant as its least compliant image. */
const SEVERITY: Readonly<Record<ComplianceState, number>> = {
  NonCompliant: 4,
  Error: 3,
  Unknown: 2,
  Compliant: 1,
  Exempt: 0,
};

export function worstState(states: readonly ComplianceState[], empty: ComplianceState): ComplianceState {
  return states.reduce<ComplianceState>(
    (worst, state) => (SEVERITY[state] > SEVERITY[worst] ? state : worst),
    states[0] ?? empty,
  );
}

/** The key the template sends for an image of a workload in `namespace`. */
export function keyFor(constraint: AssignedConstraint, namespace: string, image: string): string {
  return constraint.namespacedKeys && namespace !== '' ? `[${namespace}]${image}` : image;
}

function resourceRef(object: ListedObject): ResourceRef {
  const metadata = object.metadata ?? {};
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    namespace: metadata.namespace ?? '',
    name: metadata.name ?? '',
    ...(metadata.uid === undefined ? {} : { uid: metadata.uid }),
    ...(metadata.creationTimestamp === undefined ? {} : { creationTimestamp: metadata.creationTimestamp }),
  };
}

function resourceId(resource: ResourceRef): string {
  return `${resource.kind}/${resource.namespace}/${resource.name}`;
}

/** Whether the constraint's last audit saw the object (created strictly before the audit started). */
function auditedBy(constraint: AssignedConstraint, object: ListedObject): boolean {
  const audit = Date.parse(constraint.auditTimestamp ?? '');
  const created = Date.parse(object.metadata?.creationTimestamp ?? '');
  return Number.isFinite(audit) && Number.isFinite(created) && created < audit;
}

function isTruncated(constraint: AssignedConstraint): boolean {
  return constraint.totalViolations > constraint.violations.length;
}

type ImagePlan =
  | { readonly $case: 'decided'; readonly verdict: ImageVerdict }
  | { readonly $case: 'evaluate'; readonly key: string };

interface ResultPlan {
  readonly constraint: AssignedConstraint;
  readonly resource: ResourceRef;
  readonly exempt?: string;
  readonly images: readonly { readonly image: string; readonly plan: ImagePlan }[];
}

function fromMeaning(image: string, meaning: ViolationMeaning, verifiers: readonly string[]): ImageVerdict {
  return {
    image,
    state: meaning.state,
    source: 'gatekeeper-audit',
    reason: meaning.reason,
    remediation: meaning.remediation,
    verifiers: [...verifiers],
  };
}

/** What the audit says (or does not say) about each image of one resource under one constraint. */
function planResult(
  constraint: AssignedConstraint,
  object: ListedObject,
  mode: EvaluationMode,
): ResultPlan | undefined {
  const scope = decideScope(constraint.match, constraint.excludedImages, object);
  if (scope.$case === 'outOfScope') return undefined;
  const resource = resourceRef(object);
  const images = imagesOf(object);
  const verifiers = constraint.requiredVerifiers;
  if (scope.$case === 'exempt') {
    const reason = describeExemption(scope.exemption);
    return {
      constraint,
      resource,
      exempt: reason,
      images: images.map((image) => ({
        image,
        plan: {
          $case: 'decided',
          verdict: { image, state: 'Exempt', source: 'constraint-scope', reason, verifiers: [...verifiers] },
        },
      })),
    };
  }
  const meanings = constraint.violations
    .filter(
      (violation) =>
        violation.kind === resource.kind &&
        violation.namespace === resource.namespace &&
        violation.name === resource.name,
    )
    .map((violation) => interpretViolation(violation.message));
  const imageless = meanings.find((meaning) => meaning.image === undefined);
  const audited = auditedBy(constraint, object);
  const evaluate = mode === 'always' || (mode === 'auto' && audited && isTruncated(constraint));
  const planImage = (image: string): ImagePlan => {
    const pattern = excludedPattern(constraint.excludedImages, image);
    if (pattern !== undefined)
      return {
        $case: 'decided',
        verdict: {
          image,
          state: 'Exempt',
          source: 'constraint-scope',
          reason: `image excluded by the policy's excludedImages ${pattern}`,
          verifiers: [...verifiers],
        },
      };
    const named = meanings.filter((meaning) => meaning.image === image);
    const meaning = named.find((m) => m.state === 'NonCompliant') ?? named[0] ?? imageless;
    if (meaning !== undefined) return { $case: 'decided', verdict: fromMeaning(image, meaning, verifiers) };
    if (evaluate) return { $case: 'evaluate', key: keyFor(constraint, resource.namespace, image) };
    const unknown = (reason: string): ImagePlan => ({
      $case: 'decided',
      verdict: { image, state: 'Unknown', source: 'gatekeeper-audit', reason, verifiers: [...verifiers] },
    });
    if (!audited)
      return unknown(
        constraint.auditTimestamp === undefined
          ? 'not audited yet: the constraint has no audit timestamp'
          : `not audited yet: created after the last audit (${constraint.auditTimestamp})`,
      );
    if (isTruncated(constraint))
      return unknown(
        `Gatekeeper listed ${constraint.violations.length} of ${constraint.totalViolations} violations and evaluation is off`,
      );
    return {
      $case: 'decided',
      verdict: { image, state: 'Compliant', source: 'gatekeeper-audit', verifiers: [...verifiers] },
    };
  };
  return { constraint, resource, images: images.map((image) => ({ image, plan: planImage(image) })) };
}

function planAll(input: ReportInput): ResultPlan[] {
  const plans: ResultPlan[] = [];
  for (const constraint of input.constraints) {
    for (const object of input.objects) {
      const plan = planResult(constraint, object, input.mode);
      if (plan !== undefined) plans.push(plan);
    }
  }
  return plans;
}

/** The keys signet must evaluate itself for this report (distinct, sorted). */
export function keysToEvaluate(input: Omit<ReportInput, 'answers'>): string[] {
  const keys = new Set<string>();
  for (const plan of planAll(input))
    for (const { plan: image } of plan.images) if (image.$case === 'evaluate') keys.add(image.key);
  return [...keys].sort();
}

function sourceOf(images: readonly ImageVerdict[], exempt: boolean): StateSource {
  if (exempt) return 'constraint-scope';
  if (images.some((image) => image.source === 'gatekeeper-audit')) return 'gatekeeper-audit';
  if (images.some((image) => image.source === 'signet-evaluation')) return 'signet-evaluation';
  return images.length === 0 ? 'gatekeeper-audit' : 'constraint-scope';
}

function toResult(plan: ResultPlan, answers: ReadonlyMap<string, KeyAnswer>): ComplianceResult {
  const { constraint } = plan;
  const images = plan.images.map(({ image, plan: imagePlan }): ImageVerdict => {
    if (imagePlan.$case === 'decided') return imagePlan.verdict;
    const answer = answers.get(imagePlan.key);
    if (answer === undefined)
      return {
        image,
        state: 'Unknown',
        source: 'signet-evaluation',
        reason: 'not evaluated',
        verifiers: [...constraint.requiredVerifiers],
      };
    return judgeAnswer(image, answer, constraint.requiredVerifiers);
  });
  // A workload without images sends no keys: the template finds nothing to judge.
  const empty: ComplianceState = plan.exempt !== undefined ? 'Exempt' : 'Compliant';
  const state =
    plan.exempt !== undefined
      ? 'Exempt'
      : worstState(
          images.map((image) => image.state),
          empty,
        );
  const worst = images.find((image) => image.state === state && image.reason !== undefined);
  const reasons = [
    ...new Set(
      images
        .filter((image) => image.state === state && image.reason !== undefined)
        .map((image) =>
          state === 'Exempt' ? (image.reason ?? '') : `${image.image}: ${image.reason ?? ''}`,
        ),
    ),
  ];
  const reason = plan.exempt ?? (reasons.length > 0 ? reasons.join('; ') : undefined);
  return {
    assignment: constraint.assignment,
    policy: constraint.name,
    constraintKind: constraint.kind,
    resource: plan.resource,
    state,
    source: sourceOf(images, plan.exempt !== undefined),
    ...(reason === undefined ? {} : { reason }),
    ...(worst?.remediation === undefined ? {} : { remediation: worst.remediation }),
    verifiers: [...new Set(images.flatMap((image) => image.verifiers))],
    images,
  };
}

export function tally(states: readonly ComplianceState[]): Tally {
  const count = (state: ComplianceState) => states.filter((s) => s === state).length;
  const compliant = count('Compliant');
  const nonCompliant = count('NonCompliant');
  const error = count('Error');
  const judged = compliant + nonCompliant + error;
  return {
    total: states.length,
    compliant,
    nonCompliant,
    error,
    unknown: count('Unknown'),
    exempt: count('Exempt'),
    compliancePercent: judged === 0 ? null : Math.round((compliant / judged) * 1000) / 10,
  };
}

/** Each resource once per group: its worst state over the group's results. */
function tallyByResource(results: readonly ComplianceResult[], groupKey: (r: ComplianceResult) => string) {
  const byResource = new Map<string, ComplianceState[]>();
  for (const result of results) {
    const key = `${groupKey(result)}\u0000${resourceId(result.resource)}`;
    const states = byResource.get(key) ?? [];
    states.push(result.state);
    byResource.set(key, states);
  }
  return tally([...byResource.values()].map((states) => worstState(states, 'Exempt')));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item)) ?? [];
    group.push(item);
    groups.set(key(item), group);
  }
  return groups;
}

function isFailing(state: ComplianceState): boolean {
  return state === 'NonCompliant' || state === 'Error';
}

function topFailures(results: readonly ComplianceResult[]): {
  images: FailingImage[];
  reasons: FailureReason[];
} {
  const images = new Map<string, { count: number; reasons: Set<string> }>();
  const reasons = new Map<string, number>();
  for (const result of results) {
    for (const verdict of result.images) {
      if (!isFailing(verdict.state)) continue;
      const reason = verdict.reason ?? verdict.state;
      const entry = images.get(verdict.image) ?? { count: 0, reasons: new Set<string>() };
      entry.count += 1;
      entry.reasons.add(reason);
      images.set(verdict.image, entry);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  }
  const byCount = <T extends { count: number }>(a: T & { name: string }, b: T & { name: string }) =>
    b.count - a.count || a.name.localeCompare(b.name);
  return {
    images: [...images.entries()]
      .map(([image, entry]) => ({ name: image, count: entry.count, reasons: [...entry.reasons].sort() }))
      .sort(byCount)
      .slice(0, TOP)
      .map(({ name, count, reasons: list }) => ({ image: name, count, reasons: list })),
    reasons: [...reasons.entries()]
      .map(([reason, count]) => ({ name: reason, count }))
      .sort(byCount)
      .slice(0, TOP)
      .map(({ name, count }) => ({ reason: name, count })),
  };
}

function policySummary(
  constraint: AssignedConstraint,
  results: readonly ComplianceResult[],
  input: ReportInput,
): PolicySummary {
  const audit = Date.parse(constraint.auditTimestamp ?? '');
  const age = Number.isFinite(audit)
    ? Math.max(0, Math.floor((input.now.getTime() - audit) / 1000))
    : undefined;
  return {
    assignment: constraint.assignment,
    policy: constraint.name,
    constraintKind: constraint.kind,
    enforcementAction: constraint.enforcementAction,
    ...(constraint.referenceId === undefined ? {} : { policyDefinitionReferenceId: constraint.referenceId }),
    ...(constraint.auditTimestamp === undefined ? {} : { auditTimestamp: constraint.auditTimestamp }),
    ...(age === undefined ? {} : { auditAgeSeconds: age }),
    stale: age === undefined || age > input.staleAfterSeconds,
    totalViolations: constraint.totalViolations,
    listedViolations: constraint.violations.length,
    truncated: isTruncated(constraint),
    ...tally(results.map((result) => result.state)),
  };
}

function compareResults(a: ComplianceResult, b: ComplianceResult): number {
  return (
    a.assignment.localeCompare(b.assignment) ||
    a.policy.localeCompare(b.policy) ||
    a.resource.namespace.localeCompare(b.resource.namespace) ||
    a.resource.kind.localeCompare(b.resource.kind) ||
    a.resource.name.localeCompare(b.resource.name)
  );
}

export function computeReport(input: ReportInput): ComplianceReport {
  const answers = input.answers ?? new Map<string, KeyAnswer>();
  const plans = planAll(input);
  const results = plans.map((plan) => toResult(plan, answers)).sort(compareResults);
  const evaluated = plans.filter((plan) => plan.images.some(({ plan: image }) => image.$case === 'evaluate'));
  const byPolicy = input.constraints
    .map((constraint) =>
      policySummary(
        constraint,
        results.filter((r) => r.assignment === constraint.assignment && r.policy === constraint.name),
        input,
      ),
    )
    .sort((a, b) => a.assignment.localeCompare(b.assignment) || a.policy.localeCompare(b.policy));
  const initiatives = new Map(input.constraints.map((c) => [c.assignment, c.initiative]));
  const byAssignment: AssignmentSummary[] = [...new Set(input.constraints.map((c) => c.assignment))]
    .sort()
    .map((assignment) => {
      const initiative = initiatives.get(assignment);
      return {
        assignment,
        ...(initiative === undefined ? {} : { initiative }),
        ...tallyByResource(
          results.filter((r) => r.assignment === assignment),
          () => assignment,
        ),
      };
    });
  const byNamespace: NamespaceSummary[] = [...groupBy(results, (r) => r.resource.namespace).entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([namespace, group]) => ({ namespace, ...tallyByResource(group, () => namespace) }));
  const top = topFailures(results);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: input.now.toISOString(),
    ...(input.assignment === undefined ? {} : { assignment: input.assignment }),
    staleAfterSeconds: input.staleAfterSeconds,
    evaluation: { mode: input.mode, evaluated: evaluated.length, images: answers.size },
    summary: tallyByResource(results, (r) => r.assignment),
    byAssignment,
    byPolicy,
    byNamespace,
    topFailingImages: top.images,
    topReasons: top.reasons,
    results,
  };
}
