import { SignetError } from '../../errors.js';
import { parseTrustPolicyDocument, selectTrustPolicy } from './trust-policy.js';

const statement = (overrides: Record<string, unknown>): Record<string, unknown> => ({
  name: 'default',
  registryScopes: ['*'],
  signatureVerification: { level: 'strict' },
  trustStores: ['ca:acme'],
  trustedIdentities: ['*'],
  ...overrides,
});
const document = (...statements: Record<string, unknown>[]): unknown => ({
  version: '1.0',
  trustPolicies: statements,
});

function configReason(input: unknown): string {
  try {
    parseTrustPolicyDocument(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('CONFIG_INVALID');
    return (error as SignetError).reason;
  }
  throw new Error('expected the policy to be rejected');
}

describe('parseTrustPolicyDocument', () => {
  describe('valid documents', () => {
    it('reads levels, stores, identities and verifyTimestamp', () => {
      const parsed = parseTrustPolicyDocument(
        document(
          statement({
            name: 'wabbit',
            registryScopes: ['registry.acme-rockets.io/software/net-monitor'],
            signatureVerification: {
              level: 'permissive',
              override: { revocation: 'skip' },
              verifyTimestamp: 'afterCertExpiry',
            },
            trustStores: ['ca:wabbit', 'tsa:public'],
            trustedIdentities: ['x509.subject: C=US, ST=WA, O=wabbit-networks.io'],
          }),
          {
            name: 'unsigned',
            registryScopes: ['registry.wabbit-networks.io/software/unsigned/net-utils'],
            signatureVerification: { level: 'skip' },
          },
        ),
      );
      const [wabbit, unsigned] = parsed.trustPolicies;
      expect(wabbit?.level.enforcement.revocation).toBe('skip');
      expect(wabbit?.verifyTimestamp).toBe('afterCertExpiry');
      expect(wabbit?.trustStores).toEqual([
        { type: 'ca', name: 'wabbit' },
        { type: 'tsa', name: 'public' },
      ]);
      expect(wabbit?.trustedIdentities.$case).toBe('listed');
      expect(unsigned?.level.name).toBe('skip');
    });

    it('accepts the document as JSON text', () => {
      expect(parseTrustPolicyDocument(JSON.stringify(document(statement({})))).trustPolicies).toHaveLength(1);
    });
  });

  describe('rejected documents', () => {
    it.each<[string, unknown, RegExp]>([
      ['invalid JSON', '{"version":', /malformed trust policy/],
      ['no version', { trustPolicies: [statement({})] }, /has empty version/],
      ['another version', { version: '2.0', trustPolicies: [statement({})] }, /unsupported version "2.0"/],
      ['no statements', { version: '1.0', trustPolicies: [] }, /zero trust policy statements/],
      ['a statement without name', document(statement({ name: '' })), /missing a name/],
      [
        'skip with stores',
        document(statement({ signatureVerification: { level: 'skip' } })),
        /set to skip signature verification but configured with trust stores/,
      ],
      [
        'a bad verifyTimestamp',
        document(statement({ signatureVerification: { level: 'strict', verifyTimestamp: 'never' } })),
        /verifyTimestamp "never" is not supported/,
      ],
      [
        'an unknown store type',
        document(statement({ trustStores: ['x509:acme'] })),
        /unsupported trust store type "x509"/,
      ],
      [
        'a repeated store',
        document(statement({ trustStores: ['ca:acme', 'ca:acme'] })),
        /lists trust store "ca:acme" more than once/,
      ],
      [
        'a scope with a tag',
        document(statement({ registryScopes: ['registry.io/repo:v1'] })),
        /registry scope "registry.io\/repo:v1" is not valid/,
      ],
      [
        'a scope with a wildcard',
        document(statement({ registryScopes: ['registry.io/*'] })),
        /with wild card\(s\) is not valid/,
      ],
      [
        'registryScopes of a wrong type',
        document(statement({ registryScopes: 'registry.io/repo' })),
        /malformed trust policy/,
      ],
      [
        'a non-x509 identity prefix only',
        document(statement({ trustedIdentities: ['x509.subject:'] })),
        /without an identity value/,
      ],
    ])('rejects %s', (_name, input, reason) => {
      expect(configReason(input)).toMatch(reason);
    });

    it('checks named stores exist when the stores are given', () => {
      expect(() =>
        parseTrustPolicyDocument(document(statement({})), { trustStores: { get: () => undefined, all: [] } }),
      ).toThrow(/the trust store "acme" of type "ca" does not exist/);
    });
  });
});

describe('selectTrustPolicy', () => {
  const policy = parseTrustPolicyDocument(
    document(
      statement({ name: 'exact', registryScopes: ['localhost:5000/test-repo', 'localhost:5000/other'] }),
      statement({ name: 'global' }),
    ),
  );

  describe('evaluation order', () => {
    it('prefers an exact repository match over the global statement', () => {
      expect(selectTrustPolicy(policy, 'localhost:5000/test-repo@sha256:abc').name).toBe('exact');
      expect(selectTrustPolicy(policy, 'localhost:5000/other').name).toBe('exact');
    });

    it('falls back to the global statement', () => {
      expect(selectTrustPolicy(policy, 'localhost:5000/test-repo/nested@sha256:abc').name).toBe('global');
    });

    it('does not match a scope by prefix', () => {
      expect(selectTrustPolicy(policy, 'localhost:5000/test-repo2@sha256:abc').name).toBe('global');
    });
  });

  describe('no applicable statement', () => {
    it('throws NO_APPLICABLE_POLICY with notation wording', () => {
      const scoped = parseTrustPolicyDocument(
        document(statement({ registryScopes: ['localhost:5000/invalid-test-repo'] })),
      );
      expect(() => selectTrustPolicy(scoped, 'localhost:5000/test-repo@sha256:abc')).toThrow(
        /has no applicable oci trust policy statement/,
      );
      try {
        selectTrustPolicy(scoped, 'localhost:5000/test-repo@sha256:abc');
      } catch (error) {
        expect((error as SignetError).code).toBe('NO_APPLICABLE_POLICY');
      }
    });
  });
});
