// `signet serve --compliance-report-interval N`: the periodic compliance report of a running provider. The replica
// holding the Lease builds the report, applies the PolicyReports and sets the signet_compliance_* gauges; images
// the audit cannot settle are evaluated in process through this provider's own pipeline (same configuration
// snapshot and verdict cache as its endpoint), rendered exactly as the verify endpoint answers them.
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import type { KeyEvaluator, parseProviderResponse, PeriodicReport } from '../compliance/report/index.js';
import { SignetError } from '../errors.js';
import { createComplianceMetrics, newTraceId, type Logger } from '../observability/index.js';
import type { ImagePipeline } from '../pipeline/index.js';
import { DEFAULT_API_VERSION, toVerifyResponse } from '../server/index.js';
import type { ImageResult } from '../verdict/index.js';
import type { Registry } from 'prom-client';
import { integer } from './options.js';

export interface ComplianceReportOptions {
  /** Seconds between reports; 0 turns the periodic report off. */
  readonly complianceReportInterval: number;
  readonly complianceLeaseName: string;
  readonly complianceLeaseNamespace?: string;
  readonly complianceLeaseDuration: number;
  readonly compliancePolicyReports: boolean;
}

/** Keys verified at once by the periodic report, leaving the provider's --max-in-flight to Gatekeeper. */
const EVALUATION_CONCURRENCY = 8;

/** The provider's pipeline as a KeyEvaluator: verified as the endpoint verifies, answered as it answers. */
function inProcessEvaluator(
  pipeline: ImagePipeline,
  deadlineMs: number,
  parseResponse: typeof parseProviderResponse,
): KeyEvaluator {
  return async (keys) => {
    const results = new Map<string, ImageResult>();
    for (let i = 0; i < keys.length; i += EVALUATION_CONCURRENCY) {
      const batch = keys.slice(i, i + EVALUATION_CONCURRENCY);
      const traceId = newTraceId();
      const verified = await Promise.all(
        batch.map((key) => pipeline.verify(key, { signal: AbortSignal.timeout(deadlineMs), traceId })),
      );
      batch.forEach((key, index) => results.set(key, verified[index] as ImageResult));
    }
    const response = toVerifyResponse(DEFAULT_API_VERSION, keys, results, {
      traceId: newTraceId(),
      now: new Date(),
    });
    return parseResponse(response, keys);
  };
}

export interface StartComplianceReportDependencies {
  readonly pipeline: ImagePipeline;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly deadlineMs: number;
}

/** Starts the periodic report when --compliance-report-interval is set; undefined otherwise. */
export async function startComplianceReport(
  options: ComplianceReportOptions,
  dependencies: StartComplianceReportDependencies,
): Promise<PeriodicReport | undefined> {
  if (options.complianceReportInterval === 0) return undefined;
  const namespace = options.complianceLeaseNamespace ?? process.env.POD_NAMESPACE;
  if (namespace === undefined || namespace === '')
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason:
        '--compliance-report-interval needs the Lease namespace: --compliance-lease-namespace or POD_NAMESPACE',
    });
  // Loaded only when the periodic report is on: a provider without it does not carry the report code.
  const [
    { createClusterClient, kubernetesLeaseStore, LeaderElector, parseProviderResponse, startPeriodicReport },
    { KubernetesApi },
  ] = await Promise.all([import('../compliance/report/index.js'), import('../compliance/kubernetes-api.js')]);
  const client = createClusterClient(
    // In the pod: its service account. A call is bounded well inside the Lease's duration, so a hung API server
    // costs the leader its lease rather than stalling renewals.
    await KubernetesApi.connect({
      requestTimeoutMs: Math.min(10_000, (options.complianceLeaseDuration * 1000) / 3),
      stage: 'report',
    }),
  );
  const identity = process.env.POD_NAME ?? hostname();
  return startPeriodicReport({
    client,
    elector: new LeaderElector({
      store: kubernetesLeaseStore(client, namespace, options.complianceLeaseName),
      identity,
      leaseDurationSeconds: options.complianceLeaseDuration,
    }),
    leaseDurationSeconds: options.complianceLeaseDuration,
    intervalSeconds: options.complianceReportInterval,
    mode: 'auto',
    staleAfterSeconds: Math.max(600, 3 * options.complianceReportInterval),
    evaluate: inProcessEvaluator(dependencies.pipeline, dependencies.deadlineMs, parseProviderResponse),
    writePolicyReports: options.compliancePolicyReports,
    metrics: createComplianceMetrics(dependencies.registry),
    log: dependencies.logger,
  });
}

/** The periodic report's options on `signet serve`. */
export function addComplianceReportOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--compliance-report-interval <seconds>',
        'build the compliance report this often on the replica holding the Lease (PolicyReports, signet_compliance_* gauges); 0: off',
      )
        .argParser(integer(0, 86_400))
        .default(0),
    )
    .option(
      '--compliance-lease-name <name>',
      'the coordination.k8s.io Lease replicas elect the reporter with',
      'signet-compliance-report',
    )
    .option('--compliance-lease-namespace <namespace>', "the Lease's namespace (default: POD_NAMESPACE)")
    .addOption(
      new Option('--compliance-lease-duration <seconds>', 'how long a Lease not renewed stays held')
        .argParser(integer(3, 3_600))
        .default(15),
    )
    .addOption(
      new Option(
        '--no-compliance-policy-reports',
        'with the periodic report: set the gauges only, write no PolicyReports',
      ),
    );
}
