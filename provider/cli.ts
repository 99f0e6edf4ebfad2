#!/usr/bin/env node
/**
 * The executable: runs the program and turns an error into an exit status and one message. Only this file and the
 * express error middleware turn errors into exits or responses.
 */
import { toSignetError } from './errors.js';
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const failure = toSignetError(error, 'config');
    process.stderr.write(`signet: ${failure.describe()}\n  ${failure.remediation}\n`);
    process.exit(failure.kind === 'config' ? 2 : 1);
  });
