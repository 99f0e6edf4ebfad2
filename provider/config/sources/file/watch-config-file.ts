import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { toSignetError } from '../../../errors.js';
import type { SignetError } from '../../../errors.js';
import type { ConfigSnapshot } from '../../config.types.js';
import { createSnapshot } from '../../snapshot/create-snapshot.js';
import { withKeyVaultMaterial, type KeyVaultMaterialSource } from '../azure-key-vault/index.js';
import { parseConfigYaml } from '../parse-config-yaml.js';
import { describeConfigFile, readConfigFileText } from './load-config-file.js';
import type { ConfigFileOptions } from './load-config-file.js';

export interface WatchConfigFileOptions extends ConfigFileOptions {
  /** Safety net for changes fs.watch misses (network filesystems, some editors). Default 2000 ms. */
  readonly pollIntervalMs?: number;
  /** Coalesces the burst of events one save produces. Default 100 ms. */
  readonly debounceMs?: number;
  /** Generation of the first good load; each later good load adds one. Default 1. */
  readonly firstGeneration?: number;
  /** Fetches `azurekeyvault` providers' material for each load; a refresh that changes it reloads. */
  readonly keyVault?: KeyVaultMaterialSource;
}

export interface ConfigFileWatcher {
  /** Reads the file now; resolves once that load (and any change queued behind it) is done. No-op once closed. */
  reload(): Promise<void>;
  /** Stops watching; no callback runs after the returned promise resolves. */
  close(): Promise<void>;
}

class FileWatcher implements ConfigFileWatcher {
  private readonly source: string;
  private generation: number;
  /** The text last attempted, good or bad: unchanged text is not reloaded nor re-reported. */
  private lastText: string | undefined;
  private lastReadFailure: string | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private closed = false;
  private debounceTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private fsWatcher: FSWatcher | undefined;
  private stopKeyVaultWatch: (() => void) | undefined;

  constructor(
    private readonly path: string,
    private readonly onSnapshot: (snapshot: ConfigSnapshot) => void,
    private readonly onError: (error: SignetError) => void,
    private readonly options: WatchConfigFileOptions,
  ) {
    this.source = describeConfigFile(path);
    this.generation = options.firstGeneration ?? 1;
  }

  start(): void {
    this.stopKeyVaultWatch = this.options.keyVault?.onChange(() => {
      // The text is unchanged but what its providers hold is not: build again from it.
      this.lastText = undefined;
      this.schedule();
    });
    // Watch the directory, not the file: editors and Kubernetes ConfigMap updates replace the file
    // (rename, `..data` symlink swap), which ends a watch on the file itself.
    try {
      this.fsWatcher = watch(dirname(this.path), { persistent: false }, () => this.schedule());
      this.fsWatcher.on('error', () => this.stopFsWatch());
    } catch {
      // Not every filesystem supports fs.watch; polling below still sees every change.
      this.fsWatcher = undefined;
    }
    this.pollTimer = setInterval(() => this.schedule(), this.options.pollIntervalMs ?? 2000);
    this.pollTimer.unref();
  }

  private stopFsWatch(): void {
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 100);
    this.debounceTimer.unref();
  }

  reload(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running !== undefined) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.loadUntilSettled().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loadUntilSettled(): Promise<void> {
    do {
      this.rerun = false;
      await this.loadOnce();
    } while (this.rerun && !this.closed);
  }

  private async loadOnce(): Promise<void> {
    let text: string;
    try {
      text = await readConfigFileText(this.path, this.options);
    } catch (error) {
      const failure = toSignetError(error, 'config');
      if (failure.message === this.lastReadFailure) return;
      this.lastReadFailure = failure.message;
      this.lastText = undefined;
      this.emitError(failure);
      return;
    }
    this.lastReadFailure = undefined;
    if (text === this.lastText) return;
    this.lastText = text;
    let snapshot: ConfigSnapshot;
    try {
      const parsed = parseConfigYaml(text, this.source);
      const keyVault = this.options.keyVault;
      const resources = keyVault === undefined ? parsed : await withKeyVaultMaterial(parsed, keyVault);
      if (this.closed) return;
      snapshot = createSnapshot(resources, {
        generation: this.generation,
        source: this.source,
      });
    } catch (error) {
      this.emitError(toSignetError(error, 'config'));
      return;
    }
    this.generation += 1;
    if (this.closed) return;
    try {
      this.onSnapshot(snapshot);
    } catch (error) {
      this.emitError(toSignetError(error, 'config'));
    }
  }

  private emitError(error: SignetError): void {
    if (!this.closed) this.onError(error);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopKeyVaultWatch?.();
    clearTimeout(this.debounceTimer);
    clearInterval(this.pollTimer);
    this.stopFsWatch();
    await this.running;
  }
}

/**
 * Loads the file now and again whenever it changes (fs.watch on its directory, plus polling).
 * Each good load calls `onSnapshot` with the next generation; a bad one calls `onError` with the
 * reason and changes nothing, so the last good snapshot stays in force. Resolves after the first
 * load attempt, whatever its outcome.
 */
export async function watchConfigFile(
  path: string,
  onSnapshot: (snapshot: ConfigSnapshot) => void,
  onError: (error: SignetError) => void,
  options: WatchConfigFileOptions = {},
): Promise<ConfigFileWatcher> {
  const watcher = new FileWatcher(path, onSnapshot, onError, options);
  watcher.start();
  await watcher.reload();
  return watcher;
}
