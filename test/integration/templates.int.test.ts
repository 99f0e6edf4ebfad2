// The ConstraintTemplates under templates/ with the real opa (the version Gatekeeper v3.23 embeds): format, strict
// check and unit tests against a capabilities file that declares Gatekeeper's external_data; the generated
// template.yaml and capabilities.json must match what templates/generate.ts renders now; every sample and the
// constraints/ samples and initiatives must fit the templates' schemas, and the samples must judge as they say.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import {
  CAPABILITIES_FILE,
  TEMPLATES_DIR,
  listTemplates,
  parseTemplateMetadata,
  readOpaCapabilities,
  renderCapabilities,
  renderTemplate,
} from '../../templates/generate.js';
import type { TemplateMetadata } from '../../templates/generate.js';
import { REPO_ROOT } from '../helpers/process.js';
import { runTool } from '../helpers/tools.js';

const CONSTRAINTS_DIR = join(REPO_ROOT, 'constraints');
const SYSTEM_NAMESPACES = ['kube-system', 'gatekeeper-system'];
const EFFECTS = ['dryrun', 'warn', 'deny'];

/** Every .rego file under templates/, passed to opa by name so the YAML and JSON beside them are not data. */
function regoFiles(dir: string = TEMPLATES_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.rego'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const readText = (path: string) => readFileSync(path, 'utf8');
const readYaml = (path: string): unknown => parse(readText(path));

interface Constraint {
  kind: string;
  spec: {
    enforcementAction?: string;
    match?: { excludedNamespaces?: string[] };
    parameters?: Record<string, unknown>;
  };
}

function metadataOf(name: string): TemplateMetadata {
  return parseTemplateMetadata(name, readText(join(TEMPLATES_DIR, name, 'src.rego')));
}

const templates = listTemplates();
const metadataByKind = new Map(templates.map((name) => [metadataOf(name).kind, metadataOf(name)]));

/** Throws naming the file and ajv's errors when a constraint's parameters do not fit its template's schema. */
function expectParametersFit(file: string, constraint: Constraint): void {
  const metadata = metadataByKind.get(constraint.kind);
  if (metadata === undefined) throw new Error(`${file}: no template defines kind ${constraint.kind}`);
  const validate = new Ajv({ strict: false, allErrors: true }).compile({
    type: 'object',
    properties: metadata.parameters ?? {},
    additionalProperties: false,
  });
  if (!validate(constraint.spec.parameters ?? {})) {
    throw new Error(`${file}: parameters do not fit ${constraint.kind}: ${JSON.stringify(validate.errors)}`);
  }
}

interface OpaEvalOutput {
  result?: Array<{ expressions: Array<{ value: unknown }> }>;
}

/** The template's violations for one admission object, external_data answered by testlib's sample provider. */
async function violationsFor(name: string, object: unknown, parameters: unknown): Promise<unknown[]> {
  const { stdout } = await runTool(
    'opa',
    [
      'eval',
      '--format=json',
      `--capabilities=${CAPABILITIES_FILE}`,
      `--data=${join(TEMPLATES_DIR, name, 'src.rego')}`,
      `--data=${join(TEMPLATES_DIR, 'testlib', 'fixtures.rego')}`,
      '--stdin-input',
      `data.${name}.violation with external_data as data.testlib.sample_provider`,
    ],
    { input: JSON.stringify({ review: { object }, parameters }) },
  );
  const value = (JSON.parse(stdout) as OpaEvalOutput).result?.[0]?.expressions[0]?.value;
  if (!Array.isArray(value)) throw new Error(`opa eval gave no violation set for ${name}: ${stdout}`);
  return value as unknown[];
}

function listDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

describe('templates', () => {
  describe('rego with the real opa', () => {
    it('is formatted and passes opa check --strict with external_data declared', async () => {
      await runTool('opa', ['fmt', '--list', '--fail', ...regoFiles()]);
      await runTool('opa', ['check', '--strict', `--capabilities=${CAPABILITIES_FILE}`, ...regoFiles()]);
    });

    it('passes opa test with every branch of every template', async () => {
      const { stdout } = await runTool('opa', [
        'test',
        '-v',
        `--capabilities=${CAPABILITIES_FILE}`,
        ...regoFiles(),
      ]);
      const passed = /^PASS: (\d+)\/(\d+)$/m.exec(stdout);
      expect(passed).not.toBeNull();
      expect(passed?.[1]).toBe(passed?.[2]);
      for (const name of templates) {
        expect(stdout).toContain(`data.${name}.test_`);
      }
    });
  });

  describe('generated files', () => {
    it.each(templates)('%s/template.yaml is what generate.ts renders from src.rego', async (name) => {
      const source = readText(join(TEMPLATES_DIR, name, 'src.rego'));
      const committed = readText(join(TEMPLATES_DIR, name, 'template.yaml'));
      expect(committed).toBe(await renderTemplate(name, source));
      const template = parse(committed) as {
        spec: {
          targets: Array<{ code: Array<{ engine: string; source: { version: string; rego: string } }> }>;
        };
      };
      expect(template.spec.targets[0]?.code[0]).toEqual({
        engine: 'Rego',
        source: { version: 'v1', rego: source },
      });
    });

    it('capabilities.json is the installed opa capabilities plus external_data', async () => {
      expect(readText(CAPABILITIES_FILE)).toBe(await renderCapabilities(await readOpaCapabilities()));
    });
  });

  describe('samples', () => {
    const cases = templates.flatMap((name) =>
      listDirs(join(TEMPLATES_DIR, name, 'samples')).map((sample) => ({ name, sample })),
    );

    it('every template has at least one sample', () => {
      expect(new Set(cases.map(({ name }) => name))).toEqual(new Set(templates));
    });

    it.each(cases)('$name/$sample judges its examples as named', async ({ name, sample }) => {
      const dir = join(TEMPLATES_DIR, name, 'samples', sample);
      const constraint = readYaml(join(dir, 'constraint.yaml')) as Constraint;
      expect(constraint.kind).toBe(metadataOf(name).kind);
      expectParametersFit(relative(REPO_ROOT, dir), constraint);
      const parameters = constraint.spec.parameters ?? {};
      expect(await violationsFor(name, readYaml(join(dir, 'example_allowed.yaml')), parameters)).toEqual([]);
      expect(
        (await violationsFor(name, readYaml(join(dir, 'example_disallowed.yaml')), parameters)).length,
      ).toBeGreaterThan(0);
    });
  });
});

describe('constraints', () => {
  describe('samples per effect', () => {
    const files = EFFECTS.flatMap((effect) =>
      readdirSync(join(CONSTRAINTS_DIR, 'samples', effect))
        .filter((file) => file.endsWith('.yaml'))
        .map((file) => ({ effect, file: join('constraints', 'samples', effect, file) })),
    );

    it('has a sample for every effect', () => {
      expect(new Set(files.map(({ effect }) => effect))).toEqual(new Set(EFFECTS));
    });

    it.each(files)(
      '$file uses its effect, excludes the system namespaces and fits its template',
      ({ effect, file }) => {
        const constraint = readYaml(join(REPO_ROOT, file)) as Constraint;
        expect(constraint.spec.enforcementAction).toBe(effect);
        expect(constraint.spec.match?.excludedNamespaces).toEqual(expect.arrayContaining(SYSTEM_NAMESPACES));
        expectParametersFit(file, constraint);
      },
    );
  });

  describe('initiatives', () => {
    // The Azure policy definitions generated by provider/compliance/initiatives/generate-initiatives.ts (whose
    // unit test checks drift and Azure's shape); here: each carries a template of this tree and sets only its
    // parameters, and each initiative offers Audit, Deny and Disabled and excludes the system namespaces.
    interface PolicyDefinition {
      name: string;
      properties: {
        policyRule: { then: { details: { templateInfo: { content: string }; values: object } } };
      };
    }
    interface PolicySetDefinition {
      name: string;
      properties: { parameters: Record<string, { allowedValues?: string[]; defaultValue: unknown }> };
    }
    const initiativesDir = join(CONSTRAINTS_DIR, 'initiatives');
    const jsonFiles = (dir: string) => readdirSync(dir).filter((file) => file.endsWith('.json'));
    const sets = jsonFiles(initiativesDir).map(
      (file) => JSON.parse(readText(join(initiativesDir, file))) as PolicySetDefinition,
    );
    const definitions = jsonFiles(join(initiativesDir, 'definitions'))
      .filter((file) => !file.endsWith('.public-url.json'))
      .map((file) => JSON.parse(readText(join(initiativesDir, 'definitions', file))) as PolicyDefinition);

    it.each(sets.map((set) => [set.name, set] as const))(
      '%s offers Audit, Deny and Disabled and excludes the system namespaces by default',
      (_name, set) => {
        const { parameters } = set.properties;
        expect(parameters.effect?.allowedValues).toEqual(['Audit', 'Deny', 'Disabled']);
        expect(parameters.excludedNamespaces?.defaultValue).toEqual(
          expect.arrayContaining(SYSTEM_NAMESPACES),
        );
        expect(parameters.excludedImages?.defaultValue).toEqual([]);
      },
    );

    it.each(definitions.map((definition) => [definition.name, definition] as const))(
      '%s carries a template of templates/ and sets only its parameters',
      (_name, definition) => {
        const { details } = definition.properties.policyRule.then;
        const template = parse(Buffer.from(details.templateInfo.content, 'base64').toString('utf8')) as {
          metadata: { name: string };
          spec: { crd: { spec: { names: { kind: string } } } };
        };
        const name = template.metadata.name;
        expect(templates).toContain(name);
        expect(template.spec.crd.spec.names.kind).toBe(metadataOf(name).kind);
        const parameterNames = Object.keys(metadataOf(name).parameters ?? {});
        expect(parameterNames).toEqual(expect.arrayContaining(Object.keys(details.values)));
      },
    );
  });
});
