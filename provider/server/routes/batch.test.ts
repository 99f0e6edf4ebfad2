import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';
import { SignetError } from '../../errors.js';
import { createAdmissionControl, createCachedKeyHints } from '../admission-control.js';
import type { AdmissionControl, CachedKeyHints } from '../admission-control.js';
import { settleKeys } from './batch.js';

type Outcome =
  | { readonly $case: 'value'; readonly key: string }
  | { readonly $case: 'failed'; readonly error: SignetError };

/** A response that the test closes by hand (the client hanging up), as settleKeys watches it. */
function fakeResponse() {
  const res = Object.assign(new EventEmitter(), { writableFinished: false });
  return { res: res as unknown as Response, hangUp: () => res.emit('close') };
}

/** Work the test finishes by hand; it also ends, as the pipeline does, when its signal aborts. */
function controlledWork() {
  const pending = new Map<string, (outcome: Outcome) => void>();
  const run = (key: string, signal: AbortSignal): Promise<Outcome> => {
    if (key.startsWith('cached')) return Promise.resolve({ $case: 'value', key });
    return new Promise((resolve) => {
      pending.set(key, resolve);
      signal.addEventListener('abort', () => setImmediate(() => resolve({ $case: 'value', key })), {
        once: true,
      });
    });
  };
  return { run, finish: (key: string) => pending.get(key)?.({ $case: 'value', key }) };
}

function batch(
  keys: readonly string[],
  admission: AdmissionControl,
  hints: CachedKeyHints,
  run: (key: string, signal: AbortSignal) => Promise<Outcome>,
  carryOverMs?: number,
) {
  const { res, hangUp } = fakeResponse();
  const settled = settleKeys<Outcome>({
    keys,
    deadlineMs: 60_000,
    res,
    admission,
    hints,
    run,
    onAbort: (_key, error) => ({ $case: 'failed', error }),
    ...(carryOverMs === undefined ? {} : { carryOverMs }),
  });
  return { settled, hangUp };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('settleKeys', () => {
  describe('admission', () => {
    it('answers a key the cache holds while every slot waits on registry work', async () => {
      const admission = createAdmissionControl({ maxInFlight: 1, cachedReserve: 1 });
      const hints = createCachedKeyHints();
      const work = controlledWork();
      // First seen: uncached lane; answered without I/O, so remembered.
      await batch(['cached-a'], admission, hints, work.run).settled;
      expect(hints.has('cached-a')).toBe(true);

      const busy = batch(['registry-1'], admission, hints, work.run);
      await turn();
      const mixed = batch(['cached-a', 'registry-2'], admission, hints, work.run);
      await turn();
      expect(admission.stats()).toMatchObject({ inFlight: 1, queued: { uncached: 1 } });
      mixed.hangUp();
      const answers = await mixed.settled;
      expect(answers.get('cached-a')?.value).toEqual({ $case: 'value', key: 'cached-a' });
      const shed = answers.get('registry-2')?.value;
      expect(shed?.$case === 'failed' && shed.error.code).toBe('OVERLOADED');
      expect(shed?.$case === 'failed' && shed.error.image).toBe('registry-2');

      work.finish('registry-1');
      await busy.settled;
      expect(admission.stats().inFlight).toBe(0);
    });

    it('holds the slot until the work settles, even after its answer was given up', async () => {
      const admission = createAdmissionControl({ maxInFlight: 1 });
      const hints = createCachedKeyHints();
      let finish: (() => void) | undefined;
      const stubborn = (key: string): Promise<Outcome> =>
        new Promise((resolve) => (finish = () => resolve({ $case: 'value', key })));
      const request = batch(['stuck'], admission, hints, stubborn);
      await turn();
      request.hangUp();
      const answers = await request.settled;
      const given = answers.get('stuck')?.value;
      expect(given?.$case === 'failed' && given.error.code).toBe('TIMEOUT');
      expect(admission.stats().inFlight).toBe(1);
      // Finished from a timer, as registry work finishes from I/O: a later turn of the event loop.
      await new Promise((resolve) => setTimeout(() => resolve(finish?.()), 0));
      await turn();
      expect(admission.stats().inFlight).toBe(0);
      expect(hints.has('stuck')).toBe(false);
    });
  });

  describe('work carried over past the answer', () => {
    it('keeps running and queued keys going after the answer was given up, in request order', async () => {
      const admission = createAdmissionControl({ maxInFlight: 1 });
      const hints = createCachedKeyHints();
      const work = controlledWork();
      const signals = new Map<string, AbortSignal>();
      const run = (key: string, signal: AbortSignal) => {
        signals.set(key, signal);
        return work.run(key, signal);
      };
      const request = batch(['registry-1', 'registry-2'], admission, hints, run, 60_000);
      await turn();
      expect(admission.stats()).toMatchObject({ inFlight: 1, queued: { uncached: 1 } });
      request.hangUp();
      const answers = await request.settled;
      const running = answers.get('registry-1')?.value;
      const queued = answers.get('registry-2')?.value;
      expect(running?.$case === 'failed' && running.error.code).toBe('TIMEOUT');
      expect(queued?.$case === 'failed' && queued.error.code).toBe('OVERLOADED');
      expect(queued?.$case === 'failed' && queued.error.reason).toContain('stays queued');
      // The work goes on: its signal holds, and the queued key waits on, behind any fresh key.
      expect(signals.get('registry-1')?.aborted).toBe(false);
      expect(admission.stats()).toMatchObject({ inFlight: 1, queued: { uncached: 0, carried: 1 } });
      work.finish('registry-1');
      await new Promise((resolve) => setTimeout(resolve, 0));
      await turn();
      expect(signals.has('registry-2')).toBe(true);
      work.finish('registry-2');
      await new Promise((resolve) => setTimeout(resolve, 0));
      await turn();
      expect(admission.stats().inFlight).toBe(0);
    });
  });

  describe('listeners', () => {
    // Node emits MaxListenersExceededWarning on the real `process`, which Jest's sandbox does not expose: the
    // batch runs in a child process that listens to its own 'warning' events. Node 20 warned past 10 listeners
    // on an AbortSignal; Node 24 never warns for AbortSignal (its limit is 0), so the child gives every
    // AbortController's signal Node 20's limit of 10 again, and checks with a control that it would warn.
    it('a 1000-key batch adds no more than a handful of listeners to any signal (no warning)', async () => {
      const batchModule = fileURLToPath(new URL('./batch.ts', import.meta.url));
      const admissionModule = fileURLToPath(new URL('../admission-control.ts', import.meta.url));
      const script = `
        import { EventEmitter, setMaxListeners } from 'node:events';
        const NodeAbortController = globalThis.AbortController;
        globalThis.AbortController = class extends NodeAbortController {
          constructor() {
            super();
            setMaxListeners(10, this.signal);
          }
        };
        const { settleKeys } = await import(${JSON.stringify(batchModule)});
        const { createAdmissionControl, createCachedKeyHints } = await import(${JSON.stringify(admissionModule)});
        const warnings = [];
        process.on('warning', (warning) => warnings.push(warning.name + ': ' + warning.message));
        const res = Object.assign(new EventEmitter(), { writableFinished: false });
        // Like the pipeline: the wait in the cache's single flight, a registry call and its retry timer.
        const run = (key, signal) => new Promise((resolve) => {
          for (let i = 0; i < 3; i += 1) signal.addEventListener('abort', () => undefined, { once: true });
          setImmediate(() => resolve(key));
        });
        const keys = Array.from({ length: 1000 }, (_, i) => 'registry.example/app-' + i + ':v1');
        const settled = await settleKeys({
          keys, deadlineMs: 60_000, res,
          admission: createAdmissionControl({ maxInFlight: 100 }),
          hints: createCachedKeyHints(),
          run, onAbort: (key) => key,
        });
        await new Promise((resolve) => setImmediate(resolve));
        const batchWarnings = [...warnings];
        // The control: eleven listeners on one signal must be seen, or the check proves nothing.
        const control = new AbortController();
        for (let i = 0; i < 11; i += 1) control.signal.addEventListener('abort', () => undefined);
        await new Promise((resolve) => setImmediate(resolve));
        process.stdout.write(JSON.stringify({ settled: settled.size, batchWarnings, control: warnings.length - batchWarnings.length }));
      `;
      const output = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('error', reject);
        child.once('exit', (code) =>
          code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}: ${stderr}`)),
        );
      });
      expect(JSON.parse(output)).toEqual({ settled: 1000, batchWarnings: [], control: 1 });
    }, 30_000);
  });
});
