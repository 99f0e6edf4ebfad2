import type { AttestationAuthorityConfig, AttestationPolicyConfig } from '../config/index.js';
import type { VerifierReport } from '../verdict/index.js';
import { parseImageKey } from '../reference/index.js';
import { ATTESTOR_VERIFIER_TYPE } from '../verifiers/index.js';
import { decideAttestation, requiredAttestations, verifyDigestReference } from './kritis.js';

const DIGEST = 'sha256:ddba4d27a7ffc3f86dd6c2f92041af252a1f23a8e742c90e6e1297bfa1bc0c45';

function authority(name: string): AttestationAuthorityConfig {
  return {
    $case: 'attestationAuthority',
    resource: { kind: 'AttestationAuthority', name, namespace: undefined, document: undefined },
    noteReference: `namespaces/${name}`,
    publicKeys: [],
  };
}

function policy(authorities: readonly string[], patterns: readonly string[] = []): AttestationPolicyConfig {
  return {
    $case: 'attestationPolicy',
    resource: {
      kind: 'GenericAttestationPolicy',
      name: 'demo-gap',
      namespace: 'default',
      document: undefined,
    },
    authorities: authorities.map(authority),
    admissionWhitelistPatterns: patterns,
  };
}

function report(name: string, isSuccess: boolean, type = ATTESTOR_VERIFIER_TYPE): VerifierReport {
  return {
    subject: 'registry.example/app@sha256:…',
    isSuccess,
    name,
    verifierName: name,
    type,
    verifierType: type,
    message: isSuccess ? 'attested' : `not attested by AttestationAuthority "${name}": bad signature`,
    artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
    nestedReports: [],
  };
}

const reference = (image: string) => parseImageKey(image).reference;

describe('verifyDigestReference', () => {
  describe('a tag reference under a policy', () => {
    it('is not attested, in kritis wording, naming the image as written', () => {
      const error = verifyDigestReference('alpine:3.11', reference('alpine:3.11'), [policy(['demo-aa'])]);
      expect(error?.code).toBe('NOT_ATTESTED');
      expect(error?.message).toBe('image alpine:3.11 is not attested');
      expect(error?.reason).toContain('admits only images referenced by digest');
    });

    it('keeps the kritis wording when a cached verdict is answered for another key', () => {
      const error = verifyDigestReference('alpine:3.11', reference('alpine:3.11'), [policy(['demo-aa'])]);
      expect(error?.withImage('docker.io/library/alpine:3.11').message).toBe(
        'image docker.io/library/alpine:3.11 is not attested',
      );
    });
  });

  describe('a digest reference, or no policy', () => {
    it('passes to signature checks', () => {
      expect(
        verifyDigestReference('x', reference(`alpine@${DIGEST}`), [policy(['demo-aa'])]),
      ).toBeUndefined();
      expect(verifyDigestReference('x', reference('alpine:3.11'), [])).toBeUndefined();
    });
  });
});

describe('requiredAttestations', () => {
  describe('admissionWhitelistPatterns', () => {
    it('drops policies whose pattern matches the image as written or normalized', () => {
      const acs = policy(['demo-aa'], ['registry*.*.aliyuncs.com/acs/*']);
      expect(
        requiredAttestations([acs], reference('registry-vpc.cn-beijing.aliyuncs.com/acs/pause:3.2')),
      ).toEqual([]);
      expect(
        requiredAttestations([policy(['a'], ['docker.io/library/*'])], reference('alpine:3.11')),
      ).toEqual([]);
    });

    it('keeps a policy when "*" would have to cross a "/"', () => {
      const acs = policy(['demo-aa'], ['registry.example/acs*']);
      expect(requiredAttestations([acs], reference('registry.example/acs/nested/pause:3.2'))).toEqual([acs]);
    });
  });
});

describe('decideAttestation', () => {
  describe('an attestation by a named authority', () => {
    it('satisfies the policy', () => {
      const reports = [report('other', false), report('demo-aa', true)];
      expect(decideAttestation('img', [policy(['demo-aa', 'other'])], reports)).toBeUndefined();
    });
  });

  describe('no attestation', () => {
    it('is NOT_ATTESTED with every authority reason', () => {
      const error = decideAttestation(`alpine@${DIGEST}`, [policy(['demo-aa'])], [report('demo-aa', false)]);
      expect(error?.message).toBe(`image alpine@${DIGEST} is not attested`);
      expect(error?.reason).toBe(
        'GenericAttestationPolicy "default/demo-gap": no valid attestation by "demo-aa" (not attested by AttestationAuthority "demo-aa": bad signature)',
      );
    });

    it('says when no signature was found at all', () => {
      const error = decideAttestation('img', [policy(['demo-aa'])], []);
      expect(error?.reason).toContain('no cosign signature was found for the digest');
    });

    it('does not count a successful report of a Ratify verifier with the same name', () => {
      expect(decideAttestation('img', [policy(['demo-aa'])], [report('demo-aa', true, 'cosign')])?.code).toBe(
        'NOT_ATTESTED',
      );
    });

    it('requires every policy of the namespace', () => {
      const error = decideAttestation(
        'img',
        [policy(['demo-aa']), policy(['other'])],
        [report('demo-aa', true)],
      );
      expect(error?.reason).toContain('"other"');
    });
  });
});
