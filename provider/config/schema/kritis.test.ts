import { generateKeyPairSync } from 'node:crypto';
import { indentBlock } from '../../../test/helpers/yaml-block.js';
import { SignetError } from '../../errors.js';
import { parseConfigYaml } from '../sources/parse-config-yaml.js';
import { createSnapshot } from '../snapshot/create-snapshot.js';
import { toNamespaceView } from '../snapshot/namespace-view.js';

const RSA_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();
const EC_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

/** ACK's shape (seed 001): a cluster-wide authority with `publicKeyData`, a policy without a namespace. */
const ACK_CONFIG = `apiVersion: config.ratify.deislabs.io/v1beta1
kind: Store
metadata:
  name: store-oras
spec:
  name: oras
---
apiVersion: kritis.grafeas.io/v1beta1
kind: AttestationAuthority
metadata:
  name: demo-aa
spec:
  noteReference: namespaces/demo-aa
  publicKeyData: ${Buffer.from(RSA_PEM).toString('base64')}
  publicKeyId: 4a2ef103-5aa3-4220-kms-key-id
---
apiVersion: kritis.grafeas.io/v1beta1
kind: GenericAttestationPolicy
metadata:
  name: demo-gap
spec:
  attestationAuthorityNames:
  - demo-aa
`;

function authorityWithKeys(keys: string): string {
  return `apiVersion: kritis.grafeas.io/v1beta1
kind: AttestationAuthority
metadata:
  name: qa-attestor
  namespace: qa
spec:
  noteReference: projects/p/notes/qa
  publicKeys:
${indentBlock(keys, 2)}
`;
}

function problemsOf(yaml: string): string {
  try {
    parseConfigYaml(yaml, 'test');
  } catch (error) {
    if (error instanceof SignetError) return error.reason;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('kritis resources', () => {
  describe("ACK's AttestationAuthority and GenericAttestationPolicy", () => {
    it('load beside Ratify kinds; the policy is in "default" and applies only there', () => {
      const snapshot = createSnapshot(parseConfigYaml(ACK_CONFIG, 'test'), { generation: 1, source: 'test' });
      expect(snapshot.attestationAuthorities).toHaveLength(1);
      expect(snapshot.attestationAuthorities[0]?.publicKeys[0]?.keyId).toBe('4a2ef103-5aa3-4220-kms-key-id');
      const [policy] = snapshot.attestationPolicies;
      expect(policy?.resource.namespace).toBe('default');
      expect(policy?.authorities.map((a) => a.resource.name)).toEqual(['demo-aa']);
      expect(toNamespaceView(snapshot, 'default').attestationPolicies).toEqual([policy]);
      expect(toNamespaceView(snapshot, 'other').attestationPolicies).toEqual([]);
      expect(toNamespaceView(snapshot, undefined).attestationPolicies).toEqual([]);
    });
  });

  describe('upstream publicKeys (PKIX)', () => {
    it('reads keyId, PEM and a signature algorithm that fits the key', () => {
      const [authority] = parseConfigYaml(
        authorityWithKeys(`- keyType: PKIX
  keyId: kms://key/1
  pkixPublicKey:
    signatureAlgorithm: RSA_SIGN_PKCS1_2048_SHA256
    publicKeyPem: |
${indentBlock(RSA_PEM, 6)}`),
        'test',
      );
      expect(authority).toMatchObject({
        $case: 'attestationAuthority',
        resource: { namespace: 'qa' },
        publicKeys: [{ keyId: 'kms://key/1', signatureAlgorithm: 'RSA_SIGN_PKCS1_2048_SHA256' }],
      });
    });

    it('refuses a signature algorithm that does not fit the key', () => {
      expect(
        problemsOf(
          authorityWithKeys(`- keyType: PKIX
  pkixPublicKey:
    signatureAlgorithm: RSA_PSS_2048_SHA256
    publicKeyPem: |
${indentBlock(EC_PEM, 6)}`),
        ),
      ).toContain(
        'spec.publicKeys[0].pkixPublicKey.signatureAlgorithm: RSA_PSS_2048_SHA256 does not fit the key (ec 256 bits)',
      );
    });

    it('refuses PGP keys, which signet cannot verify', () => {
      expect(
        problemsOf(
          authorityWithKeys(`- keyType: PGP
  asciiArmoredPgpPublicKey: xyz`),
        ),
      ).toContain('spec.publicKeys[0].asciiArmoredPgpPublicKey: PGP keys are not supported by signet');
    });

    it('requires a key', () => {
      expect(
        problemsOf(`apiVersion: kritis.grafeas.io/v1beta1
kind: AttestationAuthority
metadata: { name: empty }
spec: { noteReference: n }
`),
      ).toContain('spec: one of publicKeys or publicKeyData is required');
    });
  });

  describe('exempt images', () => {
    const withPatterns = (field: string) =>
      `${ACK_CONFIG}  ${field}:\n  - namePattern: registry.test/base/*\n`;

    it.each(['admissionWhitelistPatterns', 'admissionAllowlistPatterns'])('reads %s', (field) => {
      const snapshot = createSnapshot(parseConfigYaml(withPatterns(field), 'test'), {
        generation: 1,
        source: 'test',
      });
      expect(snapshot.attestationPolicies[0]?.admissionWhitelistPatterns).toEqual(['registry.test/base/*']);
    });

    it('refuses both spellings at once', () => {
      const yaml = `${withPatterns('admissionWhitelistPatterns')}  admissionAllowlistPatterns:\n  - namePattern: x/*\n`;
      expect(problemsOf(yaml)).toContain(
        'admissionWhitelistPatterns and admissionAllowlistPatterns cannot both be set',
      );
    });
  });

  describe('a policy naming an authority that does not exist', () => {
    it('fails the snapshot naming the name and namespace', () => {
      const yaml = ACK_CONFIG.replace('  - demo-aa', '  - missing-aa');
      expect(() => createSnapshot(parseConfigYaml(yaml, 'test'), { generation: 1, source: 'test' })).toThrow(
        'spec.attestationAuthorityNames[0]: AttestationAuthority "missing-aa" is not defined in namespace "default" or cluster-wide',
      );
    });
  });

  describe('kritis kinds under the Ratify apiVersion', () => {
    it('are unknown kinds', () => {
      expect(
        problemsOf(ACK_CONFIG.replaceAll('kritis.grafeas.io/v1beta1', 'config.ratify.deislabs.io/v1beta1')),
      ).toContain('kind: must be one of');
    });
  });
});
