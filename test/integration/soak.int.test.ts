// The bounded soak inside `npm test`: the code `npm run soak` runs (bench/soak-run.ts) for ~60 s against a real
// olareg registry and a real signet process, with a looser RSS bound than the 10-minute run's 20% (a short run's
// post-warm-up window is closer to start-up growth). Prints the memory and latency figures.
import { MIB } from '../helpers/process.js';
import { runSoak, soakMarkdown } from '../../bench/soak-run.js';

const RSS_GROWTH_BOUND = 0.5;

describe('soak: ~60 s of mixed load against a real signet process', () => {
  it(`keeps every verdict right and RSS growth after warm-up below ${RSS_GROWTH_BOUND * 100}%`, async () => {
    const lines: string[] = [];
    const result = await runSoak({
      durationMs: 60_000,
      warmupMs: 15_000,
      sampleIntervalMs: 2_000,
      intervalMs: 15_000,
      signedImages: 40,
      unsignedImages: 20,
      clients: 3,
      rssGrowthBound: RSS_GROWTH_BOUND,
      verdictTtlSeconds: 5,
      failureTtlSeconds: 3,
      log: (line) => lines.push(line),
    });
    console.log(`${lines.join('\n')}\n${soakMarkdown(result)}`);
    expect(result.requests).toBeGreaterThan(0);
    expect(result.wrongAllows).toBe(0);
    expect(result.wrongVerdicts).toBe(0);
    expect(result.transportErrors).toBe(0);
    expect(result.systemErrors).toBe(0);
    expect(result.memory.baselineRssBytes / MIB).toBeGreaterThan(0);
    expect(result.failures).toEqual([]);
    expect(result.memory.rssGrowth).toBeLessThan(RSS_GROWTH_BOUND);
  }, 240_000);
});
