import { SignetError } from '../errors.js';
import type { ConfigSnapshot } from './config.types.js';
import { createConfigStore } from './config-store.js';

function snapshot(generation: number): ConfigSnapshot {
  return Object.freeze({
    generation,
    sourceDescription: 'test',
    stores: [],
    verifiers: [],
    keyManagementProviders: [],
    certificateStores: [],
    policies: [],
    attestationAuthorities: [],
    attestationPolicies: [],
  });
}

const loadFailure = new SignetError('CONFIG_INVALID', {
  stage: 'config',
  reason: 'document 1: kind: is required',
});

describe('createConfigStore', () => {
  describe('before the first load', () => {
    it('is not loaded and current() explains why', () => {
      const store = createConfigStore();
      store.recordError(loadFailure);
      expect(store.isLoaded()).toBe(false);
      expect(() => store.current()).toThrow('no configuration is loaded: document 1: kind: is required');
    });
  });

  describe('publishing', () => {
    it('swaps snapshots atomically, notifies subscribers and clears the last error', () => {
      const store = createConfigStore();
      const seen: [number, number | undefined][] = [];
      const unsubscribe = store.subscribe((next, previous) =>
        seen.push([next.generation, previous?.generation]),
      );
      store.publish(snapshot(1));
      store.recordError(loadFailure);
      expect(store.current().generation).toBe(1);
      expect(store.lastError()).toBe(loadFailure);
      store.publish(snapshot(2));
      expect(store.lastError()).toBeUndefined();
      unsubscribe();
      store.publish(snapshot(3));
      expect(seen).toEqual([
        [1, undefined],
        [2, 1],
      ]);
      expect(store.current().generation).toBe(3);
    });

    it('refuses a snapshot that is not newer', () => {
      const store = createConfigStore();
      store.publish(snapshot(2));
      expect(() => store.publish(snapshot(2))).toThrow(
        'snapshot generation 2 is not newer than generation 2 in force',
      );
      expect(store.current().generation).toBe(2);
    });

    it('tells every subscriber even when one throws, then reports the failure', () => {
      const store = createConfigStore();
      let laterCalls = 0;
      store.subscribe(() => {
        throw new Error('listener bug');
      });
      store.subscribe(() => {
        laterCalls += 1;
      });
      expect(() => store.publish(snapshot(1))).toThrow('listener bug');
      expect(laterCalls).toBe(1);
      expect(store.current().generation).toBe(1);
    });
  });
});
