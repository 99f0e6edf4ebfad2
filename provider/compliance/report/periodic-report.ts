// The compliance report `signet serve` runs on a timer: the replica holding the Lease builds the report, applies
// the PolicyReports and sets the compliance gauges; the others only keep trying for the Lease (and clear their
// gauges, so one replica exports the series). The Lease is renewed on its own, faster timer (a third of its
// duration), so a slow report never costs the leadership; a report round never overlaps the previous one.
import { SignetError } from '../../errors.js';
import { buildReport } from './build-report.js';
import type { ClusterClient } from './cluster.js';
import type { LeaderElector } from './lease.js';
import { writePolicyReports } from './policy-reports.js';
import type { KeyEvaluator } from './provider-client.js';
import type { ComplianceReport, EvaluationMode } from './report.types.js';

/** What the loop logs through (pino's shape; compliance/ imports no observability code). */
export interface ReportLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** The compliance gauges (observability's createComplianceMetrics). */
export interface ComplianceGauges {
  record(
    assignments: readonly {
      readonly assignment: string;
      readonly resources: Readonly<
        Record<'Compliant' | 'NonCompliant' | 'Error' | 'Unknown' | 'Exempt', number>
      >;
      readonly compliancePercent: number | null;
    }[],
  ): void;
  clear(): void;
}

export interface PeriodicReportOptions {
  readonly client: ClusterClient;
  readonly elector: LeaderElector;
  readonly leaseDurationSeconds: number;
  readonly intervalSeconds: number;
  readonly mode: EvaluationMode;
  readonly staleAfterSeconds: number;
  readonly evaluate?: KeyEvaluator;
  readonly writePolicyReports: boolean;
  readonly metrics?: ComplianceGauges;
  readonly log: ReportLog;
  /** Called after each report this replica produced (tests and logs). */
  readonly onReport?: (report: ComplianceReport) => void;
}

export interface PeriodicReport {
  stop(): Promise<void>;
}

function describeError(error: unknown): string {
  return error instanceof SignetError
    ? error.describe()
    : error instanceof Error
      ? error.message
      : String(error);
}

export function startPeriodicReport(options: PeriodicReportOptions): PeriodicReport {
  const { elector, log } = options;
  let stopped = false;
  let reportTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const campaign = async (): Promise<void> => {
    const wasLeader = elector.isLeader;
    try {
      await elector.tryAcquireOrRenew();
    } catch (error) {
      log.warn(
        { reason: describeError(error) },
        'compliance report: could not read or write the leader Lease',
      );
    }
    if (elector.isLeader !== wasLeader)
      log.info(
        { identity: elector.identity, leader: elector.isLeader },
        'compliance report: leadership changed',
      );
    if (!elector.isLeader) options.metrics?.clear();
  };

  const report = async (): Promise<void> => {
    if (!elector.isLeader) return;
    try {
      const result = await buildReport(options.client, {
        mode: options.mode,
        staleAfterSeconds: options.staleAfterSeconds,
        ...(options.evaluate === undefined ? {} : { evaluate: options.evaluate }),
      });
      // Leadership may have moved while the report was built: the new leader writes instead.
      if (!elector.isLeader) return;
      if (options.writePolicyReports) await writePolicyReports(options.client, result);
      options.metrics?.record(
        result.byAssignment.map((assignment) => ({
          assignment: assignment.assignment,
          resources: {
            Compliant: assignment.compliant,
            NonCompliant: assignment.nonCompliant,
            Error: assignment.error,
            Unknown: assignment.unknown,
            Exempt: assignment.exempt,
          },
          compliancePercent: assignment.compliancePercent,
        })),
      );
      log.info(
        { resources: result.summary.total, compliancePercent: result.summary.compliancePercent },
        'compliance report written',
      );
      options.onReport?.(result);
    } catch (error) {
      log.warn({ reason: describeError(error) }, 'compliance report failed; retrying next interval');
    }
  };

  const renewTimer = setInterval(
    () => {
      running = running.then(campaign);
    },
    Math.max(1, Math.floor((options.leaseDurationSeconds * 1000) / 3)),
  );
  const scheduleReport = (delayMs: number) => {
    reportTimer = setTimeout(() => {
      running = running.then(report).then(() => {
        if (!stopped) scheduleReport(options.intervalSeconds * 1000);
      });
    }, delayMs);
  };
  running = running.then(campaign);
  scheduleReport(0);

  return {
    async stop() {
      stopped = true;
      clearInterval(renewTimer);
      if (reportTimer !== undefined) clearTimeout(reportTimer);
      await running;
      await elector.release().catch((error: unknown) => {
        log.warn({ reason: describeError(error) }, 'compliance report: could not release the leader Lease');
      });
      options.metrics?.clear();
    },
  };
}
