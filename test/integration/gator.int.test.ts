// The templates' gator suites (templates/<name>/suite.yaml) with Gatekeeper's own `gator verify` (cmd/gator of the
// Gatekeeper module the e2e bed runs, built by test/tools/setup.sh). gator evaluates without external data — its
// Rego driver has no provider, so external_data is not even declared — hence a template that asks signet is judged
// through its generated gator variant (gator/template.yaml: the same Rego, external_data answered from the
// ProviderResponse in the case's inventory, templates/generate.ts). What the suites prove is the template's
// behaviour for a given provider answer under Gatekeeper's constraint framework (match, parameters, messages); the
// call to the provider itself is proved by the e2e bed (test/e2e/).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  TEMPLATES_DIR,
  callsExternalData,
  listTemplates,
  renderGatorTemplate,
} from '../../templates/generate.js';
import { runTool } from '../helpers/tools.js';

interface SuiteCase {
  readonly name: string;
  readonly object: string;
  readonly inventory?: readonly string[];
  readonly assertions?: ReadonlyArray<{ readonly violations?: unknown; readonly message?: string }>;
}

interface Suite {
  readonly kind: string;
  readonly tests: ReadonlyArray<{ readonly template: string; readonly cases: readonly SuiteCase[] }>;
}

const templates = listTemplates();
const readText = (...parts: string[]) => readFileSync(join(TEMPLATES_DIR, ...parts), 'utf8');
const sourceOf = (name: string) => readText(name, 'src.rego');
const suiteOf = (name: string) => parse(readText(name, 'suite.yaml')) as Suite;

/** A case expecting at least one violation and naming its message. */
function assertsDisallowedMessage(testCase: SuiteCase): boolean {
  return (testCase.assertions ?? []).some(
    ({ violations, message }) =>
      message !== undefined && violations !== undefined && !['no', 0, false].includes(violations as string),
  );
}

describe('gator suites', () => {
  describe('suite.yaml per template', () => {
    it.each(templates)('%s has one, with at least three disallowed cases asserting messages', (name) => {
      const suite = suiteOf(name);
      expect(suite.kind).toBe('Suite');
      const cases = suite.tests.flatMap((test) => test.cases);
      expect(cases.filter(assertsDisallowedMessage).length).toBeGreaterThanOrEqual(3);
      expect(cases.some((testCase) => testCase.assertions?.some((a) => a.violations === 'no'))).toBe(true);
      // Templates that ask the provider are judged through their gator variant, the others as they are.
      const expected = callsExternalData(sourceOf(name)) ? 'gator/template.yaml' : 'template.yaml';
      expect(new Set(suite.tests.map((test) => test.template))).toEqual(new Set([expected]));
    });

    it.each(templates.filter((name) => callsExternalData(sourceOf(name))))(
      '%s/gator/template.yaml is what generate.ts renders from src.rego',
      async (name) => {
        expect(readText(name, 'gator', 'template.yaml')).toBe(
          await renderGatorTemplate(name, sourceOf(name)),
        );
      },
    );
  });

  describe('gator verify', () => {
    it('passes every case of every suite', async () => {
      const { stdout } = await runTool('gator', ['verify', '--verbose', join(TEMPLATES_DIR, '...')], {
        timeoutMs: 180_000,
      });
      const cases = templates.flatMap((name) => suiteOf(name).tests.flatMap((test) => test.cases));
      for (const testCase of cases) expect(stdout).toContain(testCase.name);
      expect(stdout).not.toMatch(/\bFAIL\b/);
    });
  });
});
