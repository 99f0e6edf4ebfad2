import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SignetError } from '../../../errors.js';
import type { ConfigResource } from '../../config.types.js';
import { parseConfigYaml } from '../parse-config-yaml.js';

/** A configuration file larger than this is refused before it is read. */
export const MAX_CONFIG_FILE_BYTES = 4 * 1024 * 1024;

export interface ConfigFileOptions {
  readonly maxBytes?: number;
}

/** How a file source names itself in errors and in `ConfigSnapshot.sourceDescription`. */
export function describeConfigFile(path: string): string {
  return `file ${resolve(path)}`;
}

function unreadable(path: string, reason: string, cause?: unknown): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason: `cannot read configuration file ${resolve(path)}: ${reason}`,
    details: { source: describeConfigFile(path) },
    cause,
  });
}

const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
};

function describeFileError(error: unknown): string {
  // Duck-typed: fs errors may come from another realm (test sandboxes), where instanceof fails.
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  if (code !== undefined) return `${FILE_ERRORS[code] ?? 'read failed'} (${code})`;
  return String(error);
}

/** The file's text, refusing files over the limit and bytes that are not UTF-8. */
export async function readConfigFileText(path: string, options: ConfigFileOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_CONFIG_FILE_BYTES;
  let bytes: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) throw unreadable(path, `it is ${size} bytes, the limit is ${maxBytes}`);
      // Read one byte past the limit: the file may have grown since stat.
      const buffer = Buffer.alloc(Math.min(size, maxBytes) + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > maxBytes) throw unreadable(path, `it is over the limit of ${maxBytes} bytes`);
      bytes = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof SignetError) throw error;
    throw unreadable(path, describeFileError(error), error);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (error) {
    throw unreadable(path, 'it is not UTF-8 text', error);
  }
}

/** Reads and validates a multi-document YAML configuration file into resources. */
export async function loadConfigFile(
  path: string,
  options: ConfigFileOptions = {},
): Promise<ConfigResource[]> {
  return parseConfigYaml(await readConfigFileText(path, options), describeConfigFile(path));
}
