/**
 * A short, fixed-size fuzzing run of every target (test/fuzz/targets) inside the unit suite: it fails when
 * libFuzzer finds an input for which a parser throws anything but its documented error, hangs or crashes,
 * and prints that input. `npm run fuzz` runs the same targets for longer.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildTargets, describeCrash, type FuzzBuild, fuzzTarget, TARGETS } from './run-fuzz.js';

const CRASHES = path.join(import.meta.dirname, 'crashes');

/** Every input the fuzzer once failed on, as [target, file]; each is kept as a regression. */
function recordedCrashes(): [string, string][] {
  if (!existsSync(CRASHES)) return [];
  return readdirSync(CRASHES).flatMap((target) =>
    readdirSync(path.join(CRASHES, target)).map((file): [string, string] => [target, file]),
  );
}

const RUNS = 2000;
// Fixed seed: the same inputs every run, so a failure here reproduces.
const SEED = 1;

const TIMEOUT_MS = 180_000;

let build: FuzzBuild | undefined;
let failed = false;

beforeAll(async () => {
  build = await buildTargets();
}, TIMEOUT_MS);

// The scratch tree stays when a target failed: it holds the artifact named in the failure.
afterAll(() => {
  if (build !== undefined && !failed) rmSync(build.dir, { recursive: true, force: true });
});

describe('recorded fuzz crashes', () => {
  it.each(recordedCrashes())('%s/%s now holds the property', async (target, file) => {
    const module = (await import(`./targets/${target}.js`)) as { fuzz: (data: Buffer) => void };
    expect(() => module.fuzz(readFileSync(path.join(CRASHES, target, file)))).not.toThrow();
  });
});

describe('fuzz targets', () => {
  it('has targets for every parser family', () => {
    expect(TARGETS).toEqual(
      expect.arrayContaining([
        'cbor',
        'config',
        'cosign-payloads',
        'der',
        'notation-envelopes',
        'provider-request',
        'reference',
        'timestamp',
      ]),
    );
  });

  it.each(TARGETS)(
    `%s: ${RUNS} executions find no failing input`,
    async (target) => {
      if (build === undefined) throw new Error('the fuzz targets were not built');
      const result = await fuzzTarget(build, target, { runs: RUNS, seed: SEED });
      if (!result.ok) {
        failed = true;
        throw new Error(describeCrash(result));
      }
      expect(result.executions).toBeGreaterThanOrEqual(RUNS);
      expect(result.coverage).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});
