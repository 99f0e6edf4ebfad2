import { SignetError, toSignetError } from '../errors.js';
import type { ConfigSnapshot } from './config.types.js';

export type SnapshotListener = (snapshot: ConfigSnapshot, previous: ConfigSnapshot | undefined) => void;

/** Holds the snapshot in force. Readers take `current()` once per request and keep using it. */
export interface ConfigStore {
  /** The snapshot in force; throws CONFIG_INVALID before the first successful load. */
  current(): ConfigSnapshot;
  isLoaded(): boolean;
  /** Swaps in a newer snapshot (higher generation) and notifies subscribers. */
  publish(snapshot: ConfigSnapshot): void;
  /** Records why the latest load failed (the snapshot in force is kept), for readiness and logs. */
  recordError(error: SignetError): void;
  /** The failure of the latest load, cleared by the next successful publish. */
  lastError(): SignetError | undefined;
  /** Calls `listener` after each swap; returns the unsubscribe function. */
  subscribe(listener: SnapshotListener): () => void;
}

export function createConfigStore(): ConfigStore {
  let snapshot: ConfigSnapshot | undefined;
  let latestError: SignetError | undefined;
  const listeners = new Set<SnapshotListener>();

  return {
    current(): ConfigSnapshot {
      if (snapshot !== undefined) return snapshot;
      throw new SignetError('CONFIG_INVALID', {
        stage: 'config',
        reason:
          latestError === undefined
            ? 'no configuration is loaded yet'
            : `no configuration is loaded: ${latestError.message}`,
      });
    },

    isLoaded(): boolean {
      return snapshot !== undefined;
    },

    publish(next: ConfigSnapshot): void {
      const previous = snapshot;
      if (previous !== undefined && next.generation <= previous.generation) {
        throw new SignetError('INTERNAL', {
          stage: 'config',
          reason: `snapshot generation ${next.generation} is not newer than generation ${previous.generation} in force`,
        });
      }
      snapshot = next;
      latestError = undefined;
      // Every listener hears of the swap even if one throws; the first failure is rethrown after.
      let failure: unknown;
      for (const listener of [...listeners]) {
        try {
          listener(next, previous);
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw toSignetError(failure, 'config');
    },

    recordError(error: SignetError): void {
      latestError = error;
    },

    lastError(): SignetError | undefined {
      return latestError;
    },

    subscribe(listener: SnapshotListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
