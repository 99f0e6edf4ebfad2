import type { KeyProviderConfig } from '../../config.types.js';
import type { KeyVaultFetcher, KeyVaultMaterial } from './fetch-key-vault.js';
import {
  createKeyVaultMaterialSource,
  DEFAULT_REFRESH_INTERVAL_MS,
  MIN_REFRESH_INTERVAL_MS,
  toRefreshIntervalMs,
  type RefreshScheduler,
} from './key-vault-material.js';

function provider(name: string, certificateName: string, refreshInterval?: string): KeyProviderConfig {
  return {
    $case: 'keyProvider',
    resource: { kind: 'KeyManagementProvider', name, namespace: undefined, document: undefined },
    provider: 'azurekeyvault',
    refreshInterval,
    certificates: [],
    publicKeys: [],
    azureKeyVault: {
      vaultURI: 'https://vault.example/',
      tenantID: 't',
      clientID: 'c',
      cloudName: undefined,
      certificates: [{ name: certificateName, version: undefined }],
      keys: [],
    },
  };
}

function material(fingerprint: string, problem?: string): KeyVaultMaterial {
  return { certificates: [], publicKeys: [], objects: [], problem, fingerprint };
}

/** A fetcher answering from a script, counting calls per certificate name. */
function scriptedFetcher(answers: Map<string, KeyVaultMaterial>): KeyVaultFetcher & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetchMaterial(settings) {
      const name = settings.certificates[0]?.name ?? '';
      calls.push(name);
      return Promise.resolve(answers.get(name) ?? material('none', 'not scripted'));
    },
  };
}

/** Timers the test fires by hand. */
function manualScheduler(): RefreshScheduler & { intervals: number[]; fire(): void; cancelled: number } {
  const runs: (() => void)[] = [];
  const scheduler = {
    intervals: [] as number[],
    cancelled: 0,
    every(intervalMs: number, run: () => void) {
      scheduler.intervals.push(intervalMs);
      runs.push(run);
      return { cancel: () => (scheduler.cancelled += 1) };
    },
    fire() {
      runs.forEach((run) => run());
    },
  };
  return scheduler;
}

describe('toRefreshIntervalMs', () => {
  it.each([
    [undefined, DEFAULT_REFRESH_INTERVAL_MS],
    ['1h30m', 5_400_000],
    ['2s', 2_000],
    ['1.5m', 90_000],
    ['10ms', MIN_REFRESH_INTERVAL_MS],
  ])('%s → %d ms', (text, expected) => {
    expect(toRefreshIntervalMs(text)).toBe(expected);
  });
});

describe('createKeyVaultMaterialSource', () => {
  describe('prepare and apply', () => {
    it('fetches each provider once, and puts its material (or why it has none) in place', async () => {
      const answers = new Map([
        ['good', material('a')],
        ['bad', material('b', 'certificate bad is disabled')],
      ]);
      const fetcher = scriptedFetcher(answers);
      const source = createKeyVaultMaterialSource({ fetcher, scheduler: manualScheduler() });
      const good = provider('good', 'good');
      const bad = provider('bad', 'bad');
      expect(source.apply(good).unavailable).toMatch(/not been fetched yet/);
      await source.prepare([good, bad]);
      await source.prepare([good, bad]);
      expect(fetcher.calls).toEqual(['good', 'bad']);
      expect(source.apply(good).unavailable).toBeUndefined();
      expect(source.apply(bad).unavailable).toBe('certificate bad is disabled');
      expect(source.materialOf(good)?.fingerprint).toBe('a');
    });

    it('fetches again when a provider’s vault settings change, and forgets providers no longer listed', async () => {
      const fetcher = scriptedFetcher(
        new Map([
          ['one', material('1')],
          ['two', material('2')],
        ]),
      );
      const scheduler = manualScheduler();
      const source = createKeyVaultMaterialSource({ fetcher, scheduler });
      await source.prepare([provider('p', 'one', '2s')]);
      await source.prepare([provider('p', 'two', '2s')]);
      expect(fetcher.calls).toEqual(['one', 'two']);
      expect(scheduler.intervals).toEqual([2_000, 2_000]);
      expect(scheduler.cancelled).toBe(1);
      expect(source.materialOf(provider('p', 'one', '2s'))).toBeUndefined();
    });
  });

  describe('refresh', () => {
    it('tells listeners when a refresh changes the material, and only then', async () => {
      const answers = new Map([['c', material('v1')]]);
      const fetcher = scriptedFetcher(answers);
      const scheduler = manualScheduler();
      const source = createKeyVaultMaterialSource({ fetcher, scheduler });
      let changes = 0;
      source.onChange(() => (changes += 1));
      await source.prepare([provider('p', 'c')]);
      await source.refreshAll();
      expect(changes).toBe(0);
      answers.set('c', material('v2'));
      await source.refreshAll();
      expect(changes).toBe(1);
      expect(source.materialOf(provider('p', 'c'))?.fingerprint).toBe('v2');
    });

    it('is what the interval timer runs; close stops it', async () => {
      const fetcher = scriptedFetcher(new Map([['c', material('v1')]]));
      const scheduler = manualScheduler();
      const source = createKeyVaultMaterialSource({ fetcher, scheduler });
      await source.prepare([provider('p', 'c')]);
      scheduler.fire();
      expect(fetcher.calls).toEqual(['c', 'c']);
      source.close();
      expect(scheduler.cancelled).toBe(1);
    });
  });
});
