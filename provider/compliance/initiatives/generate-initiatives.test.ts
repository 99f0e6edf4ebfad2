// Drift check of constraints/initiatives/: the committed files are what generate-initiatives.ts renders from
// the committed templates, they fit the JSON Schemas of Azure's definition and set definition shape in
// constraints/initiatives/schema/, their Base64Encoded templates are the current template.yaml, and every
// set parameter and member reference is wired.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { definitionNameOf, referencedParameter } from './azure-expressions.js';
import type { PolicyDefinition, PolicySetDefinition } from './azure-policy.types.js';
import {
  DEFAULT_EXCLUDED_NAMESPACES,
  DEFINITIONS_SUBDIR,
  INITIATIVES_DIR,
  TEMPLATES_DIR,
  generateInitiativeFiles,
  listGeneratedFiles,
  parseTemplateYaml,
} from './generate-initiatives.js';

const readText = (path: string): string => readFileSync(join(INITIATIVES_DIR, path), 'utf8');
const readJson = <T>(path: string): T => JSON.parse(readText(path)) as T;

const files = listGeneratedFiles();
const definitionFiles = files.filter((path) => path.startsWith(`${DEFINITIONS_SUBDIR}/`));
const setFiles = files.filter((path) => !path.startsWith(`${DEFINITIONS_SUBDIR}/`));
const base64Files = definitionFiles.filter((path) => !path.endsWith('.public-url.json'));
const sets = setFiles.map((path) => readJson<PolicySetDefinition>(path));
const definitions = new Map(
  base64Files.map((path) => {
    const definition = readJson<PolicyDefinition>(path);
    return [definition.name, definition];
  }),
);

function schemaValidators() {
  const ajv = new Ajv({ allErrors: true, strict: true });
  for (const file of ['policy-definition.schema.json', 'policy-set-definition.schema.json'])
    ajv.addSchema(JSON.parse(readText(join('schema', file))) as object, file);
  const get = (file: string) => {
    const validate = ajv.getSchema(file);
    if (validate === undefined) throw new Error(`no schema ${file}`);
    return validate;
  };
  return { definition: get('policy-definition.schema.json'), set: get('policy-set-definition.schema.json') };
}
const validators = schemaValidators();

function validationErrors(kind: 'definition' | 'set', value: unknown): string[] {
  const validate = validators[kind];
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/** The ConstraintTemplate a Base64Encoded definition carries: its metadata.name and its text. */
function decodedTemplate(definition: PolicyDefinition): { name: string; text: string } {
  const { templateInfo } = definition.properties.policyRule.then.details;
  if (templateInfo.sourceType !== 'Base64Encoded') throw new Error(`${definition.name} is not Base64Encoded`);
  const text = Buffer.from(templateInfo.content, 'base64').toString('utf8');
  const name = /^ {2}name: (\S+)$/m.exec(text)?.[1];
  if (name === undefined) throw new Error(`${definition.name}: no metadata.name in its template`);
  return { name, text };
}

/** The set parameters a member reference's values name with `[parameters('x')]`. */
function referencedSetParameters(set: PolicySetDefinition): Set<string> {
  return new Set(
    set.properties.policyDefinitions.flatMap((reference) =>
      Object.values(reference.parameters).flatMap(({ value }) => referencedParameter(value) ?? []),
    ),
  );
}

describe('generate-initiatives', () => {
  describe('drift', () => {
    it('regenerating produces exactly the committed files', async () => {
      const generated = await generateInitiativeFiles();
      expect(files).toEqual([...generated.keys()].sort());
      for (const [path, text] of generated) expect({ path, text: readText(path) }).toEqual({ path, text });
    });

    it('ships the three initiatives and their members', () => {
      expect(setFiles).toEqual([
        'signet-digest-attestation.json',
        'signet-image-integrity-notation.json',
        'signet-image-signatures-cosign.json',
      ]);
      expect(definitionFiles.length).toBe(base64Files.length * 2);
    });
  });

  describe("Azure's shape", () => {
    it.each(definitionFiles)('%s fits the policy definition schema', (path) => {
      expect(validationErrors('definition', readJson(path))).toEqual([]);
    });

    it.each(setFiles)('%s fits the policy set definition schema', (path) => {
      expect(validationErrors('set', readJson(path))).toEqual([]);
    });

    it("rejects what Azure would not import: sourceType Path, Gatekeeper's nested kinds", () => {
      const [path] = base64Files;
      const definition = readJson<{
        properties: { policyRule: { then: { details: Record<string, unknown> } } };
      }>(path!);
      const details = definition.properties.policyRule.then.details;
      const withPath = structuredClone(definition);
      withPath.properties.policyRule.then.details.templateInfo = {
        sourceType: 'Path',
        path: 'templates/signetverification/template.yaml',
      };
      expect(validationErrors('definition', withPath)).not.toEqual([]);
      const nested = structuredClone(definition);
      nested.properties.policyRule.then.details.kinds = [
        { apiGroups: details.apiGroups, kinds: details.kinds },
      ];
      expect(validationErrors('definition', nested)).not.toEqual([]);
    });

    it('rejects a set definition with an inline member definition instead of a policyDefinitionId', () => {
      const set = structuredClone(sets[0]!) as unknown as {
        properties: { policyDefinitions: Array<Record<string, unknown>> };
      };
      const [reference] = set.properties.policyDefinitions;
      delete reference!.policyDefinitionId;
      reference!.definition = { properties: {} };
      expect(validationErrors('set', set)).not.toEqual([]);
    });

    it('rejects schema on an Array parameter and an effect outside Audit, Deny, Disabled', () => {
      const definition = structuredClone(definitions.get('signet-image-verification')!) as unknown as {
        properties: {
          parameters: Record<string, Record<string, unknown>>;
          policyRule: { then: { effect: string } };
        };
      };
      definition.properties.parameters.excludedImages!.schema = { type: 'array' };
      expect(validationErrors('definition', definition)).not.toEqual([]);
      delete definition.properties.parameters.excludedImages!.schema;
      definition.properties.policyRule.then.effect = 'Warn';
      expect(validationErrors('definition', definition)).not.toEqual([]);
    });
  });

  describe('templates', () => {
    it.each(base64Files)('%s carries the current template.yaml, base64-encoded', (path) => {
      const { name, text } = decodedTemplate(readJson<PolicyDefinition>(path));
      expect(text).toBe(readFileSync(join(TEMPLATES_DIR, name, 'template.yaml'), 'utf8'));
    });

    it.each(base64Files)('%s has a PublicURL variant that differs only in templateInfo', (path) => {
      const inline = readJson<PolicyDefinition>(path);
      const byUrl = readJson<PolicyDefinition>(path.replace(/\.json$/, '.public-url.json'));
      const { templateInfo } = byUrl.properties.policyRule.then.details;
      const template = decodedTemplate(inline).name;
      expect(templateInfo).toEqual({
        sourceType: 'PublicURL',
        url: `{templateBaseUrl}/${template}/template.yaml`,
      });
      const strip = (definition: PolicyDefinition) => {
        const copy = structuredClone(definition) as {
          properties: { policyRule: { then: { details: object } } };
        };
        copy.properties.policyRule.then.details = {
          ...copy.properties.policyRule.then.details,
          templateInfo: null,
        };
        return copy;
      };
      expect(strip(byUrl)).toEqual(strip(inline));
    });

    it.each(base64Files)('%s passes every template parameter and nothing else in values', (path) => {
      const definition = readJson<PolicyDefinition>(path);
      const { details } = definition.properties.policyRule.then;
      const { name, text } = decodedTemplate(definition);
      const template = parseTemplateYaml(name, text);
      expect(Object.keys(details.values ?? {})).toEqual(Object.keys(template.parameters));
      for (const [parameter, value] of Object.entries(details.values ?? {})) {
        expect(referencedParameter(value)).toBe(parameter);
        expect(Object.keys(definition.properties.parameters)).toContain(parameter);
      }
    });
  });

  describe('references', () => {
    it.each(sets.map((set) => [set.name, set] as const))(
      '%s: every set parameter is used by some member',
      (_name, set) => {
        expect([...referencedSetParameters(set)].sort()).toEqual(
          Object.keys(set.properties.parameters).sort(),
        );
      },
    );

    it.each(sets.map((set) => [set.name, set] as const))(
      '%s: every member reference resolves to a committed definition and passes only its parameters',
      (_name, set) => {
        for (const reference of set.properties.policyDefinitions) {
          const name = definitionNameOf(reference.policyDefinitionId);
          expect(reference.policyDefinitionId).toBe(
            `/providers/Microsoft.Management/managementGroups/{managementGroupId}/providers/Microsoft.Authorization/policyDefinitions/${name}`,
          );
          const definition = definitions.get(name ?? '');
          expect(definition).toBeDefined();
          const declared = definition!.properties.parameters;
          expect(Object.keys(declared)).toEqual(expect.arrayContaining(Object.keys(reference.parameters)));
          for (const [parameter, declaration] of Object.entries(declared)) {
            if (declaration.defaultValue === undefined)
              expect(reference.parameters).toHaveProperty(parameter);
          }
          expect(reference.definitionVersion).toBe(`${definition!.properties.version.split('.')[0]}.*.*`);
          // A set parameter fed to a member parameter has the member parameter's type.
          for (const [parameter, { value }] of Object.entries(reference.parameters)) {
            const setParameter = referencedParameter(value);
            if (setParameter === undefined) continue;
            expect(set.properties.parameters[setParameter]?.type).toBe(declared[parameter]?.type);
          }
        }
      },
    );

    it.each([...definitions.values()].map((definition) => [definition.name, definition] as const))(
      '%s uses every parameter it declares',
      (_name, definition) => {
        const { then } = definition.properties.policyRule;
        const used = JSON.stringify([then.effect, { ...then.details, templateInfo: null }]);
        for (const parameter of Object.keys(definition.properties.parameters))
          expect(used).toContain(`[parameters('${parameter}')]`);
      },
    );
  });

  describe('image integrity (Notation)', () => {
    const set = sets.find((candidate) => candidate.name === 'signet-image-integrity-notation')!;

    it("has the parameters and defaults of Azure's built-in af28bf8b-c669-4dd3-9137-1e68fdc61bd6, plus namespaces", () => {
      const defaults = Object.fromEntries(
        Object.entries(set.properties.parameters).map(([name, parameter]) => [name, parameter.defaultValue]),
      );
      expect(defaults).toEqual({
        effect: 'Audit',
        excludedNamespaces: DEFAULT_EXCLUDED_NAMESPACES,
        excludedImages: [],
        labelSelector: {},
        namespaces: [],
      });
      expect(DEFAULT_EXCLUDED_NAMESPACES).toEqual([
        'kube-system',
        'gatekeeper-system',
        'azure-arc',
        'azure-extensions-usage-system',
      ]);
      expect(set.properties.parameters.effect?.allowedValues).toEqual(['Audit', 'Deny', 'Disabled']);
    });

    it('requires a successful notation report on the signetverification template', () => {
      const [reference] = set.properties.policyDefinitions;
      expect(reference?.policyDefinitionReferenceId).toBe('imageIntegrityNotationVerification');
      expect(reference?.parameters.requiredVerifiers).toEqual({ value: ['notation'] });
    });
  });
});
