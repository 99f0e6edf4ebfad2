// The report as wg-policy PolicyReports (wgpolicyk8s.io/v1alpha2), which Policy Reporter and other tools read:
// one PolicyReport per assignment and namespace (`signet-<assignment>`; a ClusterPolicyReport for cluster-scoped
// resources), a result per resource × policy (Compliant → pass, NonCompliant → fail, Error → error, Exempt →
// skip; Unknown has no result yet), `source: signet`, summary counts. Written by server-side apply (the results
// list is atomic, so stale results are replaced) and reports of this assignment no longer produced are deleted.
import { ASSIGNMENT_LABEL } from '../assign/index.js';
import type { ClusterClient, WritableObject } from './cluster.js';
import type { ComplianceReport, ComplianceResult, ComplianceState } from './report.types.js';

export const POLICY_REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const POLICY_REPORT_SOURCE = 'signet';

type PolicyResult = 'pass' | 'fail' | 'error' | 'skip';

const RESULT_OF: Readonly<Record<ComplianceState, PolicyResult | undefined>> = {
  Compliant: 'pass',
  NonCompliant: 'fail',
  Error: 'error',
  Exempt: 'skip',
  Unknown: undefined,
};

export function policyReportName(assignment: string): string {
  return `signet-${assignment}`;
}

function toPolicyResult(result: ComplianceResult, outcome: PolicyResult, seconds: number) {
  const images = result.images.map((image) => image.image).join(',');
  return {
    source: POLICY_REPORT_SOURCE,
    policy: result.policy,
    rule: result.constraintKind,
    category: 'Image integrity',
    result: outcome,
    scored: true,
    ...(outcome === 'fail' ? { severity: 'high' } : {}),
    message: result.reason ?? (outcome === 'pass' ? `every image verified: ${images}` : result.state),
    timestamp: { seconds, nanos: 0 },
    resources: [
      {
        apiVersion: result.resource.apiVersion,
        kind: result.resource.kind,
        name: result.resource.name,
        ...(result.resource.namespace === '' ? {} : { namespace: result.resource.namespace }),
        ...(result.resource.uid === undefined ? {} : { uid: result.resource.uid }),
      },
    ],
    properties: {
      assignment: result.assignment,
      state: result.state,
      stateSource: result.source,
      images,
      ...(result.verifiers.length === 0 ? {} : { verifier: result.verifiers.join(',') }),
      ...(result.remediation === undefined ? {} : { remediation: result.remediation }),
    },
  };
}

/** The PolicyReports (and ClusterPolicyReports) of a report, one per assignment and namespace. */
export function toPolicyReports(report: ComplianceReport): WritableObject[] {
  const seconds = Math.floor(Date.parse(report.generatedAt) / 1000);
  const groups = new Map<string, { assignment: string; namespace: string; results: ComplianceResult[] }>();
  for (const result of report.results) {
    if (RESULT_OF[result.state] === undefined) continue;
    const key = `${result.assignment}\u0000${result.resource.namespace}`;
    const group = groups.get(key) ?? {
      assignment: result.assignment,
      namespace: result.resource.namespace,
      results: [],
    };
    group.results.push(result);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ assignment, namespace, results }) => {
    const entries = results.map((result) =>
      toPolicyResult(result, RESULT_OF[result.state] ?? 'skip', seconds),
    );
    const count = (outcome: PolicyResult) => entries.filter((entry) => entry.result === outcome).length;
    return {
      apiVersion: POLICY_REPORT_API_VERSION,
      kind: namespace === '' ? 'ClusterPolicyReport' : 'PolicyReport',
      metadata: {
        name: policyReportName(assignment),
        ...(namespace === '' ? {} : { namespace }),
        labels: { [MANAGED_BY_LABEL]: POLICY_REPORT_SOURCE, [ASSIGNMENT_LABEL]: assignment },
      },
      summary: {
        pass: count('pass'),
        fail: count('fail'),
        warn: 0,
        error: count('error'),
        skip: count('skip'),
      },
      results: entries,
    };
  });
}

export interface WrittenPolicyReports {
  readonly applied: readonly string[];
  readonly deleted: readonly string[];
}

function idOf(kind: string, name: string, namespace?: string): string {
  return `${kind}/${namespace === undefined || namespace === '' ? '' : `${namespace}/`}${name}`;
}

/** Applies the report's PolicyReports and deletes this assignment's reports that it no longer produces. */
export async function writePolicyReports(
  client: ClusterClient,
  report: ComplianceReport,
): Promise<WrittenPolicyReports> {
  const objects = toPolicyReports(report);
  const applied: string[] = [];
  for (const object of objects) {
    await client.apply(object);
    applied.push(idOf(object.kind, object.metadata.name, object.metadata.namespace));
  }
  const deleted: string[] = [];
  for (const { assignment } of report.byAssignment) {
    const labelSelector = `${MANAGED_BY_LABEL}=${POLICY_REPORT_SOURCE},${ASSIGNMENT_LABEL}=${assignment}`;
    for (const kind of ['PolicyReport', 'ClusterPolicyReport']) {
      for (const existing of await client.list(POLICY_REPORT_API_VERSION, kind, { labelSelector })) {
        const name = existing.metadata?.name ?? '';
        const namespace = existing.metadata?.namespace;
        const id = idOf(kind, name, namespace);
        if (applied.includes(id)) continue;
        await client.delete(POLICY_REPORT_API_VERSION, kind, name, namespace);
        deleted.push(id);
      }
    }
  }
  return { applied, deleted };
}
