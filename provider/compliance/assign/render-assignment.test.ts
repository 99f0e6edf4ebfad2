import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SignetError } from '../../errors.js';
import { definitionNameOf } from '../initiatives/index.js';
import type { Initiative } from '../initiatives/index.js';
import { parseInitiative, type InitiativeFile } from './parse-initiative.js';
import {
  ASSIGNMENT_LABEL,
  claimLabel,
  INITIATIVE_ANNOTATION,
  PARAMETERS_ANNOTATION,
  parseParameterArguments,
  renderAssignment,
  type AssignmentRequest,
  type KubernetesObject,
} from './render-assignment.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const INITIATIVES = join(REPO_ROOT, 'constraints', 'initiatives');

function file(path: string): InitiativeFile {
  return { source: path, json: JSON.parse(readFileSync(path, 'utf8')) as unknown };
}

/** A shipped initiative and the member definitions it references, as `signet assign` loads them. */
function shipped(name: string, variant = ''): Initiative {
  const set = file(join(INITIATIVES, `${name}.json`));
  const ids = (set.json as { properties: { policyDefinitions: Array<{ policyDefinitionId: string }> } })
    .properties.policyDefinitions;
  const names = new Set(ids.map(({ policyDefinitionId }) => definitionNameOf(policyDefinitionId)));
  return parseInitiative(
    set,
    [...names].map((member) => file(join(INITIATIVES, 'definitions', `${member}${variant}.json`))),
  );
}

const notation = shipped('signet-image-integrity-notation');
const cosign = shipped('signet-image-signatures-cosign');
const attestation = shipped('signet-digest-attestation');

function render(initiative: Initiative, options: Partial<AssignmentRequest> = {}) {
  return renderAssignment({ initiative, name: 'team', ...options });
}

function constraints(objects: readonly KubernetesObject[]): KubernetesObject[] {
  return objects.filter((object) => object.kind !== 'ConstraintTemplate');
}

interface ConstraintSpec {
  enforcementAction: string;
  match: Record<string, unknown>;
  parameters?: Record<string, unknown>;
}
const specOf = (object: KubernetesObject | undefined) => object?.spec as ConstraintSpec;

/** The SignetError `run` throws (failing when it throws something else or nothing). */
function errorOf(run: () => unknown): SignetError {
  try {
    run();
  } catch (error) {
    if (error instanceof SignetError) return error;
    throw error;
  }
  throw new Error('expected a SignetError');
}

describe('renderAssignment', () => {
  describe('effects', () => {
    it('Audit (the default) renders each template and one dryrun constraint per member', () => {
      const { objects, disabled } = render(attestation);
      expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
        'ConstraintTemplate/signetdigestonly',
        'ConstraintTemplate/signetverification',
        'SignetDigestOnly/team-digest-references',
        'SignetVerification/team-attestor-verification',
      ]);
      expect(constraints(objects).map((object) => specOf(object).enforcementAction)).toEqual([
        'dryrun',
        'dryrun',
      ]);
      expect(disabled).toEqual([]);
    });

    it('Deny renders enforcementAction deny', () => {
      const { objects } = render(notation, { parameters: ['effect=Deny'] });
      expect(constraints(objects).map((object) => specOf(object).enforcementAction)).toEqual(['deny']);
    });

    it('Disabled renders no constraint and no template', () => {
      const rendered = render(attestation, { parameters: ['effect=Disabled'] });
      expect(rendered.objects).toEqual([]);
      expect(rendered.disabled).toEqual(['digestReferences', 'attestorVerification']);
      expect(rendered.effects).toEqual({ digestReferences: 'Disabled', attestorVerification: 'Disabled' });
    });
  });

  describe('objects', () => {
    it('labels a template with the claim only: two assignments may share it without conflicting values', () => {
      const templates = render(attestation).objects.filter((object) => object.kind === 'ConstraintTemplate');
      expect(templates.length).toBeGreaterThan(0);
      for (const template of templates) {
        expect(template.metadata.labels[claimLabel('team')]).toBe('');
        expect(template.metadata.labels[ASSIGNMENT_LABEL]).toBeUndefined();
        expect(template.metadata.annotations[PARAMETERS_ANNOTATION]).toBeUndefined();
      }
    });

    it('takes the ConstraintTemplate from the Base64Encoded content: templates/<name>/template.yaml', () => {
      const [template] = render(cosign).objects;
      const committed = parse(
        readFileSync(join(REPO_ROOT, 'templates', 'signetverification', 'template.yaml'), 'utf8'),
      ) as { metadata: Record<string, unknown>; spec: unknown };
      expect(template?.spec).toEqual(committed.spec);
      expect(template?.metadata.annotations).toEqual(
        expect.objectContaining(committed.metadata.annotations as Record<string, string>),
      );
    });

    it('labels every constraint with its owner and claim, annotates initiative and parameters', () => {
      const { objects, parameters } = render(attestation, { parameters: ['effect=Deny'] });
      for (const object of constraints(objects)) {
        expect(object.metadata.labels[ASSIGNMENT_LABEL]).toBe('team');
        expect(object.metadata.labels[claimLabel('team')]).toBe('');
        expect(object.metadata.annotations[INITIATIVE_ANNOTATION]).toBe('signet-digest-attestation');
        expect(JSON.parse(object.metadata.annotations[PARAMETERS_ANNOTATION] ?? '')).toEqual(parameters);
      }
      expect(parameters).toEqual({
        effect: 'Deny',
        excludedNamespaces: [
          'kube-system',
          'gatekeeper-system',
          'azure-arc',
          'azure-extensions-usage-system',
        ],
        excludedImages: [],
        labelSelector: {},
        namespaces: [],
        requiredAttestors: [],
      });
    });

    it("turns Azure's flat apiGroups × kinds into one Gatekeeper kinds entry, and omits empty match fields", () => {
      const [constraint] = constraints(render(notation).objects);
      expect(specOf(constraint).match).toEqual({
        kinds: [
          {
            apiGroups: ['', 'apps', 'batch'],
            kinds: [
              'Pod',
              'ReplicationController',
              'Deployment',
              'StatefulSet',
              'DaemonSet',
              'ReplicaSet',
              'Job',
              'CronJob',
            ],
          },
        ],
        excludedNamespaces: [
          'kube-system',
          'gatekeeper-system',
          'azure-arc',
          'azure-extensions-usage-system',
        ],
      });
    });

    it('sets namespaces, excludedNamespaces and labelSelector from the parameters', () => {
      const selector = { matchLabels: { tier: 'web' } };
      const [constraint] = constraints(
        render(notation, {
          parameters: ['excludedNamespaces=["kube-system"]', `labelSelector=${JSON.stringify(selector)}`],
          namespaces: ['team-a', 'team-b'],
        }).objects,
      );
      expect(specOf(constraint).match).toEqual(
        expect.objectContaining({
          namespaces: ['team-a', 'team-b'],
          excludedNamespaces: ['kube-system'],
          labelSelector: selector,
        }),
      );
    });

    it('passes template parameters, fixed member values and defaults as spec.parameters', () => {
      expect(specOf(constraints(render(notation).objects)[0]).parameters).toEqual({
        provider: 'ratify-provider',
        excludedImages: [],
        requiredVerifiers: ['notation'],
        namespacedKeys: false,
      });
      expect(specOf(constraints(render(cosign).objects)[0]).parameters?.requiredVerifiers).toEqual([
        'cosign',
      ]);
      const [digest, attestor] = constraints(
        render(attestation, {
          parameters: ['requiredAttestors=["kms"]', 'excludedImages=["registry.k8s.io/**"]'],
        }).objects,
      );
      expect(specOf(digest).parameters).toEqual({
        excludedImages: ['registry.k8s.io/**'],
        messageStyle: 'attestation',
      });
      expect(specOf(attestor).parameters).toEqual({
        provider: 'ratify-provider',
        excludedImages: ['registry.k8s.io/**'],
        requiredVerifiers: ['kms'],
        namespacedKeys: true,
      });
    });
  });

  describe('parameters', () => {
    it('parses values as JSON when they parse, else as text', () => {
      expect(
        parseParameterArguments([
          'effect=Deny',
          'excludedImages=["a/**"]',
          'n=3',
          'flag=true',
          'quoted="x=y"',
          'empty=',
        ]),
      ).toEqual(
        new Map<string, unknown>([
          ['effect', 'Deny'],
          ['excludedImages', ['a/**']],
          ['n', 3],
          ['flag', true],
          ['quoted', 'x=y'],
          ['empty', ''],
        ]),
      );
    });

    it.each([['effect'], ['=x'], ['']])('rejects %j, which is not name=value', (arg) => {
      expect(errorOf(() => parseParameterArguments([arg])).message).toContain(
        'is not of the form name=value',
      );
    });

    it('rejects a parameter given twice', () => {
      expect(errorOf(() => render(notation, { parameters: ['effect=Deny', 'effect=Audit'] })).message).toBe(
        'parameter effect is given more than once',
      );
    });

    it('names an unknown parameter and lists the known ones', () => {
      const error = errorOf(() => render(notation, { parameters: ['efect=Deny'] }));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.kind).toBe('config');
      expect(error.message).toBe(
        'initiative signet-image-integrity-notation has no parameter efect; its parameters are effect, excludedNamespaces, excludedImages, labelSelector, namespaces',
      );
    });

    it('names the parameter and the allowed values when a value is not allowed', () => {
      expect(errorOf(() => render(notation, { parameters: ['effect=Warn'] })).message).toBe(
        'parameter effect is "Warn", not one of the allowed values "Audit", "Deny", "Disabled"',
      );
    });

    it('explains a type mismatch', () => {
      expect(
        errorOf(() => render(notation, { parameters: ['excludedImages=registry.k8s.io/**'] })).message,
      ).toBe('parameter excludedImages must be of type Array, got string "registry.k8s.io/**"');
      expect(errorOf(() => render(notation, { parameters: ['effect=1'] })).message).toBe(
        `parameter effect must be of type String, got number 1 (quote it as JSON, e.g. effect='"1"')`,
      );
    });

    it("checks an Object parameter against its schema (labelSelector's)", () => {
      expect(
        errorOf(() => render(notation, { parameters: ['labelSelector={"matchLabels":{"a":1}}'] })).message,
      ).toContain('parameter labelSelector does not fit its schema: /matchLabels/a must be string');
    });

    it("checks the constraint's parameters against the template's schema", () => {
      expect(errorOf(() => render(notation, { parameters: ['excludedImages=[1]'] })).message).toBe(
        'member imageIntegrityNotationVerification: the values for SignetVerification do not fit template signetverification: /excludedImages/0 must be string',
      );
    });

    it('refuses constraint parameters the template does not declare (Gatekeeper would prune them)', () => {
      const definitions = new Map(
        [...notation.definitions].map(([name, definition]) => {
          const copy = structuredClone(definition) as unknown as {
            properties: { policyRule: { then: { details: { values: Record<string, unknown> } } } };
          };
          copy.properties.policyRule.then.details.values.typo = 'x';
          return [name, copy as unknown as typeof definition];
        }),
      );
      expect(errorOf(() => render({ ...notation, definitions })).message).toContain(
        'do not fit template signetverification: (value) must NOT have additional properties',
      );
    });

    it('refuses namespaces given both as --namespaces and as a parameter', () => {
      expect(
        errorOf(() => render(notation, { parameters: ['namespaces=["a"]'], namespaces: ['b'] })).message,
      ).toContain('either with --namespaces or --param namespaces');
    });

    it.each(['Team', 'team_a', '-team', 'a'.repeat(64)])('refuses the assignment name %j', (name) => {
      expect(errorOf(() => render(notation, { name })).message).toContain('must be a DNS label');
    });
  });

  describe('definitions signet cannot render', () => {
    function withMember(
      initiative: Initiative,
      edit: (definition: Record<string, unknown>) => void,
    ): Initiative {
      const definitions = new Map(
        [...initiative.definitions].map(([name, definition]) => {
          const copy = structuredClone(definition) as unknown as Record<string, unknown>;
          edit(copy);
          return [name, copy as unknown as typeof definition];
        }),
      );
      return { ...initiative, definitions };
    }

    it('refuses the PublicURL variant, naming the Base64Encoded file', () => {
      const initiative = shipped('signet-image-integrity-notation', '.public-url');
      expect(errorOf(() => render(initiative)).message).toContain(
        '{templateBaseUrl}/signetverification/template.yaml; signet assign renders the Base64Encoded definitions (constraints/initiatives/definitions/signet-image-verification.json)',
      );
    });

    it('refuses expressions other than parameters()', () => {
      const initiative = withMember(notation, (definition) => {
        (definition.properties as { policyRule: { then: { effect: string } } }).policyRule.then.effect =
          "[if(equals(parameters('effect'), 'Deny'), 'Deny', 'Audit')]";
      });
      expect(errorOf(() => render(initiative)).message).toContain(
        "signet assign evaluates only [parameters('name')]",
      );
    });

    it('refuses effects other than Audit, Deny and Disabled', () => {
      const initiative = withMember(notation, (definition) => {
        (definition.properties as { policyRule: { then: { effect: string } } }).policyRule.then.effect =
          'DeployIfNotExists';
      });
      expect(errorOf(() => render(initiative)).message).toContain('supports Audit, Deny and Disabled');
    });

    it('names a reference that resolves to no loaded definition', () => {
      const initiative = { ...notation, definitions: new Map() };
      expect(errorOf(() => render(initiative)).message).toContain(
        'member imageIntegrityNotationVerification references /providers/Microsoft.Management/managementGroups/{managementGroupId}/providers/Microsoft.Authorization/policyDefinitions/signet-image-verification',
      );
    });
  });
});

describe('parseInitiative', () => {
  it('refuses a policy definition given as the initiative', () => {
    const definition = file(join(INITIATIVES, 'definitions', 'signet-digest-only.json'));
    expect(errorOf(() => parseInitiative(definition, [])).message).toContain(
      'is a policy definition, not a policy set definition',
    );
  });

  it('names the file and the field that is missing', () => {
    const set = {
      source: 'broken.json',
      json: { name: 'x', properties: { parameters: {}, policyDefinitions: [{}] } },
    };
    expect(errorOf(() => parseInitiative(set, [])).message).toBe(
      'broken.json: properties.policyDefinitions[0].policyDefinitionReferenceId must be a non-empty string',
    );
  });
});
