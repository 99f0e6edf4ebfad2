// `signet verify <images...>`: the provider's pipeline from the command line; exit 1 when any image is denied.
import { Command, Option } from 'commander';
import { createConfigStore } from '../config/index.js';
import { createLogger, newTraceId } from '../observability/index.js';
import type { ImageResult } from '../verdict/index.js';
import { createRuntime, loadConfigOnce } from '../runtime.js';
import { toRatifyResult } from '../server/index.js';
import { integer } from './options.js';

function describeResult(result: ImageResult): string {
  const lines = [
    `image:    ${result.key}`,
    `subject:  ${result.subject ?? '(unresolved)'}`,
    `verdict:  ${result.isSuccess ? 'ALLOWED' : 'DENIED'}`,
  ];
  if (result.error !== undefined)
    lines.push(`reason:   ${result.error.describe()}`, `fix:      ${result.error.remediation}`);
  for (const report of result.reports) {
    lines.push(
      `  - ${report.isSuccess ? 'pass' : 'FAIL'} ${report.verifierName} ${report.subject}: ${report.message}`,
    );
  }
  return lines.join('\n');
}

export async function verifyCommand(
  images: string[],
  options: { config?: string; output: string; deadlineMs: number },
): Promise<void> {
  const store = createConfigStore();
  store.publish(await loadConfigOnce(options.config));
  const logger = createLogger({ level: 'silent' });
  const runtime = createRuntime(store, {
    logger,
    metrics: undefined,
    verdictTtlSeconds: 0,
    failureTtlSeconds: 0,
    maxSignatures: 32,
  });
  try {
    const results = await Promise.all(
      images.map((image) => {
        const traceId = newTraceId();
        return runtime.pipeline
          .verify(image, { signal: AbortSignal.timeout(options.deadlineMs), traceId })
          .then((result) => ({ result, traceId }));
      }),
    );
    if (options.output === 'json') {
      const now = new Date();
      const rendered = results.map(({ result, traceId }) => ({
        key: result.key,
        value: toRatifyResult(result, { traceId, now }),
      }));
      process.stdout.write(`${JSON.stringify(rendered, null, 2)}\n`);
    } else {
      process.stdout.write(`${results.map(({ result }) => describeResult(result)).join('\n\n')}\n`);
    }
    if (results.some(({ result }) => !result.isSuccess)) process.exitCode = 1;
  } finally {
    runtime.close();
  }
}

export function addVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('verify images with the same pipeline the provider uses; exit 1 when any is denied')
    .argument('<images...>', 'image references (optionally [namespace]image)')
    .option('--config <file>', 'Ratify resources (default: embedded)')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .addOption(
      new Option('--deadline-ms <ms>', 'deadline per image').argParser(integer(100, 600_000)).default(30_000),
    )
    .action((images: string[], options: { config?: string; output: string; deadlineMs: number }) =>
      verifyCommand(images, options),
    );
}
