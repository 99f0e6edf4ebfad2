// Locates and runs the real peers that test/tools/setup.sh installs (same directory rule as the script).
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type ToolName =
  | 'olareg'
  | 'crane'
  | 'oras'
  | 'notation'
  | 'cosign'
  | 'cosign3'
  | 'opa'
  | 'etcd'
  | 'kube-apiserver'
  | 'kubectl'
  | 'gatekeeper'
  /** Gatekeeper's `gator` CLI (same module and version), runs the templates' suite.yaml files. */
  | 'gator'
  | 'helm'
  | 'ratify'
  /** test/tools/credential-helper: a docker credential helper (upstream credentials.Serve) over a JSON file. */
  | 'docker-credential-signet-test';

export interface RunToolOptions {
  /** Extra environment variables, merged over the test process's environment. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Milliseconds before the tool is killed; default 60 s. */
  timeoutMs?: number;
  /** Written to the tool's standard input (closed either way, so no tool ever waits on a prompt). */
  input?: string | Buffer;
}

export interface ToolOutput {
  stdout: string;
  stderr: string;
}

const defaultTimeoutMs = 60_000;
const maxOutputBytes = 16 * 1024 * 1024;

export function toolsBinDir(): string {
  const toolsDir = process.env.SIGNET_TOOLS_DIR ?? join(homedir(), '.cache', 'signet', 'tools');
  return join(toolsDir, 'bin');
}

/** Absolute path of an installed tool; throws naming the install command when it is missing. */
export function toolPath(name: ToolName): string {
  const path = join(toolsBinDir(), name);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `test tool '${name}' is not installed at ${path}: run \`bash test/tools/setup.sh\` (or \`npm run setup\`)`,
    );
  }
  return path;
}

/** Runs a tool to completion; rejects with its exit status and stderr in the message. */
export function runTool(
  name: ToolName,
  args: readonly string[],
  options: RunToolOptions = {},
): Promise<ToolOutput> {
  const path = toolPath(name);
  const timeout = options.timeoutMs ?? defaultTimeoutMs;
  return new Promise((resolve, reject) => {
    const child = execFile(
      path,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        timeout,
        maxBuffer: maxOutputBytes,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error) {
          const why = error.killed
            ? `killed after ${timeout} ms`
            : `exit ${String(error.code ?? error.signal)}`;
          reject(
            new Error(
              `${name} ${args.join(' ')} failed (${why}): ${stderr.trim() || stdout.trim() || error.message}`,
            ),
          );
          return;
        }
        resolve({ stdout, stderr });
      },
    );
    child.stdin?.end(options.input);
  });
}
