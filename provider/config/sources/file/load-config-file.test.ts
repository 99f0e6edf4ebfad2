import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignetError } from '../../../errors.js';
import { loadConfigFile, readConfigFileText } from './load-config-file.js';

let directory = '';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'signet-config-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SignetError && error.code === 'CONFIG_INVALID') return error.reason;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('loadConfigFile', () => {
  describe('unreadable files', () => {
    it('names a missing file', async () => {
      const path = join(directory, 'missing.yaml');
      expect(await reasonOf(loadConfigFile(path))).toBe(
        `cannot read configuration file ${path}: no such file (ENOENT)`,
      );
    });

    it('refuses a file over the size limit before parsing it', async () => {
      const path = join(directory, 'big.yaml');
      await writeFile(path, `# ${'x'.repeat(2000)}\n`);
      expect(await reasonOf(loadConfigFile(path, { maxBytes: 1024 }))).toBe(
        `cannot read configuration file ${path}: it is 2003 bytes, the limit is 1024`,
      );
    });

    it('refuses bytes that are not UTF-8', async () => {
      const path = join(directory, 'latin1.yaml');
      await writeFile(path, Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xe9, 0x0a]));
      expect(await reasonOf(loadConfigFile(path))).toBe(
        `cannot read configuration file ${path}: it is not UTF-8 text`,
      );
    });
  });

  describe('readable files', () => {
    it('strips a byte order mark', async () => {
      const path = join(directory, 'bom.yaml');
      await writeFile(path, '\ufeffkind: Store\n');
      expect(await readConfigFileText(path)).toBe('kind: Store\n');
    });

    it('names the file in validation errors', async () => {
      const path = join(directory, 'invalid.yaml');
      await writeFile(path, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
      try {
        await loadConfigFile(path);
        throw new Error('expected CONFIG_INVALID');
      } catch (error) {
        expect(error).toBeInstanceOf(SignetError);
        expect((error as SignetError).details).toMatchObject({ source: `file ${path}` });
      }
    });
  });
});
