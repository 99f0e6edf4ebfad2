import { SignetError } from '../../errors.js';
import { LEVELS } from './levels.js';
import type { NotationOutcome } from './outcome.types.js';
import { toNotationVerifierReport } from './report.js';

const base: NotationOutcome = {
  isSuccess: true,
  statementName: 'e2e',
  level: LEVELS.strict,
  results: [
    { type: 'integrity', action: 'enforce', status: 'success', error: undefined },
    { type: 'authenticity', action: 'enforce', status: 'success', error: undefined },
    { type: 'expiry', action: 'enforce', status: 'success', error: undefined },
    { type: 'authenticTimestamp', action: 'enforce', status: 'success', error: undefined },
    { type: 'revocation', action: 'enforce', status: 'skipped', error: undefined },
  ],
  failedValidation: undefined,
  error: undefined,
  warnings: [],
  envelope: undefined,
  timestamp: undefined,
};
const options = { verifierName: 'notation', subject: 'localhost:5000/e2e@sha256:90ceaff2' };

describe('toNotationVerifierReport', () => {
  describe('Ratify report shape', () => {
    it('reports success like Ratify', () => {
      const report = toNotationVerifierReport(base, options);
      expect(report).toMatchObject({
        subject: options.subject,
        isSuccess: true,
        name: 'notation',
        verifierName: 'notation',
        type: 'notation',
        verifierType: 'notation',
        message: 'signature verification success',
        artifactType: 'application/vnd.cncf.notary.signature',
        nestedReports: [],
      });
      expect(report.errorReason).toBeUndefined();
    });

    it('names the failing validation in the message', () => {
      const error = new SignetError('EXPIRED', {
        stage: 'verify',
        reason: 'digital signature has expired on "Tue, 27 Jun 2023 05:21:21 +0000"',
      });
      const outcome: NotationOutcome = {
        ...base,
        isSuccess: false,
        failedValidation: 'expiry',
        error,
        results: base.results.map((result) =>
          result.type === 'expiry' ? { ...result, status: 'failure', error } : result,
        ),
      };
      const report = toNotationVerifierReport(outcome, options);
      expect(report.isSuccess).toBe(false);
      expect(report.message).toBe(
        'signature verification failed: expiry validation failed. Failure reason: digital signature has expired on "Tue, 27 Jun 2023 05:21:21 +0000"',
      );
      expect(report.errorReason).toBe(error.reason);
      expect(report.remediation).toBe(error.remediation);
    });
  });
});
