// `signet report [--assignment N] [-o table|json|html] [--out FILE] [--write-policy-reports]`: compliance of every
// workload in the scope of the assignments' constraints, from Gatekeeper's audit, completed by signet's own
// evaluation through the provider's verify endpoint where the audit lists fewer violations than it counted.
import { Command, Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import type {
  ComplianceReport,
  EvaluationMode,
  KeyEvaluator,
  ReportFormat,
} from '../compliance/report/index.js';
import { SignetError } from '../errors.js';
import { integer } from './options.js';

/** Bound on each Kubernetes API call (a list page of 500 objects at most). */
const KUBERNETES_REQUEST_TIMEOUT_MS = 30_000;

export interface ReportOptions {
  readonly assignment?: string;
  readonly output: ReportFormat;
  readonly out?: string;
  readonly evaluate: EvaluationMode;
  readonly providerUrl?: string;
  readonly providerCa?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly evaluationConcurrency: number;
  readonly evaluationBatch: number;
  readonly staleAfter: number;
  readonly writePolicyReports: boolean;
  readonly kubeconfig?: string;
}

function providerFiles(options: ReportOptions) {
  const given = [options.providerUrl, options.providerCa, options.clientCert, options.clientKey];
  if (given.every((value) => value === undefined)) return undefined;
  if (
    options.providerUrl === undefined ||
    options.providerCa === undefined ||
    options.clientCert === undefined ||
    options.clientKey === undefined
  )
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: '--provider-url, --provider-ca, --client-cert and --client-key go together',
      remediation:
        "Give all four: the provider's verify URL, its serving CA, and a client certificate and key its --client-ca trusts.",
    });
  return {
    url: options.providerUrl,
    caFile: options.providerCa,
    certFile: options.clientCert,
    keyFile: options.clientKey,
  };
}

export async function reportCommand(options: ReportOptions): Promise<void> {
  // Loaded when the command runs, so that `signet serve` does not carry the report code.
  const [
    { buildReport, createClusterClient, createProviderEvaluator, renderReport, writePolicyReports },
    { KubernetesApi },
  ] = await Promise.all([import('../compliance/report/index.js'), import('../compliance/kubernetes-api.js')]);
  const files = options.evaluate === 'never' ? undefined : providerFiles(options);
  const client = createClusterClient(
    await KubernetesApi.connect({
      ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
      requestTimeoutMs: KUBERNETES_REQUEST_TIMEOUT_MS,
      stage: 'report',
    }),
  );
  const provider =
    files === undefined
      ? undefined
      : await createProviderEvaluator({
          ...files,
          concurrency: options.evaluationConcurrency,
          batchSize: options.evaluationBatch,
        });
  let report: ComplianceReport;
  try {
    const evaluate: KeyEvaluator | undefined = provider?.evaluate;
    report = await buildReport(client, {
      ...(options.assignment === undefined ? {} : { assignment: options.assignment }),
      mode: options.evaluate,
      staleAfterSeconds: options.staleAfter,
      ...(evaluate === undefined ? {} : { evaluate }),
    });
  } finally {
    provider?.close();
  }
  const unevaluated = report.results.filter((result) =>
    result.images.some((image) => image.source === 'signet-evaluation' && image.reason === 'not evaluated'),
  ).length;
  if (unevaluated > 0)
    process.stderr.write(
      `signet: ${unevaluated} results stay Unknown: the audit cannot settle them and no provider was given (--provider-url, --provider-ca, --client-cert, --client-key)\n`,
    );
  const text = renderReport(report, options.output);
  if (options.out === undefined) process.stdout.write(text);
  else await writeFile(options.out, text);
  if (options.writePolicyReports) {
    const written = await writePolicyReports(client, report);
    process.stderr.write(
      `signet: applied ${written.applied.length} policy reports${written.deleted.length === 0 ? '' : `, deleted ${written.deleted.length} stale`}\n`,
    );
  }
}

/** Registers `signet report` on the program. */
export function addReportCommand(program: Command): Command {
  return program
    .command('report')
    .description(
      "compliance of the workloads in scope of the assignments' constraints: Gatekeeper's audit, completed by signet's own evaluation where the audit is truncated",
    )
    .option('--assignment <name>', 'only this assignment (the signet.dev/assignment label)')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['table', 'json', 'html'])
        .default('table'),
    )
    .option('--out <file>', 'write the report to this file instead of standard output')
    .addOption(
      new Option(
        '--evaluate <mode>',
        'when signet evaluates images itself: auto (where the audit lists fewer violations than it counted), always, never',
      )
        .choices(['auto', 'always', 'never'])
        .default('auto'),
    )
    .option('--provider-url <url>', "the provider's verify endpoint (https://…/ratify/gatekeeper/v1/verify)")
    .option('--provider-ca <file>', "CA bundle (PEM) of the provider's serving certificate")
    .option('--client-cert <file>', "client certificate (PEM) the provider's --client-ca trusts")
    .option('--client-key <file>', 'key (PEM) of the client certificate')
    .option('--evaluation-concurrency <n>', 'provider requests in flight', integer(1, 16), 2)
    .option('--evaluation-batch <n>', 'keys per provider request', integer(1, 1000), 25)
    .option(
      '--stale-after <seconds>',
      'an audit older than this is reported stale',
      integer(1, 30 * 24 * 3600),
      600,
    )
    .option(
      '--write-policy-reports',
      'also apply wgpolicyk8s.io/v1alpha2 PolicyReports (one per assignment and namespace)',
      false,
    )
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .action((options: ReportOptions) => reportCommand(options));
}
