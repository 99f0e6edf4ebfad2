import { jest } from '@jest/globals';
import { createConfigStore, loadDefaultConfig, type ConfigSnapshot } from './config/index.js';
import { createLogger, createMetrics } from './observability/index.js';
import { createRuntime, perGeneration, verifierProblems } from './runtime.js';

const silent = createLogger({ level: 'silent' });

function generation(snapshot: ConfigSnapshot, next: number): ConfigSnapshot {
  return { ...snapshot, generation: next };
}

describe('perGeneration', () => {
  afterEach(() => jest.useRealTimers());

  it('builds once per generation and retires the previous value only after the grace period', async () => {
    jest.useFakeTimers();
    const snapshot = await loadDefaultConfig();
    const built: number[] = [];
    const disposed: number[] = [];
    const valueFor = perGeneration(
      (s) => {
        built.push(s.generation);
        return s.generation;
      },
      (value) => disposed.push(value),
      1_000,
    );
    expect(valueFor(snapshot)).toBe(snapshot.generation);
    expect(valueFor(snapshot)).toBe(snapshot.generation);
    expect(valueFor(generation(snapshot, 7))).toBe(7);
    expect(built).toEqual([snapshot.generation, 7]);
    expect(disposed).toEqual([]); // a verification may still hold it
    jest.advanceTimersByTime(1_000);
    expect(disposed).toEqual([snapshot.generation]);
  });
});

describe('createRuntime', () => {
  it('answers through the pipeline with the configuration in force', async () => {
    const store = createConfigStore();
    store.publish(await loadDefaultConfig());
    const metrics = createMetrics();
    const runtime = createRuntime(store, {
      logger: silent,
      metrics,
      verdictTtlSeconds: 60,
      failureTtlSeconds: 60,
      maxSignatures: 4,
    });
    try {
      const result = await runtime.pipeline.verify('Not a Reference!', {
        signal: AbortSignal.timeout(5_000),
        traceId: 'test',
      });
      expect(result.isSuccess).toBe(false);
      expect(result.error?.code).toBe('REFERENCE_INVALID');
    } finally {
      runtime.close();
    }
  });
});

describe('verifierProblems', () => {
  it('names the verifier that cannot verify anything (the embedded default without its mounted trust store)', async () => {
    const problems = await verifierProblems(await loadDefaultConfig());
    expect(problems).toEqual([
      expect.stringMatching(/^Verifier "notation": .*trust store "default" of type "ca" does not exist/),
    ]);
  });
});
