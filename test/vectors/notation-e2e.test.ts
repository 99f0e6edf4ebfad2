/**
 * notaryproject/notation end-to-end data (test/vectors/data/notation-e2e): the signed OCI layouts
 * read from disk and verified under the upstream trust policies and stores, with the outcomes the
 * vectors README states. Rows marked "derived" follow notation's semantics where upstream does not
 * run that exact combination.
 */
import { createHash } from 'node:crypto';

import { SignetError } from '../../provider/errors.js';
import type { TrustStores } from '../../provider/trust/index.js';
import {
  parseNotationEnvelope,
  parseTargetDescriptor,
  parseTrustPolicyDocument,
  selectTrustPolicy,
  toNotationVerifierReport,
  verifyEnvelopeIntegrity,
  verifyNotationSignature,
  type NotationOutcome,
  type ValidationType,
} from '../../provider/verifiers/notation/index.js';
import { parseSignedToken, readTstInfo, validateTstInfo } from '../../provider/trust/index.js';
import {
  readNotationLayout,
  readVector,
  readVectorJson,
  trustStoresFrom,
  vectorPath,
} from './notation-helpers.js';

const E2E = 'notation-e2e/test/e2e/testdata';
const KEYS = `${E2E}/config/localkeys`;
const TSA_ROOTS = [
  `${E2E}/config/timestamp/globalsignTSARoot.cer`,
  `${E2E}/config/timestamp/DigiCertTSARootSHA384.cer`,
];
/** Upstream verifies at the wall clock; every expiry in these layouts lies before this pinned time. */
const NOW = new Date('2026-01-01T00:00:00Z');

const STORES = {
  baseline: { 'ca:e2e': [`${KEYS}/e2e.crt`] },
  wrongCertificate: { 'ca:e2e': [`${KEYS}/new_e2e.crt`] },
  expiredCertificate: { 'ca:e2e': [`${KEYS}/expired_e2e.crt`] },
  twoStores: { 'ca:e2e': [`${KEYS}/e2e.crt`], 'ca:e2e-new': [`${KEYS}/new_e2e.crt`] },
  twoCertificates: { 'ca:e2e': [`${KEYS}/e2e.crt`, `${KEYS}/new_e2e.crt`] },
  timestamp: { 'ca:e2e': [`${KEYS}/e2e.crt`], 'tsa:e2e': TSA_ROOTS },
} as const;
type StoreSet = keyof typeof STORES;

const layout = (name: string): ReturnType<typeof readNotationLayout> =>
  readNotationLayout(vectorPath(E2E, 'registry/oci_layout', name));
const policyJson = (file: string): unknown => readVectorJson(E2E, 'config/trustpolicies', file);

async function verifyLayout(
  layoutName: string,
  policy: unknown,
  stores: TrustStores,
  repository = 'localhost:5000/e2e',
): Promise<NotationOutcome[]> {
  const { image, signatures } = layout(layoutName);
  const document = parseTrustPolicyDocument(policy, { trustStores: stores });
  const reference = `${repository}@${image.digest}`;
  const statement = selectTrustPolicy(document, reference);
  return Promise.all(
    signatures.map((signature) =>
      verifyNotationSignature({
        subject: { reference, descriptor: image },
        envelope: signature,
        statement,
        trustStores: stores,
        now: NOW,
      }),
    ),
  );
}

type Expected =
  | { readonly pass: true; readonly warning?: RegExp; readonly skipped?: boolean }
  | { readonly pass: false; readonly validation: ValidationType; readonly reason?: RegExp };

interface Row {
  readonly layout: string;
  readonly policy: string;
  readonly stores: StoreSet;
  readonly expected: Expected;
}

const PASS: Expected = { pass: true };
const fail = (validation: ValidationType, reason?: RegExp): Expected => ({ pass: false, validation, reason });
const EXPIRED_AT = /it was expired at "Tue, 27 Jun 2023 06:10:00 \+0000"/;

const LAYOUT_TABLE: readonly Row[] = [
  ...['trustpolicy.json', 'permissive_trustpolicy.json', 'audit_trustpolicy.json'].map((policy): Row => ({
    layout: 'e2e-valid-signature',
    policy,
    stores: 'baseline',
    expected: PASS,
  })),
  {
    layout: 'e2e-valid-signature',
    policy: 'skip_trustpolicy.json',
    stores: 'baseline',
    expected: { pass: true, skipped: true },
  },
  {
    layout: 'e2e-valid-signature',
    policy: 'trustpolicy.json',
    stores: 'wrongCertificate',
    expected: fail('authenticity', /does not contain any trusted certificate/),
  },
  {
    layout: 'e2e-valid-signature',
    policy: 'permissive_trustpolicy.json',
    stores: 'wrongCertificate',
    expected: fail('authenticity'),
  },
  {
    layout: 'e2e-valid-signature',
    policy: 'audit_trustpolicy.json',
    stores: 'wrongCertificate',
    expected: {
      pass: true,
      warning: /^authenticity validation failed with validation action set to "logged"/,
    },
  },
  {
    layout: 'e2e-expired-signature',
    policy: 'trustpolicy.json',
    stores: 'baseline',
    expected: fail('expiry', /digital signature has expired on "Tue, 27 Jun 2023 05:21:21 \+0000"/),
  },
  {
    layout: 'e2e-expired-signature',
    policy: 'permissive_trustpolicy.json',
    stores: 'baseline',
    expected: { pass: true, warning: /^expiry validation failed/ },
  },
  {
    layout: 'e2e-expired-signature',
    policy: 'audit_trustpolicy.json',
    stores: 'baseline',
    expected: { pass: true, warning: /^expiry validation failed/ },
  },
  {
    layout: 'e2e-expired-signature',
    policy: 'override_strict_trustpolicy.json',
    stores: 'baseline',
    expected: { pass: true, warning: /^expiry validation failed/ },
  },
  {
    layout: 'e2e-expired-signature',
    policy: 'override_permissive_trustpolicy.json',
    stores: 'baseline',
    expected: fail('expiry'),
  },
  {
    layout: 'e2e-expired-signature',
    policy: 'override_audit_trustpolicy.json',
    stores: 'baseline',
    expected: fail('expiry'),
  },
  ...['trustpolicy.json', 'permissive_trustpolicy.json', 'audit_trustpolicy.json'].map((policy): Row => ({
    layout: 'e2e-invalid-signature',
    policy,
    stores: 'baseline',
    expected: fail('integrity', /unable to parse the digital signature/),
  })),
  {
    layout: 'e2e-invalid-signature',
    policy: 'skip_trustpolicy.json',
    stores: 'baseline',
    expected: { pass: true, skipped: true },
  },
  {
    layout: 'e2e-with-expired-cert',
    policy: 'trustpolicy.json',
    stores: 'expiredCertificate',
    expected: fail('authenticTimestamp', EXPIRED_AT),
  },
  ...['permissive_trustpolicy.json', 'audit_trustpolicy.json', 'override_strict_trustpolicy.json'].map(
    (policy): Row => ({
      layout: 'e2e-with-expired-cert',
      policy,
      stores: 'expiredCertificate',
      expected: {
        pass: true,
        warning: new RegExp(`^authenticTimestamp validation failed .*${EXPIRED_AT.source}`),
      },
    }),
  ),
  {
    layout: 'e2e-with-expired-cert',
    policy: 'override_permissive_trustpolicy.json',
    stores: 'expiredCertificate',
    expected: fail('authenticTimestamp', EXPIRED_AT),
  },
  {
    layout: 'e2e-with-expired-cert',
    policy: 'override_audit_trustpolicy.json',
    stores: 'expiredCertificate',
    expected: fail('authenticTimestamp', EXPIRED_AT),
  },
  {
    layout: 'e2e-with-timestamped-signature',
    policy: 'trustpolicy.json',
    stores: 'baseline',
    expected: fail('authenticity'),
  },
];

describe('notation e2e vectors', () => {
  describe('OCI layouts × trust policies × stores', () => {
    it.each(
      LAYOUT_TABLE.map((row) => [`${row.layout} with ${row.policy} and ${row.stores} stores`, row] as const),
    )('%s', async (_name, row) => {
      const stores = trustStoresFrom(STORES[row.stores]);
      const outcomes = await verifyLayout(row.layout, policyJson(row.policy), stores);
      expect(outcomes).toHaveLength(1);
      const outcome = outcomes[0]!;
      const expected = row.expected;
      expect(outcome.isSuccess).toBe(expected.pass);
      if (expected.pass) {
        if (expected.skipped === true)
          expect(outcome.results.every((result) => result.status === 'skipped')).toBe(true);
        if (expected.warning !== undefined)
          expect(outcome.warnings.some((warning) => expected.warning?.test(warning))).toBe(true);
      } else {
        expect(outcome.failedValidation).toBe(expected.validation);
        if (expected.reason !== undefined) expect(outcome.error?.reason).toMatch(expected.reason);
        const report = toNotationVerifierReport(outcome, {
          verifierName: 'notation',
          subject: 'localhost:5000/e2e@sig',
        });
        expect(report.message).toContain(`${expected.validation} validation failed`);
      }
    });

    it('finds no signature on the unsigned image', () => {
      expect(layout('e2e').signatures).toHaveLength(0);
    });

    it('reports the signer in Go pkix.Name order', async () => {
      const [outcome] = await verifyLayout(
        'e2e-valid-signature',
        policyJson('trustpolicy.json'),
        trustStoresFrom(STORES.baseline),
      );
      const report = toNotationVerifierReport(outcome!, {
        verifierName: 'notation',
        subject: 'localhost:5000/e2e@sha256:90ceaff2',
      });
      expect(report.extensions).toMatchObject({
        Issuer: 'CN=e2e,O=Notary,L=Seattle,ST=WA,C=US',
        SN: 'CN=e2e,O=Notary,L=Seattle,ST=WA,C=US',
      });
    });

    it('reads the expired certificate subject in Go order', async () => {
      const [outcome] = await verifyLayout(
        'e2e-with-expired-cert',
        policyJson('audit_trustpolicy.json'),
        trustStoresFrom(STORES.expiredCertificate),
      );
      expect(outcome?.envelope?.certificateChain[0]?.subject).toBe(
        'O=Internet Widgits Pty Ltd,ST=Some-State,C=AU',
      );
    });
  });

  describe('e2e-valid-multiple-signatures (derived: one good signature is enough)', () => {
    it('passes the first signature and fails the second on authenticity', async () => {
      const outcomes = await verifyLayout(
        'e2e-valid-multiple-signatures',
        policyJson('trustpolicy.json'),
        trustStoresFrom(STORES.baseline),
      );
      const byDigest = new Map(
        layout('e2e-valid-multiple-signatures').signatures.map((signature, index) => [
          signature.manifestDigest.slice(7, 15),
          outcomes[index],
        ]),
      );
      expect(byDigest.get('90ceaff2')?.isSuccess).toBe(true);
      expect(byDigest.get('c3ebe4a2')?.isSuccess).toBe(false);
      expect(byDigest.get('c3ebe4a2')?.failedValidation).toBe('authenticity');
      expect(outcomes.some((outcome) => outcome.isSuccess)).toBe(true);
    });

    it('lists only the first signature in the tag-schema index', () => {
      expect(layout('e2e-valid-multiple-signatures').tagSchemaDigests).toEqual([
        expect.stringMatching(/^sha256:90ceaff2/),
      ]);
    });
  });

  describe('timestamped layouts', () => {
    const envelopeOf = (name: string): ReturnType<typeof parseNotationEnvelope> => {
      const [signature] = layout(name).signatures;
      return parseNotationEnvelope(signature!.mediaType, signature!.bytes);
    };

    it('e2e-with-timestamped-signature carries the values upstream inspects', () => {
      const envelope = envelopeOf('e2e-with-timestamped-signature');
      expect(envelope.algorithm).toBe('PS256');
      expect(envelope.signingTime.toISOString()).toBe('2025-01-21T09:17:46.000Z');
      expect(envelope.expiry?.toISOString()).toBe('2025-01-21T12:39:46.000Z');
      expect(envelope.certificateChain[0]?.subject).toBe('CN=testcert7,O=Notary,L=Seattle,ST=WA,C=US');
      expect(envelope.certificateChain[0]?.fingerprint).toMatch(/^1717fa9d/);
      expect(parseTargetDescriptor(envelope).annotations).toEqual({ purpose: 'e2e' });
      const timestamp = validateTstInfo(
        readTstInfo(parseSignedToken(envelope.timestampToken!)),
        envelope.signature,
      );
      expect(Math.abs(timestamp.time.getTime() - Date.parse('2025-01-21T09:17:46Z'))).toBeLessThanOrEqual(
        1000,
      );
      // The README rounds to ±1 s; the token says 500 ms (openssl ts -reply -token_in agrees).
      expect(timestamp.accuracyMs).toBe(500);
    });

    it('e2e-with-timestamped-signature fails timestamp verification without the Microsoft TSA root (derived)', async () => {
      const envelope = envelopeOf('e2e-with-timestamped-signature');
      const stores = trustStoresFrom({ 'tsa:e2e': TSA_ROOTS });
      const withSigner: TrustStores = {
        get: (type, name) =>
          type === 'ca' && name === 'e2e'
            ? { type, name, certificates: [envelope.certificateChain[0]!] }
            : stores.get(type, name),
        all: stores.all,
      };
      const policy = policyJson('timestamp_trustpolicy.json') as {
        trustPolicies: { signatureVerification: Record<string, unknown> }[];
      };
      policy.trustPolicies[0]!.signatureVerification.override = { expiry: 'log' };
      const [outcome] = await verifyLayout('e2e-with-timestamped-signature', policy, withSigner);
      expect(outcome?.failedValidation).toBe('authenticTimestamp');
      expect(outcome?.error?.reason).toMatch(/certificate signed by unknown authority/);
    });

    it('e2e-with-invalid-timestamped-signature cannot parse its countersignature', async () => {
      const envelope = envelopeOf('e2e-with-invalid-timestamped-signature');
      expect(() => parseSignedToken(envelope.timestampToken!)).toThrow();
      const stores = trustStoresFrom({ 'tsa:e2e': TSA_ROOTS });
      const withSigner: TrustStores = {
        get: (type, name) =>
          type === 'ca' && name === 'e2e'
            ? { type, name, certificates: [envelope.certificateChain[0]!] }
            : stores.get(type, name),
        all: stores.all,
      };
      for (const policy of ['timestamp_trustpolicy.json', 'timestamp_after_cert_expiry_trustpolicy.json']) {
        const [outcome] = await verifyLayout(
          'e2e-with-invalid-timestamped-signature',
          policyJson(policy),
          withSigner,
        );
        expect(outcome?.isSuccess).toBe(false);
        expect(outcome?.failedValidation).toBe('authenticTimestamp');
        expect(outcome?.error?.reason).toMatch(/^failed to parse timestamp countersignature/);
      }
    });
  });

  describe('trust policies that pass', () => {
    it.each<[string, string, StoreSet]>([
      ['trustpolicy.json', 'localhost:5000/e2e', 'baseline'],
      ['any_registry_scope_trust_policy.json', 'localhost:5000/e2e', 'baseline'],
      ['valid_trusted_identity_trustpolicy.json', 'localhost:5000/e2e', 'baseline'],
      ['registry_scope_trustpolicy.json', 'localhost:5000/test-repo', 'baseline'],
      ['multiple_registry_scope_trustpolicy.json', 'localhost:5000/test-repo2', 'baseline'],
      ['multiple_registry_scope_trustpolicy.json', 'localhost:5000/test-repo3', 'baseline'],
      [
        'multi_statements_with_wildcard_registry_scope_trustpolicy.json',
        'localhost:5000/test-repo9',
        'baseline',
      ],
      [
        'multi_statements_with_wildcard_registry_scope_trustpolicy.json',
        'localhost:5000/elsewhere',
        'baseline',
      ],
      ['multiple_trust_store_trustpolicy.json', 'localhost:5000/e2e', 'twoStores'],
      ['multiple_trusted_identity_trustpolicy.json', 'localhost:5000/e2e', 'twoCertificates'],
      ['timestamp_after_cert_expiry_trustpolicy.json', 'localhost:5000/e2e', 'timestamp'],
    ])('%s for %s passes', async (policy, repository, stores) => {
      const [outcome] = await verifyLayout(
        'e2e-valid-signature',
        policyJson(policy),
        trustStoresFrom(STORES[stores]),
        repository,
      );
      expect(outcome?.error).toBeUndefined();
      expect(outcome?.isSuccess).toBe(true);
    });

    it('invalid_trusted_identity_trustpolicy.json (C=USB) fails authenticity (derived)', async () => {
      const [outcome] = await verifyLayout(
        'e2e-valid-signature',
        policyJson('invalid_trusted_identity_trustpolicy.json'),
        trustStoresFrom(STORES.baseline),
      );
      expect(outcome?.error?.code).toBe('IDENTITY_MISMATCH');
    });

    it('timestamp_trustpolicy.json refuses a signature without a countersignature (derived)', async () => {
      const [outcome] = await verifyLayout(
        'e2e-valid-signature',
        policyJson('timestamp_trustpolicy.json'),
        trustStoresFrom(STORES.timestamp),
      );
      expect(outcome?.failedValidation).toBe('authenticTimestamp');
      expect(outcome?.error?.reason).toBe(
        'no timestamp countersignature was found in the signature envelope',
      );
    });

    it('the CLI-flow policies are valid documents', () => {
      for (const file of ['quickstart_trustpolicy.json', 'generate_test_trustpolicy.json']) {
        expect(parseTrustPolicyDocument(policyJson(file)).trustPolicies).toHaveLength(1);
      }
    });
  });

  describe('trust policies that are rejected', () => {
    const stores = trustStoresFrom(STORES.baseline);
    it.each<[string, RegExp]>([
      ['unset_trust_store_trustpolicy.json', /either missing trust stores or trusted identities/],
      ['unset_trusted_identity_trustpolicy.json', /either missing trust stores or trusted identities/],
      [
        'malformed_trust_store_trustpolicy.json',
        /uses an unsupported trust store name "" in trust store value "ca:"/,
      ],
      ['wildcard_trust_store_trustpolicy.json', /has malformed trust store value "\*"/],
      ['invalid_trust_store_trustpolicy.json', /the trust store "invalid_store" of type "ca" does not exist/],
      ['malformed_trusted_identity_trustpolicy.json', /missing separator/],
      ['empty_trusted_identity_trustpolicy.json', /has an empty trusted identity/],
      ['overlapped_trusted_identity_trustpolicy.json', /has overlapping x509 trustedIdentities/],
      [
        'wildcard_plus_other_trusted_identity_trustpolicy.json',
        /a wildcard identity cannot be used in conjunction with other values/,
      ],
      ['missing_organization_trusted_identity_trustpolicy.json', /no mandatory RDN attribute for "O"/],
      ['missing_state_trusted_identity_trustpolicy.json', /no mandatory RDN attribute for "ST"/],
      ['missing_country_trusted_identity_trustpolicy.json', /no mandatory RDN attribute for "C"/],
      ['empty_registry_scope_trustpolicy.json', /has zero registry scopes/],
      [
        'malformed_registry_scope_trustpolicy.json',
        /registry scope "localhost:5000\\\\test-repo" is not valid/,
      ],
      ['overlapped_registry_scope_trustpolicy.json', /is present in multiple oci trust policy statements/],
      [
        'multi_statements_with_the_same_registry_scope_trustpolicy.json',
        /is present in multiple oci trust policy statements/,
      ],
      [
        'multi_statements_with_multi_wildcard_registry_scope_trustpolicy.json',
        /registry scope "\*" is present in multiple oci trust policy statements/,
      ],
      [
        'wildcard_plus_other_registry_scope_trustpolicy.json',
        /a wildcard scope cannot be used in conjunction with other scope values/,
      ],
      [
        'multi_statements_with_the_same_name_trustpolicy.json',
        /multiple oci trust policy statements use the same name "e2e"/,
      ],
      ['overlapped_trust_store_trustpolicy.json', /lists trust store "ca:e2e" more than once/],
      [
        'override_integrity_for_permissive_trustpolicy.json',
        /"integrity" verification can not be overridden/,
      ],
    ])('%s', (file, reason) => {
      let caught: unknown;
      try {
        parseTrustPolicyDocument(policyJson(file), { trustStores: stores });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SignetError);
      expect((caught as SignetError).code).toBe('CONFIG_INVALID');
      expect((caught as SignetError).reason).toMatch(reason);
    });

    it('invalid_format_trustpolicy.json is not JSON', () => {
      expect(() =>
        parseTrustPolicyDocument(
          readVector(E2E, 'config/trustpolicies/invalid_format_trustpolicy.json').toString('utf8'),
        ),
      ).toThrow(/malformed trust policy/);
    });

    it('invalid_registry_scope_trustpolicy.json has no statement for the artifact', () => {
      const document = parseTrustPolicyDocument(policyJson('invalid_registry_scope_trustpolicy.json'), {
        trustStores: stores,
      });
      let caught: unknown;
      try {
        selectTrustPolicy(document, `localhost:5000/test-repo@${layout('e2e-valid-signature').image.digest}`);
      } catch (error) {
        caught = error;
      }
      expect((caught as SignetError).code).toBe('NO_APPLICABLE_POLICY');
      expect((caught as SignetError).reason).toMatch(/has no applicable oci trust policy statement/);
    });
  });

  describe('TSA roots for tsa stores', () => {
    it.each(['globalsignTSARoot.cer', 'DigiCertTSARootSHA384.cer'])('accepts %s', (file) => {
      expect(
        trustStoresFrom({ 'tsa:e2e': [`${E2E}/config/timestamp/${file}`] }).get('tsa', 'e2e')?.certificates,
      ).toHaveLength(1);
    });

    it.each(['invalid.crt', 'Empty.txt', 'CertChain.pem', 'intermediate.pem', 'notSelfIssued.crt'])(
      'rejects %s',
      (file) => {
        expect(() => trustStoresFrom({ 'tsa:e2e': [`${E2E}/config/timestamp/${file}`] })).toThrow(
          SignetError,
        );
      },
    );
  });

  describe('detached blob signatures', () => {
    const license = readVector('notation-e2e/LICENSE');
    const blob = {
      mediaType: 'application/octet-stream',
      digest: `sha256:${createHash('sha256').update(license).digest('hex')}`,
      size: license.length,
    };

    it('signs the Apache-2.0 text', () => {
      expect(blob).toEqual({
        mediaType: 'application/octet-stream',
        digest: 'sha256:c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4',
        size: 11357,
      });
    });

    it.each<[string, string, string]>([
      ['blob.jws.sig', 'application/jose+json', 'CN=testcert2'],
      ['blob.cose.sig', 'application/cose', 'CN=testcert3'],
    ])('%s is intact and describes the blob', (file, mediaType, signer) => {
      const envelope = parseNotationEnvelope(mediaType, readVector(E2E, 'signatures', file));
      expect(() => verifyEnvelopeIntegrity(envelope)).not.toThrow();
      expect(parseTargetDescriptor(envelope)).toEqual(blob);
      expect(envelope.certificateChain[0]?.subject.startsWith(signer)).toBe(true);
      expect(envelope.timestampToken).toBeDefined();
      if (file === 'blob.jws.sig')
        expect(envelope.signingTime.toISOString()).toBe('2024-12-31T08:05:29.000Z');
    });

    it('malformed.jws.sig fails to parse', () => {
      expect(() =>
        parseNotationEnvelope('application/jose+json', readVector(E2E, 'signatures/malformed.jws.sig')),
      ).toThrow(SignetError);
    });
  });
});
