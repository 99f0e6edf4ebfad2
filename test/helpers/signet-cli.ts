// The signet CLI run from source, as a user would run it.
import { execFile } from 'node:child_process';
import { REPO_ROOT } from './process.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Default 60 s; commands that wait for a cluster need more. */
  readonly timeoutMs?: number;
  /** Extra environment variables, merged over the test process's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `signet <args>` from source in the repository; a non-zero exit is a result, not an error. */
export function runSignetCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'provider/cli.ts', ...args],
      {
        cwd: REPO_ROOT,
        timeout: options.timeoutMs ?? 60_000,
        ...(options.env === undefined ? {} : { env: { ...process.env, ...options.env } }),
      },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}
