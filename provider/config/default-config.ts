import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SignetError } from '../errors.js';
import type { ConfigSnapshot } from './config.types.js';
import { createSnapshot } from './snapshot/create-snapshot.js';
import { parseConfigYaml } from './sources/parse-config-yaml.js';

/**
 * The default configuration ships as a YAML file next to this module: `provider/config/` when run
 * from source, `dist/` after `npm run build` (deploy/build-dist.ts copies it beside the bundle).
 */
export const DEFAULT_CONFIG_URL = new URL('./default-config.yaml', import.meta.url);
export const DEFAULT_CONFIG_SOURCE = 'embedded default configuration';

/** The embedded default as a snapshot; it never changes, so it is loaded once, not watched. */
export async function loadDefaultConfig(generation = 1): Promise<ConfigSnapshot> {
  let text: string;
  try {
    text = await readFile(DEFAULT_CONFIG_URL, 'utf8');
  } catch (error) {
    throw new SignetError('INTERNAL', {
      stage: 'config',
      reason: `the embedded default configuration is missing at ${fileURLToPath(DEFAULT_CONFIG_URL)} (rebuild with npm run build)`,
      cause: error,
    });
  }
  return createSnapshot(parseConfigYaml(text, DEFAULT_CONFIG_SOURCE), {
    generation,
    source: DEFAULT_CONFIG_SOURCE,
  });
}
