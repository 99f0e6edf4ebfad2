import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../helpers/process.js';
import { checkLayers, type LayerRules } from '../tools/check-layers.js';

const RULES: LayerRules = {
  root: 'src',
  floors: [
    { name: 'top', modules: ['server'] },
    { name: 'middle', modules: ['policy', 'verifiers'] },
    { name: 'bottom', modules: ['errors.ts'] },
  ],
};

let root: string;

async function tree(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const file = join(root, 'src', path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'signet-layers-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('checkLayers', () => {
  describe('a tree that keeps its floors', () => {
    it('finds every edge and no violation', async () => {
      await tree({
        'errors.ts': 'export class E {}\n',
        'verifiers/index.ts': "import { E } from '../errors.js';\nexport const v = E;\n",
        'server/app.ts': "import type { v } from '../verifiers/index.js';\nexport type T = typeof v;\n",
      });
      const report = await checkLayers(RULES, root);
      expect(report.edges.map(({ from, to }) => `${from}→${to}`).sort()).toEqual([
        'server→verifiers',
        'verifiers→errors.ts',
      ]);
      expect(report.violations).toEqual([]);
      expect(report.text).toContain('layering holds');
    });
  });

  describe('violations', () => {
    it('fails an import of a higher floor and of a sibling, naming the file and specifier', async () => {
      await tree({
        'server/app.ts': 'export const app = 1;\n',
        'policy/decide.ts': "export { app } from '../server/app.js';\n",
        'verifiers/v.ts': "const policy = await import('../policy/decide.js');\nexport default policy;\n",
      });
      const report = await checkLayers(RULES, root);
      expect(report.violations.map(({ from, to }) => `${from}→${to}`).sort()).toEqual([
        'policy→server',
        'verifiers→policy',
      ]);
      expect(report.text).toContain('src/policy/decide.ts: ../server/app.js');
    });

    it('reports a module on no floor', async () => {
      await tree({ 'utils/grab-bag.ts': 'export const x = 1;\n' });
      const report = await checkLayers(RULES, root);
      expect(report.unplaced).toEqual(['utils']);
    });
  });

  describe("signet's own tree", () => {
    it('keeps provider/layers.json', async () => {
      const rules = JSON.parse(
        await readFile(join(REPO_ROOT, 'provider', 'layers.json'), 'utf8'),
      ) as LayerRules;
      const report = await checkLayers(rules, REPO_ROOT);
      expect(report.unplaced).toEqual([]);
      expect(report.violations).toEqual([]);
    });
  });
});
