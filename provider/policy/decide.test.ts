import { SignetError } from '../errors.js';
import type { VerifierReport } from '../verdict/index.js';
import { decide, DEFAULT_DECISION_POLICY, type DecisionPolicy } from './decide.js';

const NOTATION = 'application/vnd.cncf.notary.signature';
const COSIGN = 'application/vnd.dev.cosign.artifact.sig.v1+json';

function report(
  artifactType: string,
  isSuccess: boolean,
  message = isSuccess ? 'ok' : 'bad',
): VerifierReport {
  return {
    subject: 'r/x@sha256:00',
    isSuccess,
    name: 'v',
    verifierName: 'v',
    type: 't',
    verifierType: 't',
    message,
    artifactType,
    nestedReports: [],
  };
}

describe('decide', () => {
  describe('no reports', () => {
    it('fails closed with SIGNATURE_NOT_FOUND naming the image', () => {
      const d = decide('alpine:3.11', [], DEFAULT_DECISION_POLICY);
      expect(d.isSuccess).toBe(false);
      expect(d.error?.code).toBe('SIGNATURE_NOT_FOUND');
      expect(d.error?.message).toBe('image verification failed for alpine:3.11: signature not found');
    });
  });

  describe('default rule all', () => {
    it('passes when every report passes', () => {
      expect(
        decide('i', [report(NOTATION, true), report(COSIGN, true)], DEFAULT_DECISION_POLICY).isSuccess,
      ).toBe(true);
    });
    it('fails when one report of a type fails, naming the verifier reason', () => {
      const d = decide(
        'i',
        [report(NOTATION, true), report(NOTATION, false, 'authenticity failed')],
        DEFAULT_DECISION_POLICY,
      );
      expect(d.isSuccess).toBe(false);
      expect(d.error?.code).toBe('POLICY_NOT_SATISFIED');
      expect(d.error?.message).toContain('authenticity failed');
    });
    it('reports a single failing signature as SIGNATURE_INVALID with its reason', () => {
      const d = decide('i', [report(NOTATION, false, 'integrity failed')], DEFAULT_DECISION_POLICY);
      expect(d.error?.code).toBe('SIGNATURE_INVALID');
      expect(d.error?.message).toBe('image verification failed for i: v: integrity failed');
    });
  });

  describe('rule any per artifact type', () => {
    const policy: DecisionPolicy = {
      artifactVerificationPolicies: { [NOTATION]: 'any' },
      defaultRule: 'all',
    };
    it('passes when one of several notation signatures passes', () => {
      expect(decide('i', [report(NOTATION, false), report(NOTATION, true)], policy).isSuccess).toBe(true);
    });
    it('still applies the default rule to other types', () => {
      expect(decide('i', [report(NOTATION, true), report(COSIGN, false)], policy).isSuccess).toBe(false);
    });
  });

  describe('codes of failing reports', () => {
    const failing = (code: 'REVOKED' | 'CERT_UNTRUSTED' | 'CONFIG_INVALID'): VerifierReport => ({
      ...report(NOTATION, false, `failed with ${code}`),
      error: new SignetError(code, { stage: code === 'CONFIG_INVALID' ? 'config' : 'verify' }),
    });
    it('keeps the code of the one failing report (not relabelled SIGNATURE_INVALID)', () => {
      const d = decide('i', [failing('REVOKED')], DEFAULT_DECISION_POLICY);
      expect(d.error?.code).toBe('REVOKED');
      expect(d.error?.kind).toBe('verdict');
      expect(d.error?.message).toBe('image verification failed for i: v: failed with REVOKED');
    });
    it('names the codes of several failing reports in the policy failure', () => {
      const d = decide('i', [failing('REVOKED'), failing('CERT_UNTRUSTED')], DEFAULT_DECISION_POLICY);
      expect(d.error?.code).toBe('POLICY_NOT_SATISFIED');
      expect(d.error?.details.codes).toBe('REVOKED,CERT_UNTRUSTED');
    });
    it('denies as a cacheable verdict when the report failed for a configuration problem', () => {
      const d = decide('i', [failing('CONFIG_INVALID')], DEFAULT_DECISION_POLICY);
      expect(d.error?.code).toBe('SIGNATURE_INVALID');
      expect(d.error?.kind).toBe('verdict');
    });
  });
});
