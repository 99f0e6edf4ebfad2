// The signet CLI run from source, as a user would run it.
import { execFile } from 'node:child_process';
import { REPO_ROOT } from './process.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `signet <args>` from source in the repository; a non-zero exit is a result, not an error. */
export function runSignetCli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'provider/cli.ts', ...args],
      { cwd: REPO_ROOT, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}
