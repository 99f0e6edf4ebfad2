// `npm run soak [-- --minutes N]`: a bounded mixed load against a real signet process (see bench/soak-run.ts),
// default 10 minutes; writes bench/results/soak-latest.{json,md} and exits 1 when RSS after warm-up grows more
// than the bound (20%) over the run, or when an unsigned or missing image was allowed.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../test/helpers/process.js';
import { runSoak, soakMarkdown } from './soak-run.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'signed-images': { type: 'string', default: '300' },
    'unsigned-images': { type: 'string', default: '100' },
    clients: { type: 'string', default: '4' },
    'rss-growth-bound': { type: 'string', default: '0.2' },
  },
});

function positive(name: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new Error(`--${name} must be a positive number, got ${value}`);
  return parsed;
}

const durationMs = Math.round(positive('minutes', values.minutes) * 60_000);
const result = await runSoak({
  durationMs,
  // The first tenth of the run (at most two minutes) is warm-up: module loading, JIT, pools, caches filling.
  warmupMs: Math.min(120_000, Math.round(durationMs / 10)),
  sampleIntervalMs: 5_000,
  intervalMs: 60_000,
  signedImages: Math.round(positive('signed-images', values['signed-images'])),
  unsignedImages: Math.round(positive('unsigned-images', values['unsigned-images'])),
  clients: Math.round(positive('clients', values.clients)),
  rssGrowthBound: positive('rss-growth-bound', values['rss-growth-bound']),
  verdictTtlSeconds: 20,
  failureTtlSeconds: 10,
});
const markdown = soakMarkdown(result);
const resultsDir = join(REPO_ROOT, 'bench', 'results');
await mkdir(resultsDir, { recursive: true });
await writeFile(join(resultsDir, 'soak-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(join(resultsDir, 'soak-latest.md'), markdown);
console.log(markdown);
console.log(`written: ${join(resultsDir, 'soak-latest.json')}, ${join(resultsDir, 'soak-latest.md')}`);
if (!result.passed) process.exitCode = 1;
