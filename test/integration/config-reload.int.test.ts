import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { notationConfig } from '../helpers/ratify-config.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConfigStore, watchConfigFile } from '../../provider/config/index.js';
import type { ConfigFileWatcher, ConfigStore, NotationVerifierConfig } from '../../provider/config/index.js';
import type { SignetError } from '../../provider/errors.js';

const WAIT_LIMIT_MS = 10_000;

/** Polls `condition` until it holds; fails with `what` after WAIT_LIMIT_MS. */
async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_LIMIT_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function config(level: string, version = '"1.0"'): string {
  return notationConfig({
    trust: { $case: 'paths', paths: ['/etc/signet/truststore/notation'] },
    level,
    version,
  });
}

function level(store: ConfigStore): string | undefined {
  const verifier = store.current().verifiers[0] as NotationVerifierConfig | undefined;
  return verifier?.trustPolicyDoc.trustPolicies[0]?.signatureVerification.level;
}

describe('watchConfigFile', () => {
  let directory = '';
  let path = '';
  let watcher: ConfigFileWatcher | undefined;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'signet-reload-'));
    path = join(directory, 'config.yaml');
  });

  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await rm(directory, { recursive: true, force: true });
  });

  async function start(store: ConfigStore, errors: SignetError[]): Promise<ConfigFileWatcher> {
    watcher = await watchConfigFile(
      path,
      (snapshot) => store.publish(snapshot),
      (error) => {
        errors.push(error);
        store.recordError(error);
      },
      { pollIntervalMs: 200, debounceMs: 20 },
    );
    return watcher;
  }

  describe('good → bad → good', () => {
    it('keeps the last good snapshot, reports why, and numbers good loads', async () => {
      await writeFile(path, config('strict'));
      const store = createConfigStore();
      const errors: SignetError[] = [];
      const active = await start(store, errors);
      const first = store.current();
      expect(first.generation).toBe(1);
      expect(first.sourceDescription).toBe(`file ${path}`);
      expect(level(store)).toBe('strict');

      // A bad edit in place: reported, and the good snapshot stays in force.
      await writeFile(path, config('strict', '1.0'));
      await waitFor('the bad reload to be reported', () => errors.length === 1);
      expect(errors[0]?.code).toBe('CONFIG_INVALID');
      expect(errors[0]?.message).toBe(
        'document 2 (Verifier "verifier-notation"): spec.parameters.trustPolicyDoc.version: must be "1.0"',
      );
      expect(store.current()).toBe(first);
      expect(store.lastError()).toBe(errors[0]);

      // Unchanged bad text is neither reloaded nor reported again.
      await active.reload();
      expect(errors).toHaveLength(1);

      // A good file swapped in by rename, as editors and ConfigMap updates do.
      await writeFile(join(directory, 'config.yaml.new'), config('permissive'));
      await rename(join(directory, 'config.yaml.new'), path);
      await waitFor('generation 2', () => store.current().generation === 2);
      expect(level(store)).toBe('permissive');
      expect(store.lastError()).toBeUndefined();
      expect(Object.isFrozen(store.current())).toBe(true);

      // The file disappearing is reported once; the snapshot in force stays.
      await unlink(path);
      await waitFor('the missing file to be reported', () => errors.length === 2);
      expect(errors[1]?.message).toBe(`cannot read configuration file ${path}: no such file (ENOENT)`);
      expect(store.current().generation).toBe(2);

      // Restoring a good file loads it as a new generation.
      await writeFile(path, config('audit'));
      await waitFor('generation 3', () => store.current().generation === 3);
      expect(level(store)).toBe('audit');
      expect(errors).toHaveLength(2);
    });
  });

  describe('a bad first load', () => {
    it('leaves the store unloaded until the file is fixed', async () => {
      await writeFile(path, 'kind: [unterminated');
      const store = createConfigStore();
      const errors: SignetError[] = [];
      await start(store, errors);
      expect(store.isLoaded()).toBe(false);
      expect(errors).toHaveLength(1);
      expect(() => store.current()).toThrow(/^no configuration is loaded: document 1: YAML syntax error: /);

      await writeFile(path, config('strict'));
      await waitFor('the fixed file to load', () => store.isLoaded());
      expect(store.current().generation).toBe(1);
    });
  });

  describe('close', () => {
    it('stops reloading', async () => {
      await writeFile(path, config('strict'));
      const store = createConfigStore();
      const errors: SignetError[] = [];
      const active = await start(store, errors);
      await active.close();
      await writeFile(path, config('permissive'));
      await active.reload();
      expect(store.current().generation).toBe(1);
      expect(errors).toEqual([]);
    });
  });
});
