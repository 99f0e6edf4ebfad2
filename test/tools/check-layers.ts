// `npm run layers` (and part of `npm run lint`): prints the import graph between the modules of provider/ (its
// top-level folders and files) floor by floor, and fails when a module imports one on its own or a higher floor of
// provider/layers.json, or when a module is on no floor. Imports are read with the TypeScript compiler's
// pre-processor (static, type-only, re-exports and dynamic `import()` alike); unit tests beside the code count too.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/process.js';

export interface LayerRules {
  readonly root: string;
  readonly floors: ReadonlyArray<{ readonly name: string; readonly modules: readonly string[] }>;
}

export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  /** `file: specifier` of every import making this edge, for the violation report. */
  readonly sites: readonly string[];
}

export interface LayerReport {
  readonly edges: readonly ImportEdge[];
  readonly violations: readonly ImportEdge[];
  /** Modules found under the root that no floor names. */
  readonly unplaced: readonly string[];
  readonly text: string;
}

async function sourceFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return Promise.resolve(entry.name.endsWith('.ts') ? [path] : []);
    }),
  );
  return nested.flat();
}

/** The module of a path under root: its first segment (`pipeline`, `errors.ts`); a file's unit test is the file's. */
function moduleOf(root: string, path: string): string | undefined {
  const inside = relative(root, path);
  if (inside.startsWith('..') || inside === '') return undefined;
  return inside
    .split(sep)[0]
    ?.replace(/\.js$/, '.ts')
    .replace(/\.test\.ts$/, '.ts');
}

/** Reads every import of every file under `rules.root` and judges it against the floors. */
export async function checkLayers(rules: LayerRules, repoRoot: string): Promise<LayerReport> {
  const root = resolve(repoRoot, rules.root);
  const floorOf = new Map<string, number>();
  rules.floors.forEach((floor, index) => floor.modules.forEach((module) => floorOf.set(module, index)));

  const sites = new Map<string, Map<string, string[]>>();
  const present = new Set<string>();
  for (const file of await sourceFiles(root)) {
    const from = moduleOf(root, file);
    if (from === undefined) continue;
    present.add(from);
    const info = ts.preProcessFile(await readFile(file, 'utf8'), true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const to = moduleOf(root, resolve(dirname(file), specifier));
      if (to === undefined || to === from) continue;
      const byTarget = sites.get(from) ?? new Map<string, string[]>();
      const list = byTarget.get(to) ?? [];
      list.push(`${relative(repoRoot, file)}: ${specifier}`);
      byTarget.set(to, list);
      sites.set(from, byTarget);
    }
  }

  const edges: ImportEdge[] = [...sites].flatMap(([from, byTarget]) =>
    [...byTarget].map(([to, list]) => ({ from, to, sites: list })),
  );
  // A module on no floor cannot be judged; it is reported, and its edges count as violations below.
  const unplaced = [...present].filter((module) => !floorOf.has(module)).sort();
  const violations = edges.filter(({ from, to }) => {
    const fromFloor = floorOf.get(from);
    const toFloor = floorOf.get(to);
    return fromFloor === undefined || toFloor === undefined || toFloor <= fromFloor;
  });
  return { edges, violations, unplaced, text: render(rules, edges, violations, unplaced) };
}

function render(
  rules: LayerRules,
  edges: readonly ImportEdge[],
  violations: readonly ImportEdge[],
  unplaced: readonly string[],
): string {
  const lines: string[] = [
    `import graph of ${rules.root}/ (module → modules it imports; ✗ breaks the layering)`,
  ];
  const bad = new Set(violations);
  for (const floor of rules.floors) {
    lines.push(`${floor.name}:`);
    for (const module of floor.modules) {
      const targets = edges
        .filter((edge) => edge.from === module)
        .sort((a, b) => a.to.localeCompare(b.to))
        .map((edge) =>
          bad.has(edge) ? `✗${edge.to}(${edge.sites.length})` : `${edge.to}(${edge.sites.length})`,
        );
      lines.push(`  ${module} → ${targets.length === 0 ? '∅' : targets.join(' ')}`);
    }
  }
  if (unplaced.length > 0) lines.push(`modules on no floor of provider/layers.json: ${unplaced.join(', ')}`);
  if (violations.length === 0 && unplaced.length === 0) {
    lines.push('layering holds: every import points to a lower floor');
    return lines.join('\n');
  }
  lines.push(`${violations.length} import edge(s) break the layering:`);
  for (const edge of violations) {
    lines.push(`  ${edge.from} → ${edge.to}`);
    for (const site of edge.sites) lines.push(`      ${site}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const rulesPath = join(REPO_ROOT, 'provider', 'layers.json');
  const rules = JSON.parse(await readFile(rulesPath, 'utf8')) as LayerRules;
  const report = await checkLayers(rules, REPO_ROOT);
  console.log(report.text);
  if (report.violations.length > 0 || report.unplaced.length > 0) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
