import { SignetError } from '../../errors.js';
import type { CosignTrustPolicy, CosignVerifierConfig, KeyProviderRef } from '../config.types.js';
import { parseConfigYaml } from '../sources/parse-config-yaml.js';

/** A cosign Verifier with one trust policy holding two key files and the given extra lines. */
function verifierYaml(extra: string): string {
  return `apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-cosign
spec:
  name: cosign
  artifactTypes: application/vnd.dev.cosign.artifact.sig.v1+json
  parameters:
    trustPolicies:
      - name: keyed
        scopes: ["*"]
        keys: [{ file: /keys/a.pub }, { file: /keys/b.pub }]
        tLogVerify: false
${extra
  .split('\n')
  .map((line) => `        ${line}`)
  .join('\n')}`;
}

function policyOf(extra: string): CosignTrustPolicy<KeyProviderRef> {
  const [resource] = parseConfigYaml(verifierYaml(extra), 'test');
  const verifier = resource as unknown as CosignVerifierConfig<KeyProviderRef>;
  if (verifier.mode.$case !== 'trustPolicies') throw new Error('expected trust policies');
  const policy = verifier.mode.trustPolicies[0];
  if (policy === undefined) throw new Error('no trust policy');
  return policy;
}

function reasonOf(extra: string): string {
  try {
    parseConfigYaml(verifierYaml(extra), 'test');
  } catch (error) {
    if (error instanceof SignetError && error.code === 'CONFIG_INVALID') return error.reason;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID, the configuration loaded');
}

describe('cosign trust policy extensions (signet)', () => {
  describe('absent', () => {
    it('leaves every extension unset (defaults apply in the verifier)', () => {
      const policy = policyOf('');
      expect(policy).not.toHaveProperty('signatureDigestAlgorithm');
      expect(policy).not.toHaveProperty('signedIdentity');
      expect(policy).not.toHaveProperty('count');
      expect(policy).not.toHaveProperty('required');
      expect(policy).not.toHaveProperty('attestations');
    });
  });

  describe('present and valid', () => {
    it('reads signatureDigestAlgorithm, signedIdentity, count, required and attestations', () => {
      const policy = policyOf(
        [
          'signatureDigestAlgorithm: sha384',
          'signedIdentity: { type: exactRepository, dockerRepository: registry.example/team/app }',
          'count: 2',
          'required: false',
          'attestations: [{ predicateType: slsaprovenance }, { predicateType: "https://spdx.dev/Document" }]',
        ].join('\n'),
      );
      expect(policy).toMatchObject({
        signatureDigestAlgorithm: 'sha384',
        signedIdentity: { $case: 'exactRepository', dockerRepository: 'registry.example/team/app' },
        count: 2,
        required: false,
        attestations: [
          { predicateType: 'slsaprovenance', conditions: [] },
          { predicateType: 'https://spdx.dev/Document', conditions: [] },
        ],
      });
    });

    it('reads Kyverno-style attestation conditions', () => {
      const policy = policyOf(
        [
          'attestations:',
          '  - predicateType: slsaprovenance',
          '    conditions:',
          '      - all:',
          '          - { key: "{{ builder.id }}", operator: Equals, value: "https://ci.example" }',
          '        any:',
          '          - { key: buildType, operator: In, value: [make, bazel] }',
        ].join('\n'),
      );
      expect(policy.attestations).toEqual([
        {
          predicateType: 'slsaprovenance',
          conditions: [
            {
              all: [
                {
                  key: '{{ builder.id }}',
                  path: ['builder', 'id'],
                  operator: 'Equals',
                  value: 'https://ci.example',
                },
              ],
              any: [{ key: 'buildType', path: ['buildType'], operator: 'In', value: ['make', 'bazel'] }],
            },
          ],
        },
      ]);
    });

    it('reads trustedRootPath (Rekor keys for tLogVerify on a key-based policy)', () => {
      expect(policyOf('trustedRootPath: /roots/trusted_root.json').trustedRootPath).toBe(
        '/roots/trusted_root.json',
      );
    });

    it('reads keyless.trustedRootPath, and refuses the policy-level field on a keyless policy', () => {
      const keyless = (extra: string) =>
        verifierYaml('').replace(
          'keys: [{ file: /keys/a.pub }, { file: /keys/b.pub }]',
          `keyless: { certificateIdentity: a@example.com, certificateOIDCIssuer: https://issuer.example, trustedRootPath: /roots/trusted_root.json }${extra}`,
        );
      const [resource] = parseConfigYaml(keyless(''), 'test');
      const verifier = resource as unknown as CosignVerifierConfig<KeyProviderRef>;
      expect(
        verifier.mode.$case === 'trustPolicies' && verifier.mode.trustPolicies[0]?.keyless,
      ).toMatchObject({
        trustedRootPath: '/roots/trusted_root.json',
      });
      expect(() => parseConfigYaml(keyless('\n        trustedRootPath: /roots/other.json'), 'test')).toThrow(
        /trustedRootPath: is for key-based policies; a keyless policy sets keyless.trustedRootPath/,
      );
    });

    it('reads signedIdentity matchRepository', () => {
      expect(policyOf('signedIdentity: { type: matchRepository }').signedIdentity).toEqual({
        $case: 'matchRepository',
      });
    });
  });

  describe('invalid', () => {
    it.each([
      ['signatureDigestAlgorithm: md5', /signatureDigestAlgorithm: must be one of/],
      ['count: 3', /count: must be at most the number of keys \(2\)/],
      ['count: 1.5', /count: must be a whole number/],
      ['count: 0', /count: must be a positive number/],
      ['signedIdentity: { type: matchExact }', /signedIdentity.type: must be one of/],
      ['signedIdentity: { type: exactRepository }', /signedIdentity.dockerRepository/],
      [
        'signedIdentity: { type: matchRepository, dockerRepository: x/y }',
        /dockerRepository: is only used with type exactRepository/,
      ],
      ['attestations: []', /attestations: must list at least one entry/],
      ['attestations: [{ type: spdx }]', /attestations.*predicateType/],
      ['required: maybe', /required: must be true or false/],
      [
        'attestations: [{ predicateType: spdx, conditions: [{ all: [{ key: "{{ length(x) }}", operator: Equals, value: 1 }] }] }]',
        /key: must be a field path/,
      ],
      [
        'attestations: [{ predicateType: spdx, conditions: [{ all: [{ key: a, operator: Matches, value: 1 }] }] }]',
        /operator: must be one of/,
      ],
      [
        'attestations: [{ predicateType: spdx, conditions: [{ all: [{ key: a, operator: In, value: x }] }] }]',
        /value: must be a list for In/,
      ],
      ['attestations: [{ predicateType: spdx, conditions: [{}] }]', /needs all or any conditions/],
      [
        'attestations: [{ predicateType: spdx, conditions: [{ all: [{ key: a, operator: Equals }] }] }]',
        /value: is required/,
      ],
    ])('%s is refused', (extra, reason) => {
      expect(reasonOf(extra)).toMatch(reason);
    });
  });
});
