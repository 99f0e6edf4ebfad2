import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { seedPath } from '../../../test/helpers/seeds.js';
import { indentBlock } from '../../../test/helpers/yaml-block.js';
import { toCosignScope } from './image-scope.js';
import { importKyverno } from './import-kyverno.js';
import type { ImportDocument } from './kyverno-import.types.js';

function seed(name: string): string {
  return readFileSync(seedPath(name), 'utf8');
}

const pem = (): string =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString()
    .trim();

/** A ClusterPolicy with one verifyImages entry; `entry` is YAML indented for the entry's fields. */
function policy(entry: string, options: { kind?: string; action?: string; namespace?: string } = {}): string {
  const namespace = options.namespace === undefined ? '' : `\n  namespace: ${options.namespace}`;
  return `apiVersion: kyverno.io/v1
kind: ${options.kind ?? 'ClusterPolicy'}
metadata:
  name: verify${namespace}
spec:
  validationFailureAction: ${options.action ?? 'Enforce'}
  rules:
    - name: images
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["ghcr.io/acme/*"]
${indentBlock(entry, 10)}
`;
}

function keyEntry(key = pem(), extra = ''): string {
  return `- keys:
    publicKeys: |-
${indentBlock(key, 6)}${extra}`;
}

function documents(yaml: string): ImportDocument[] {
  return yaml
    .split(/^---$/m)
    .map((part) => parse(part) as ImportDocument | null)
    .filter((document): document is ImportDocument => document !== null);
}

function trustPolicies(configYaml: string): Record<string, unknown>[] {
  const verifier = documents(configYaml).find(
    (d) => d.kind === 'Verifier' || d.kind === 'NamespacedVerifier',
  );
  const spec = verifier?.spec as { parameters: { trustPolicies: Record<string, unknown>[] } } | undefined;
  return spec?.parameters.trustPolicies ?? [];
}

describe('importKyverno', () => {
  describe("seed 004's kyverno-check-image.yaml", () => {
    const result = importKyverno(seed('kyverno-check-image.yaml'), 'kyverno-check-image.yaml');

    it('converts the key into an inline KeyManagementProvider and a cosign trust policy for the glob', () => {
      const docs = documents(result.configYaml);
      expect(docs.map((d) => d.kind)).toEqual(['Store', 'KeyManagementProvider', 'Verifier']);
      expect(docs[1]?.spec).toMatchObject({ type: 'inline', parameters: { contentType: 'key' } });
      expect(JSON.stringify(docs[1])).toContain(
        'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENvRM/2MR6ThBWHiMfm+6ly7x13Q3',
      );
      expect(trustPolicies(result.configYaml)).toEqual([
        {
          name: 'check-image-check-image-1',
          scopes: ['docker.io/314315960/nginx-demo*'],
          keys: [{ provider: 'check-image-check-image-1-key-1' }],
          tLogVerify: true,
        },
      ]);
    });

    it('makes a deny constraint over Pods and the pod controllers Kyverno auto-generates', () => {
      const [constraint] = documents(result.constraintsYaml);
      expect(constraint).toMatchObject({
        apiVersion: 'constraints.gatekeeper.sh/v1beta1',
        kind: 'SignetVerification',
        metadata: { name: 'check-image-check-image' },
        spec: { enforcementAction: 'deny' },
      });
      const kinds = (constraint?.spec as { match: { kinds: { kinds: string[] }[] } }).match.kinds.flatMap(
        (k) => k.kinds,
      );
      expect(kinds.sort()).toEqual(
        [
          'CronJob',
          'DaemonSet',
          'Deployment',
          'Job',
          'Pod',
          'ReplicaSet',
          'ReplicationController',
          'StatefulSet',
        ].sort(),
      );
    });

    it('lists what is not converted, in the output and the notes', () => {
      const wheres = result.conversion.notes.map((note) => note.message);
      expect(wheres).toEqual(
        expect.arrayContaining([
          expect.stringContaining('webhookTimeoutSeconds 30'),
          expect.stringContaining('mutateDigest (Kyverno default true) not generated'),
          expect.stringContaining('Kyverno does not check images outside imageReferences'),
        ]),
      );
      expect(result.configYaml).toContain(
        '# - [not converted] ClusterPolicy check-image: webhookTimeoutSeconds 30',
      );
      expect(result.conversion.trustPolicies).toBe(1);
    });
  });

  describe('effects and scope', () => {
    it('turns Audit into dryrun', () => {
      const result = importKyverno(
        policy(`attestors:\n  - entries:\n${indentBlock(keyEntry(), 6)}`, { action: 'Audit' }),
        'p',
      );
      expect(documents(result.constraintsYaml)[0]?.spec).toMatchObject({ enforcementAction: 'dryrun' });
    });

    it("lets verifyImages failureAction (Kyverno 1.13+) override the policy's action", () => {
      const result = importKyverno(
        policy(`failureAction: Audit\nattestors:\n  - entries:\n${indentBlock(keyEntry(), 6)}`, {
          action: 'Enforce',
        }),
        'p',
      );
      expect(documents(result.constraintsYaml)[0]?.spec).toMatchObject({ enforcementAction: 'dryrun' });
    });

    it('confines a namespaced Policy to its namespace with namespaced keys and resources', () => {
      const result = importKyverno(
        policy(`attestors:\n  - entries:\n${indentBlock(keyEntry(), 6)}`, {
          kind: 'Policy',
          namespace: 'team-a',
        }),
        'p',
      );
      const kinds = documents(result.configYaml).map(
        (d) => `${String(d.kind)}/${(d.metadata as { namespace?: string }).namespace ?? ''}`,
      );
      expect(kinds).toEqual([
        'Store/',
        'NamespacedKeyManagementProvider/team-a',
        'NamespacedVerifier/team-a',
      ]);
      expect(documents(result.constraintsYaml)[0]?.spec).toMatchObject({
        match: { namespaces: ['team-a'] },
        parameters: { namespacedKeys: true },
      });
    });

    it('writes skipImageReferences as excludedImages and a digest-only constraint when digests are not mutated', () => {
      const result = importKyverno(
        policy(
          `skipImageReferences: ["ghcr.io/acme/tools/*"]\nmutateDigest: false\nattestors:\n  - entries:\n${indentBlock(keyEntry(), 6)}`,
        ),
        'p',
      );
      const constraints = documents(result.constraintsYaml);
      expect(constraints.map((c) => c.kind)).toEqual(['SignetVerification', 'SignetDigestOnly']);
      expect(constraints[0]?.spec).toMatchObject({
        parameters: { excludedImages: ['ghcr.io/acme/tools/**'] },
      });
    });
  });

  describe('attestors', () => {
    it('maps count of several keys, ignoreTlog and required', () => {
      const entries = [
        keyEntry(pem(), '\n    rekor:\n      ignoreTlog: true'),
        keyEntry(pem(), '\n    rekor:\n      ignoreTlog: true'),
      ];
      const result = importKyverno(
        policy(
          `required: false\nattestors:\n  - count: 2\n    entries:\n${indentBlock(entries.join('\n'), 6)}`,
        ),
        'p',
      );
      expect(trustPolicies(result.configYaml)[0]).toMatchObject({
        tLogVerify: false,
        count: 2,
        required: false,
      });
      expect(documents(result.configYaml).filter((d) => d.kind === 'KeyManagementProvider')).toHaveLength(2);
    });

    it('maps keyless subject and issuer', () => {
      const result = importKyverno(
        policy(
          'attestors:\n  - entries:\n      - keyless:\n          subject: "ci@acme.example"\n          issuerRegExp: "^https://token\\\\.acme\\\\.example$"',
        ),
        'p',
      );
      expect(trustPolicies(result.configYaml)[0]?.keyless).toEqual({
        certificateIdentity: 'ci@acme.example',
        certificateOIDCIssuerRegExp: '^https://token\\.acme\\.example$',
      });
    });

    it('refuses several attestor sets rather than weakening the policy, and converts nothing', () => {
      const set = `- entries:\n${indentBlock(keyEntry(), 4)}`;
      const result = importKyverno(policy(`attestors:\n${indentBlock(`${set}\n${set}`, 2)}`), 'p');
      expect(result.conversion.trustPolicies).toBe(0);
      expect(result.conversion.notes.map((n) => n.message)).toEqual(
        expect.arrayContaining([expect.stringContaining('2 attestor sets must all pass in Kyverno')]),
      );
    });

    it('refuses keys that are not inline PEM', () => {
      const result = importKyverno(
        policy('attestors:\n  - entries:\n      - keys:\n          publicKeys: "k8s://kyverno/cosign-pub"'),
        'p',
      );
      expect(result.conversion.trustPolicies).toBe(0);
    });
  });
});

describe('toCosignScope', () => {
  describe.each([
    ['314315960/nginx-demo*', 'docker.io/314315960/nginx-demo*', false],
    ['nginx', 'docker.io/library/nginx', false],
    ['ghcr.io/acme/app:*', 'ghcr.io/acme/app', false],
    ['ghcr.io/acme/app:v1', 'ghcr.io/acme/app', true],
    ['127.0.0.1:5000/app*', '127.0.0.1:5000/app*', false],
    ['index.docker.io/acme/app', 'docker.io/acme/app', false],
    ['*', '*', false],
  ])('%s', (pattern, scope, widened) => {
    it(`is scope ${scope}`, () => {
      const result = toCosignScope(pattern);
      expect(result).toMatchObject({ ok: true, scope });
      expect(result.ok && result.widened !== undefined).toBe(widened);
    });
  });

  describe.each(['ghcr.io/*/app', 'ghcr.io/acme/ap?', 'GHCR.io/Acme/app'])('%s', (pattern) => {
    it('has no scope equivalent', () => {
      expect(toCosignScope(pattern).ok).toBe(false);
    });
  });
});
