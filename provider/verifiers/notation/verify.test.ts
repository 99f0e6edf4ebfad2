import { parseTrustStores, type TrustStores } from '../../trust/index.js';
import {
  createTestCertificate,
  defaultJwsHeader,
  notationPayload,
  signCose,
  signJws,
  TEST_SUBJECT,
  uniqueKeys,
  type TestIdentity,
} from '../../../test/vectors/notation-certificate-helpers.js';
import type { CertificateRevocationResult, RevocationChecker } from './stages/revocation.js';
import { parseTrustPolicyDocument, selectTrustPolicy, type TrustPolicyStatement } from './trust-policy.js';
import { verifyNotationSignature, type NotationVerificationInput } from './verify.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const REFERENCE = `registry.example/app@${TEST_SUBJECT.digest}`;

function statementFor(
  signatureVerification: Record<string, unknown>,
  trustedIdentities: string[] = ['*'],
  trustStores: string[] = ['ca:test'],
): TrustPolicyStatement {
  const document = parseTrustPolicyDocument({
    version: '1.0',
    trustPolicies: [
      { name: 'test', registryScopes: ['*'], signatureVerification, trustStores, trustedIdentities },
    ],
  });
  return selectTrustPolicy(document, REFERENCE);
}

function checker(status: CertificateRevocationResult['status']): RevocationChecker & { calls: number } {
  const fake = {
    calls: 0,
    check: (request: { chain: readonly unknown[] }): Promise<readonly CertificateRevocationResult[]> => {
      fake.calls += 1;
      return Promise.resolve(request.chain.map(() => ({ status })));
    },
  };
  return fake;
}

describe('verifyNotationSignature', () => {
  let signer: TestIdentity;
  let stranger: TestIdentity;
  let stores: TrustStores;
  let input: (overrides?: Partial<NotationVerificationInput>) => NotationVerificationInput;

  beforeAll(async () => {
    signer = await createTestCertificate(
      { subject: 'CN=signer, O=Notary, L=Seattle, ST=WA, C=US' },
      await uniqueKeys('p256'),
    );
    stranger = await createTestCertificate(
      { subject: 'CN=stranger, O=Notary, ST=WA, C=US' },
      await uniqueKeys('p256'),
    );
    stores = parseTrustStores([
      { type: 'ca', name: 'test', files: [{ name: 'signer.pem', bytes: signer.der }] },
    ]);
    input = (overrides = {}) => ({
      subject: { reference: REFERENCE, descriptor: TEST_SUBJECT },
      envelope: { mediaType: 'application/jose+json', bytes: signJws({ signer }) },
      statement: statementFor({ level: 'strict' }),
      trustStores: stores,
      now: NOW,
      ...overrides,
    });
  });

  describe('a good signature', () => {
    it('passes with every validation recorded in notation order', async () => {
      const outcome = await verifyNotationSignature(input({ revocation: checker('ok') }));
      expect(outcome.isSuccess).toBe(true);
      expect(outcome.results.map((result) => [result.type, result.action, result.status])).toEqual([
        ['integrity', 'enforce', 'success'],
        ['authenticity', 'enforce', 'success'],
        ['expiry', 'enforce', 'success'],
        ['authenticTimestamp', 'enforce', 'success'],
        ['revocation', 'enforce', 'success'],
      ]);
    });

    it('passes as COSE too', async () => {
      const outcome = await verifyNotationSignature(
        input({ envelope: { mediaType: 'application/cose', bytes: signCose({ signer }) } }),
      );
      expect(outcome.isSuccess).toBe(true);
    });

    it('records revocation as skipped, with a warning, when no checker is configured', async () => {
      const outcome = await verifyNotationSignature(input());
      expect(outcome.results.find((result) => result.type === 'revocation')?.status).toBe('skipped');
      expect(outcome.warnings).toContain('revocation was not checked: no revocation checker is configured');
    });
  });

  describe('the subject', () => {
    it('fails integrity for a signature of another artifact', async () => {
      const other = { ...TEST_SUBJECT, digest: `sha256:${'0'.repeat(64)}` };
      const outcome = await verifyNotationSignature(
        input({
          envelope: {
            mediaType: 'application/jose+json',
            bytes: signJws({ signer, payload: notationPayload(other) }),
          },
        }),
      );
      expect(outcome.isSuccess).toBe(false);
      expect(outcome.error?.reason).toMatch(/content descriptor mismatch/);
      expect(outcome.error?.message).toMatch(
        new RegExp(`^image verification failed for ${REFERENCE}: content descriptor mismatch`),
      );
      expect(outcome.failedValidation).toBe('integrity');
      expect(outcome.results[0]?.status).toBe('failure');
      expect(outcome.results.slice(1).every((result) => result.status === 'notRun')).toBe(true);
    });

    it('fails integrity at audit level too', async () => {
      const outcome = await verifyNotationSignature(
        input({
          statement: statementFor({ level: 'audit' }),
          envelope: { mediaType: 'application/jose+json', bytes: Buffer.from('{}') },
        }),
      );
      expect(outcome.isSuccess).toBe(false);
      expect(outcome.error?.code).toBe('SIGNATURE_INVALID');
    });
  });

  describe('levels', () => {
    it('enforces authenticity at strict and permissive, logs it at audit', async () => {
      const foreign = { mediaType: 'application/jose+json', bytes: signJws({ signer: stranger }) };
      for (const level of ['strict', 'permissive']) {
        const outcome = await verifyNotationSignature(
          input({ envelope: foreign, statement: statementFor({ level }) }),
        );
        expect(outcome.isSuccess).toBe(false);
        expect(outcome.error?.code).toBe('CERT_UNTRUSTED');
      }
      const audited = await verifyNotationSignature(
        input({ envelope: foreign, statement: statementFor({ level: 'audit' }) }),
      );
      expect(audited.isSuccess).toBe(true);
      expect(audited.warnings[0]).toMatch(
        /^authenticity validation failed with validation action set to "logged"/,
      );
    });

    it('enforces expiry at strict only, unless overridden', async () => {
      const header = {
        ...defaultJwsHeader('ES256'),
        crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'],
        'io.cncf.notary.expiry': '2025-01-01T00:00:00Z',
      };
      const expired = {
        mediaType: 'application/jose+json',
        bytes: signJws({ signer, protectedHeader: header }),
      };
      expect((await verifyNotationSignature(input({ envelope: expired }))).error?.code).toBe('EXPIRED');
      expect(
        (
          await verifyNotationSignature(
            input({ envelope: expired, statement: statementFor({ level: 'permissive' }) }),
          )
        ).isSuccess,
      ).toBe(true);
      expect(
        (
          await verifyNotationSignature(
            input({
              envelope: expired,
              statement: statementFor({ level: 'strict', override: { expiry: 'log' } }),
            }),
          )
        ).isSuccess,
      ).toBe(true);
      expect(
        (
          await verifyNotationSignature(
            input({
              envelope: expired,
              statement: statementFor({ level: 'audit', override: { expiry: 'enforce' } }),
            }),
          )
        ).isSuccess,
      ).toBe(false);
    });

    it('verifies nothing at skip', async () => {
      const document = parseTrustPolicyDocument({
        version: '1.0',
        trustPolicies: [{ name: 'skip', registryScopes: ['*'], signatureVerification: { level: 'skip' } }],
      });
      const outcome = await verifyNotationSignature(
        input({
          statement: selectTrustPolicy(document, REFERENCE),
          envelope: { mediaType: 'text/plain', bytes: Buffer.from('x') },
        }),
      );
      expect(outcome.isSuccess).toBe(true);
      expect(outcome.results.every((result) => result.status === 'skipped')).toBe(true);
    });
  });

  describe('trusted identities', () => {
    it('passes a matching x509.subject and refuses a lookalike', async () => {
      const match = await verifyNotationSignature(
        input({
          statement: statementFor({ level: 'strict' }, ['x509.subject: C=US, ST=WA, O=Notary, CN=signer']),
        }),
      );
      expect(match.isSuccess).toBe(true);
      const lookalike = await verifyNotationSignature(
        input({
          statement: statementFor({ level: 'strict' }, ['x509.subject: C=US, ST=WA, O=Notary, CN=signe']),
        }),
      );
      expect(lookalike.isSuccess).toBe(false);
      expect(lookalike.error?.code).toBe('IDENTITY_MISMATCH');
    });

    it('fails when only non-x509 identities are configured', async () => {
      const outcome = await verifyNotationSignature(
        input({ statement: statementFor({ level: 'strict' }, ['custom:someone']) }),
      );
      expect(outcome.error?.reason).toMatch(/no x509 trusted identities are configured/);
    });
  });

  describe('trust stores', () => {
    it('fails authenticity when a named store is missing', async () => {
      const outcome = await verifyNotationSignature(
        input({ statement: statementFor({ level: 'strict' }, ['*'], ['ca:absent']) }),
      );
      expect(outcome.error?.reason).toMatch(/the trust store "absent" of type "ca" does not exist/);
    });

    it('needs a store of the type the signing scheme uses', async () => {
      const outcome = await verifyNotationSignature(
        input({ statement: statementFor({ level: 'strict' }, ['*'], ['signingAuthority:test']) }),
      );
      expect(outcome.error?.reason).toMatch(/no trusted certificates are found/);
    });
  });

  describe('revocation wiring', () => {
    it('fails on a revoked certificate when enforced and logs it when permissive', async () => {
      const strict = await verifyNotationSignature(input({ revocation: checker('revoked') }));
      expect(strict.error?.code).toBe('REVOKED');
      expect(strict.error?.reason).toMatch(
        /signing certificate with subject "CN=signer,O=Notary,L=Seattle,ST=WA,C=US" is revoked/,
      );
      const permissive = await verifyNotationSignature(
        input({ revocation: checker('revoked'), statement: statementFor({ level: 'permissive' }) }),
      );
      expect(permissive.isSuccess).toBe(true);
    });

    it('treats an unknown status as a failure and skips the checker when the policy says so', async () => {
      expect((await verifyNotationSignature(input({ revocation: checker('unknown') }))).error?.code).toBe(
        'REVOCATION_UNAVAILABLE',
      );
      const skipping = checker('revoked');
      const outcome = await verifyNotationSignature(
        input({
          revocation: skipping,
          statement: statementFor({ level: 'strict', override: { revocation: 'skip' } }),
        }),
      );
      expect(outcome.isSuccess).toBe(true);
      expect(skipping.calls).toBe(0);
    });

    it('reports a checker that throws as unavailable', async () => {
      const broken: RevocationChecker = { check: () => Promise.reject(new Error('responder down')) };
      const outcome = await verifyNotationSignature(input({ revocation: broken }));
      expect(outcome.error?.reason).toMatch(/unable to check revocation status, err: responder down/);
    });
  });
});
