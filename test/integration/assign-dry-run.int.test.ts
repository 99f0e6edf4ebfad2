// `signet assign <initiative> --dry-run` as users run it, for every shipped initiative and every effect: the
// output is a YAML multi-document stream of the members' ConstraintTemplates (the committed template.yaml) and
// one constraint per member with the effect's enforcementAction (none for Disabled), every object labelled with
// the assignment, every constraint's parameters fitting its template's schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../helpers/process.js';
import { runSignetCli } from '../helpers/signet-cli.js';

const INITIATIVES_DIR = join(REPO_ROOT, 'constraints', 'initiatives');
const INITIATIVES = [
  'signet-image-integrity-notation',
  'signet-image-signatures-cosign',
  'signet-digest-attestation',
];
const EFFECTS = { Audit: 'dryrun', Deny: 'deny', Disabled: undefined } as const;

interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    enforcementAction?: string;
    match?: { namespaces?: string[]; excludedNamespaces?: string[]; kinds?: unknown[] };
    parameters?: Record<string, unknown>;
    crd?: { spec: { names: { kind: string }; validation?: { openAPIV3Schema: object } } };
    targets?: unknown;
  };
}

interface SetDefinition {
  properties: {
    policyDefinitions: Array<{ policyDefinitionReferenceId: string; policyDefinitionId: string }>;
  };
}

function members(initiative: string): SetDefinition['properties']['policyDefinitions'] {
  const set = JSON.parse(readFileSync(join(INITIATIVES_DIR, `${initiative}.json`), 'utf8')) as SetDefinition;
  return set.properties.policyDefinitions;
}

/** The stream as kubectl reads it (YAML 1.1), failing on any YAML error. */
function documents(stream: string): RenderedObject[] {
  return parseAllDocuments(stream, { version: '1.1' }).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as RenderedObject;
  });
}

function committedTemplate(name: string): RenderedObject {
  return parse(readFileSync(join(REPO_ROOT, 'templates', name, 'template.yaml'), 'utf8')) as RenderedObject;
}

const cases = INITIATIVES.flatMap((initiative) =>
  Object.entries(EFFECTS).map(([effect, action]) => ({ initiative, effect, action })),
);

describe('signet assign --dry-run', () => {
  it.each(cases)('$initiative with effect $effect', async ({ initiative, effect, action }) => {
    const run = await runSignetCli([
      'assign',
      initiative,
      '--name',
      'it',
      '--param',
      `effect=${effect}`,
      '--dry-run',
    ]);
    expect(run.code).toBe(0);
    const objects = documents(run.stdout);
    const references = members(initiative);
    if (action === undefined) {
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toEqual(
        references.map(
          ({ policyDefinitionReferenceId: id }) => `signet: ${id} is Disabled: no constraint created`,
        ),
      );
      return;
    }
    expect(run.stderr).toBe('');
    for (const object of objects) expect(object.metadata.labels?.['assignment.signet.dev/it']).toBe('');

    const templates = objects.filter((object) => object.kind === 'ConstraintTemplate');
    const constraints = objects.filter((object) => object.kind !== 'ConstraintTemplate');
    expect(objects.slice(0, templates.length)).toEqual(templates);
    for (const template of templates) {
      const committed = committedTemplate(template.metadata.name);
      expect(template.spec).toEqual(committed.spec);
      expect(template.apiVersion).toBe(committed.apiVersion);
    }

    expect(
      constraints.map(
        (constraint) => constraint.metadata.annotations?.['signet.dev/policy-definition-reference-id'],
      ),
    ).toEqual(references.map(({ policyDefinitionReferenceId }) => policyDefinitionReferenceId));
    for (const constraint of constraints) {
      expect(constraint.apiVersion).toBe('constraints.gatekeeper.sh/v1beta1');
      expect(constraint.metadata.name.startsWith('it-')).toBe(true);
      expect(constraint.metadata.annotations?.['signet.dev/initiative']).toBe(initiative);
      expect(constraint.spec.enforcementAction).toBe(action);
      expect(constraint.spec.match?.excludedNamespaces).toEqual([
        'kube-system',
        'gatekeeper-system',
        'azure-arc',
        'azure-extensions-usage-system',
      ]);
      const template = templates.find((candidate) => candidate.spec.crd?.spec.names.kind === constraint.kind);
      expect(template).toBeDefined();
      const schema = template?.spec.crd?.spec.validation?.openAPIV3Schema ?? {};
      const validate = new Ajv({ strict: false, allErrors: true }).compile({
        ...schema,
        additionalProperties: false,
      });
      expect({ fits: validate(constraint.spec.parameters ?? {}), errors: validate.errors ?? [] }).toEqual({
        fits: true,
        errors: [],
      });
    }
  });

  it('renders a set definition given by path, with --namespaces and -o json as a kubectl List', async () => {
    const path = join('constraints', 'initiatives', 'signet-image-signatures-cosign.json');
    const args = [
      'assign',
      path,
      '--name',
      'web',
      '--namespaces',
      'shop,cart',
      '--param',
      'requiredVerifiers=["cosign","cosign-keyless"]',
      '--dry-run',
    ];
    const [yaml, json] = await Promise.all([runSignetCli(args), runSignetCli([...args, '-o', 'json'])]);
    expect([yaml.code, json.code]).toEqual([0, 0]);
    const list = JSON.parse(json.stdout) as { apiVersion: string; kind: string; items: RenderedObject[] };
    expect(list.apiVersion).toBe('v1');
    expect(list.kind).toBe('List');
    expect(list.items).toEqual(documents(yaml.stdout));
    const constraint = list.items.find((object) => object.kind === 'SignetVerification');
    expect(constraint?.spec.match?.namespaces).toEqual(['shop', 'cart']);
    expect(constraint?.spec.parameters?.requiredVerifiers).toEqual(['cosign', 'cosign-keyless']);
  });

  it('exits 2 naming an unknown parameter and the known ones', async () => {
    const run = await runSignetCli([
      'assign',
      'signet-digest-attestation',
      '--name',
      'it',
      '--param',
      'attestors=["kms"]',
      '--dry-run',
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      'CONFIG_INVALID (config): initiative signet-digest-attestation has no parameter attestors; its parameters are effect, excludedNamespaces, excludedImages, labelSelector, namespaces, requiredAttestors',
    );
  });

  it('without --dry-run, refuses a bad parameter before connecting to any cluster', async () => {
    const run = await runSignetCli([
      'assign',
      'signet-image-integrity-notation',
      '--name',
      'it',
      '--param',
      'effect=Warn',
      '--kubeconfig',
      '/nonexistent/kubeconfig',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('parameter effect is "Warn", not one of the allowed values');
    expect(run.stderr).not.toContain('kubeconfig');
  });
});
