/**
 * notaryproject/notation-go unit-test data (test/vectors/data/notation-go): mock JWS envelopes,
 * trust-store layouts, trusted-identity certificates, and the authentic-timestamp envelopes and
 * countersignatures, with the outcomes the vectors README states.
 */
import { SignetError } from '../../provider/errors.js';
import { parseCertificateBundle, type TrustStores } from '../../provider/trust/index.js';
import {
  parseNotationEnvelope,
  parseTargetDescriptor,
  parseTrustPolicyDocument,
  selectTrustPolicy,
  verifyNotationSignature,
  type NotationOutcome,
  type SubjectDescriptor,
  type TrustPolicyStatement,
  type ValidationType,
} from '../../provider/verifiers/notation/index.js';
import { verifyTrustedIdentity } from '../../provider/verifiers/notation/stages/identity.js';
import { parseSignedToken, readTstInfo } from '../../provider/trust/index.js';
import { verifySignedToken } from '../../provider/verifiers/notation/timestamp.js';
import { readVector, readVectorJson, trustStoresFrom, vectorPath } from './notation-helpers.js';

const GO = 'notation-go';
const STORE = `${GO}/verifier/testdata/truststore/x509`;
/** notation-go's tests run at the wall clock; pinned after every expiry these vectors contain. */
const NOW = new Date('2026-01-01T00:00:00Z');
const JWS = 'application/jose+json';
const REPOSITORY = 'registry.acme-rockets.io/software/net-monitor';

const STORES = trustStoresFrom({
  'ca:valid-trust-store': [`${STORE}/ca/valid-trust-store`],
  'signingAuthority:valid-trust-store': [`${STORE}/signingAuthority/valid-trust-store`],
  'ca:valid-trust-store-2': [`${STORE}/ca/valid-trust-store-2`],
  'signingAuthority:valid-trust-store-2': [`${STORE}/signingAuthority/valid-trust-store-2`],
  'tsa:test-timestamp': [`${STORE}/tsa/test-timestamp`],
  'tsa:test-mismatch': [`${STORE}/tsa/test-mismatch`],
});

function statement(options: {
  level?: string;
  stores?: string[];
  identity?: string;
  signatureVerification?: Record<string, unknown>;
}): TrustPolicyStatement {
  const document = parseTrustPolicyDocument(
    {
      version: '1.0',
      trustPolicies: [
        {
          name: 'test-statement-name',
          registryScopes: [REPOSITORY],
          signatureVerification: options.signatureVerification ?? { level: options.level ?? 'strict' },
          trustStores: options.stores ?? ['ca:valid-trust-store', 'signingAuthority:valid-trust-store'],
          trustedIdentities: [
            options.identity ?? 'x509.subject:CN=Notation Test Root,O=Notary,L=Seattle,ST=WA,C=US',
          ],
        },
      ],
    },
    { trustStores: STORES },
  );
  return selectTrustPolicy(
    document,
    `${REPOSITORY}@sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e`,
  );
}

function verify(
  bytes: Uint8Array,
  subject: SubjectDescriptor,
  policy: TrustPolicyStatement,
  mediaType = JWS,
  stores: TrustStores = STORES,
): Promise<NotationOutcome> {
  return verifyNotationSignature({
    subject: { reference: `${REPOSITORY}@${subject.digest}`, descriptor: subject },
    envelope: { mediaType, bytes },
    statement: policy,
    trustStores: stores,
    now: NOW,
  });
}

const statusOf = (outcome: NotationOutcome, type: ValidationType): string | undefined =>
  outcome.results.find((result) => result.type === type)?.status;

const MOCK_SUBJECT: SubjectDescriptor = {
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  digest: 'sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e',
  size: 528,
};
const mock = (file: string): Uint8Array => readVector(GO, 'internal/mock/testdata', file);
const LEVELS = ['strict', 'permissive', 'audit'] as const;

describe('notation-go vectors', () => {
  describe('mock envelopes', () => {
    describe.each(['ca', 'sa'])('%s_valid_sig_env.json', (scheme) => {
      it.each(LEVELS)('passes at %s', async (level) => {
        const outcome = await verify(
          mock(`${scheme}_valid_sig_env.json`),
          MOCK_SUBJECT,
          statement({ level }),
        );
        expect(outcome.error).toBeUndefined();
        expect(outcome.isSuccess).toBe(true);
        expect(
          ['integrity', 'authenticity', 'expiry'].map((type) => statusOf(outcome, type as ValidationType)),
        ).toEqual(['success', 'success', 'success']);
      });

      it('fails authenticity with GlobalSign-only stores', async () => {
        const outcome = await verify(
          mock(`${scheme}_valid_sig_env.json`),
          MOCK_SUBJECT,
          statement({ stores: ['ca:valid-trust-store-2', 'signingAuthority:valid-trust-store-2'] }),
        );
        expect(outcome.failedValidation).toBe('authenticity');
        expect(outcome.error?.reason).toBe(
          "the signature's certificate chain does not contain any trusted certificate",
        );
      });

      it('fails the trusted identity check for another subject', async () => {
        const outcome = await verify(
          mock(`${scheme}_valid_sig_env.json`),
          MOCK_SUBJECT,
          statement({ identity: 'x509.subject:CN=LOL,O=DummyOrg,L=Hyderabad,ST=TG,C=IN' }),
        );
        expect(outcome.failedValidation).toBe('authenticity');
        expect(outcome.error?.code).toBe('IDENTITY_MISMATCH');
      });
    });

    describe.each(['ca', 'sa'])('%s_invalid_sig_env.json', (scheme) => {
      it.each(LEVELS)('fails integrity at %s', async (level) => {
        const outcome = await verify(
          mock(`${scheme}_invalid_sig_env.json`),
          MOCK_SUBJECT,
          statement({ level }),
        );
        expect(outcome.failedValidation).toBe('integrity');
        expect(outcome.error?.reason).toMatch(/illegal base64 data at input byte 242/);
      });
    });

    describe.each(['ca', 'sa'])('%s_expired_sig_env.json', (scheme) => {
      it('fails expiry at strict', async () => {
        const outcome = await verify(
          mock(`${scheme}_expired_sig_env.json`),
          MOCK_SUBJECT,
          statement({ level: 'strict' }),
        );
        expect(outcome.failedValidation).toBe('expiry');
        expect(outcome.error?.reason).toMatch(
          /digital signature has expired on "Fri, 29 Jul 2022 23:59:00 \+0000"/,
        );
      });

      it.each(['permissive', 'audit'])('logs expiry at %s', async (level) => {
        const outcome = await verify(
          mock(`${scheme}_expired_sig_env.json`),
          MOCK_SUBJECT,
          statement({ level }),
        );
        expect(outcome.isSuccess).toBe(true);
        expect(outcome.warnings.some((warning) => warning.includes('Fri, 29 Jul 2022 23:59:00 +0000'))).toBe(
          true,
        );
      });
    });

    describe.each(['ca', 'sa'])('%s_plugin_sig_env.json', (scheme) => {
      it.each(LEVELS)('fails without the verification plugin at %s', async (level) => {
        const outcome = await verify(
          mock(`${scheme}_plugin_sig_env.json`),
          MOCK_SUBJECT,
          statement({ level }),
        );
        expect(outcome.isSuccess).toBe(false);
        expect(outcome.error?.reason).toMatch(/requires verification plugin "plugin-name"/);
      });
    });

    describe('plugin minimum versions', () => {
      const subject: SubjectDescriptor = {
        ...MOCK_SUBJECT,
        digest: 'sha256:fe7e9333395060c2f5e63cf36a38fba10176f183b4163a5794e081a480abba5f',
        size: 942,
      };
      it.each([
        'ca_compatible_pluginver_sig_env_0.0.9.json',
        'ca_compatible_pluginver_sig_env_1.0.0-alpha.json',
        'ca_compatible_pluginver_sig_env_1.0.0-alpha.beta.json',
        'ca_compatible_pluginver_sig_env_1.0.0.json',
        'ca_incompatible_pluginver_sig_env_1.0.1.json',
        'ca_incompatible_pluginver_sig_env_1.0.9.json',
        'ca_incompatible_pluginver_sig_env_1.1.0-alpha.json',
        'ca_incompatible_pluginver_sig_env_1.2.3.json',
      ])('%s is rejected by a verifier without plugin support', async (file) => {
        const outcome = await verify(
          mock(file),
          subject,
          statement({ identity: 'x509.subject:CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US' }),
        );
        expect(outcome.isSuccess).toBe(false);
        expect(outcome.error?.reason).toMatch(
          /requires verification plugin "io.cncf.notary.plugin.unittest.mock"/,
        );
      });
    });

    describe('sig_env_with_metadata.json', () => {
      const subject: SubjectDescriptor = {
        ...MOCK_SUBJECT,
        digest: 'sha256:5a07385af4e6b6af81b0ebfd435aedccdfa3507f0609c658209e1aba57159b2b',
        size: 942,
      };

      it('passes at audit with failures only logged', async () => {
        const outcome = await verify(
          mock('sig_env_with_metadata.json'),
          subject,
          statement({ level: 'audit' }),
        );
        expect(outcome.isSuccess).toBe(true);
      });

      it('carries the annotations user-metadata checks read', () => {
        expect(
          parseTargetDescriptor(parseNotationEnvelope(JWS, mock('sig_env_with_metadata.json'))).annotations,
        ).toEqual({
          'io.wabbit-networks.buildId': '123',
          'io.wabbit-networks.buildTime': '1672944615',
        });
      });
    });
  });

  describe('trust stores', () => {
    it.each([
      ['ca/valid-trust-store', 6],
      ['ca/valid-trust-store-2', 2],
      ['signingAuthority/valid-trust-store-2', 2],
      ['ca/valid-trust-store-self-signed', 1],
      ['trust-store-with-directories', 1],
    ])('loads %s', (path, count) => {
      const type = path.startsWith('signingAuthority') ? 'signingAuthority' : 'ca';
      expect(
        trustStoresFrom({ [`${type}:store`]: [`${STORE}/${path}`] }).get(type, 'store')?.certificates,
      ).toHaveLength(count);
    });

    it.each<[string, RegExp]>([
      ['ca/trust-store-with-invalid-certs', /failed to read the trusted certificate invalid/],
      ['ca/trust-store-with-leaf-certs', /is not a CA certificate or self-signed signing certificate/],
      [
        'ca/trust-store-with-leaf-certs-in-single-file',
        /is not a CA certificate or self-signed signing certificate/,
      ],
    ])('rejects %s', (path, reason) => {
      expect(() => trustStoresFrom({ 'ca:store': [`${STORE}/${path}`] })).toThrow(reason);
    });

    it('accepts the GlobalSign TSA root and rejects non-root TSA certificates', () => {
      expect(
        trustStoresFrom({ 'tsa:t': [`${STORE}/tsa/test-timestamp`] }).get('tsa', 't')?.certificates,
      ).toHaveLength(1);
      expect(() => trustStoresFrom({ 'tsa:t': [`${STORE}/tsa/test-nonCA`] })).toThrow(
        /is not a root CA certificate/,
      );
      expect(() => trustStoresFrom({ 'tsa:t': [`${STORE}/tsa/test-nonSelfIssued`] })).toThrow(
        /is not a root CA certificate/,
      );
    });
  });

  describe('trusted identities against verifier/testdata/verifier', () => {
    const [signingCert] = parseCertificateBundle(
      readVector(GO, 'verifier/testdata/verifier/signing-cert.pem'),
    );
    const identity = (identities: string[]): TrustPolicyStatement =>
      selectTrustPolicy(
        parseTrustPolicyDocument({
          version: '1.0',
          trustPolicies: [
            {
              name: 'p',
              registryScopes: ['*'],
              signatureVerification: { level: 'strict' },
              trustStores: ['ca:valid-trust-store'],
              trustedIdentities: identities,
            },
          ],
        }),
        'registry.example/app',
      );

    it.each<[string[], boolean]>([
      [['x509.subject:C=US,ST=WA,L=Seattle,O=SomeOrg,OU=SomeOU,CN=SomeCN'], true],
      [['x509.subject:C=US,ST=WA,O=SomeOrg'], true],
      [['x509.subject:C=US,ST=WA,O=SomeOrg,CN=OtherCN', 'x509.subject:C=US,ST=WA,O=SomeOrg,OU=SomeOU'], true],
      [['x509.subject:C=IND,ST=TS,O=SomeOrg'], false],
      [['x509.subject:C=US,ST=WA,O=SomeOrg,CN=Some'], false],
    ])('%j matches: %s', (identities, matches) => {
      expect(verifyTrustedIdentity(signingCert!, identity(identities)) === undefined).toBe(matches);
    });

    it('cannot parse the subject of bad-cert.pem', () => {
      const [badCert] = parseCertificateBundle(readVector(GO, 'verifier/testdata/verifier/bad-cert.pem'));
      expect(
        verifyTrustedIdentity(badCert!, identity(['x509.subject:C=US,ST=WA,O=SomeOrg']))?.reason,
      ).toMatch(/error while parsing the certificate subject/);
    });
  });

  describe('authentic timestamp envelopes', () => {
    const SUBJECT: SubjectDescriptor = {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: 'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda',
      size: 528,
    };
    const envelope = (file: string): { bytes: Uint8Array; mediaType: string } => {
      const bytes = readVector(GO, 'verifier/testdata/timestamp/sigEnv', file);
      return { bytes, mediaType: bytes[0] === 0x7b ? JWS : 'application/cose' };
    };
    /**
     * Upstream exercises verifyAuthenticTimestamp alone; authenticity is logged here so the enforced
     * authenticTimestamp validation decides.
     */
    const timestampPolicy = (
      verifyTimestamp: string,
      stores: string[] = ['ca:valid-trust-store', 'tsa:test-timestamp'],
    ): TrustPolicyStatement =>
      selectTrustPolicy(
        parseTrustPolicyDocument(
          {
            version: '1.0',
            trustPolicies: [
              {
                name: 'test-timestamp',
                registryScopes: ['*'],
                signatureVerification: {
                  level: 'strict',
                  override: { authenticity: 'log' },
                  verifyTimestamp,
                },
                trustStores: stores,
                trustedIdentities: ['*'],
              },
            ],
          },
          { trustStores: STORES },
        ),
        `${REPOSITORY}@${SUBJECT.digest}`,
      );
    const run = async (file: string, policy: TrustPolicyStatement): Promise<NotationOutcome> => {
      const { bytes, mediaType } = envelope(file);
      return verify(bytes, SUBJECT, policy, mediaType);
    };

    it.each(['jwsWithTimestamp.sig', 'coseWithTimestamp.sig'])('%s passes', async (file) => {
      const outcome = await run(file, timestampPolicy('always'));
      expect(outcome.error).toBeUndefined();
      expect(statusOf(outcome, 'authenticity')).toBe('success');
      expect(outcome.timestamp).toBeDefined();
    });

    it('coseWithTimestamp.sig also passes with afterCertExpiry', async () => {
      expect((await run('coseWithTimestamp.sig', timestampPolicy('afterCertExpiry'))).isSuccess).toBe(true);
    });

    it.each(['jwsExpiredWithTimestamp.sig', 'coseExpiredWithTimestamp.sig'])(
      '%s passes inside the certificate window',
      async (file) => {
        const outcome = await run(file, timestampPolicy('always'));
        expect(statusOf(outcome, 'authenticTimestamp')).toBe('success');
        expect(outcome.isSuccess).toBe(true);
      },
    );

    it.each(['jwsExpiredWithTimestamp.sig', 'coseExpiredWithTimestamp.sig'])(
      '%s fails without a tsa store',
      async (file) => {
        const outcome = await run(file, timestampPolicy('always', ['ca:valid-trust-store']));
        expect(outcome.failedValidation).toBe('authenticTimestamp');
        expect(outcome.error?.reason).toMatch(/it was expired at "Tue, 18 Jun 2024 07:30:31 \+0000"/);
      },
    );

    it('timestampBeforeNotBefore.sig fails: the timestamp precedes the certificate', async () => {
      const outcome = await run('timestampBeforeNotBefore.sig', timestampPolicy('always'));
      expect(outcome.failedValidation).toBe('authenticTimestamp');
      expect(outcome.error?.reason).toMatch(
        /timestamp can be before certificate .* it will be valid from "Fri, 18 Sep 2099 11:54:34 \+0000"/,
      );
    });

    it('timestampAfterNotAfter.sig fails: the timestamp follows the certificate', async () => {
      const outcome = await run('timestampAfterNotAfter.sig', timestampPolicy('always'));
      expect(outcome.failedValidation).toBe('authenticTimestamp');
      expect(outcome.error?.reason).toMatch(
        /timestamp can be after certificate .* it was expired at "Tue, 18 Sep 2001 11:54:34 \+0000"/,
      );
    });

    it('withoutTimestamp.sig fails when a timestamp is required', async () => {
      const outcome = await run('withoutTimestamp.sig', timestampPolicy('always'));
      expect(outcome.error?.reason).toMatch(/no timestamp countersignature was found/);
    });

    it('a tsa store with the wrong root fails', async () => {
      const outcome = await run(
        'jwsWithTimestamp.sig',
        timestampPolicy('always', ['ca:valid-trust-store', 'tsa:test-mismatch']),
      );
      expect(outcome.failedValidation).toBe('authenticTimestamp');
      expect(outcome.error?.reason).toMatch(/certificate signed by unknown authority/);
    });

    describe('countersignatures put into withoutTimestamp.sig', () => {
      const withToken = (token: string): Uint8Array => {
        const document = JSON.parse(envelope('withoutTimestamp.sig').bytes.toString()) as {
          header: Record<string, unknown>;
        };
        document.header['io.cncf.notary.timestampSignature'] = readVector(
          GO,
          'verifier/testdata/timestamp/countersignature',
          token,
        ).toString('base64');
        return Buffer.from(JSON.stringify(document));
      };

      it.each<[string, RegExp]>([
        ['TimeStampToken.p7s', /invalid TSTInfo: mismatched message/],
        ['TimeStampTokenWithInvalideContentType.p7s', /unexpected content type: 1.2.840.113549.1.7.1/],
        ['TimeStampTokenWithInvalidTSTInfo.p7s', /cannot unmarshal TSTInfo/],
        ['TimeStampTokenWithoutCertificate.p7s', /failed/],
      ])('%s fails', async (token, reason) => {
        const outcome = await verify(withToken(token), SUBJECT, timestampPolicy('always'));
        expect(outcome.failedValidation).toBe('authenticTimestamp');
        expect(outcome.error?.reason).toMatch(reason);
      });

      it('TimeStampTokenWithoutCertificate.p7s has no signing certificate', () => {
        const token = parseSignedToken(
          readVector(GO, 'verifier/testdata/timestamp/countersignature/TimeStampTokenWithoutCertificate.p7s'),
        );
        const roots = STORES.get('tsa', 'test-timestamp')!.certificates;
        expect(() => verifySignedToken(token, roots, readTstInfo(token).genTime)).toThrow(
          /signing certificate not found in the timestamp token/,
        );
      });
    });
  });

  describe('internal/testdata detached signatures (derived: trust the embedded CN=alpine signer)', () => {
    const index = readVectorJson(GO, 'internal/testdata/oci-layout/index.json') as {
      manifests: { mediaType: string; digest: string; size: number }[];
    };
    const manifest = index.manifests.find((entry) => entry.digest.startsWith('sha256:19dbd2e4'))!;
    const subject: SubjectDescriptor = {
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.size,
    };

    it.each<[string, string]>([
      ['jws_signature.sig', JWS],
      ['cose_signature.sig', 'application/cose'],
    ])('%s verifies against the unsigned alpine manifest', async (file, mediaType) => {
      const bytes = readVector(GO, 'internal/testdata', file);
      const signer = parseNotationEnvelope(mediaType, bytes).certificateChain[0]!;
      expect(signer.subject).toMatch(/^CN=alpine,/);
      expect(subject).toEqual({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: 'sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0',
        size: 481,
      });
      const stores: TrustStores = {
        get: (type, name) =>
          type === 'ca' && name === 'alpine' ? { type, name, certificates: [signer] } : undefined,
        all: [],
      };
      const policy = selectTrustPolicy(
        parseTrustPolicyDocument({
          version: '1.0',
          trustPolicies: [
            {
              name: 'alpine',
              registryScopes: ['*'],
              signatureVerification: { level: 'strict' },
              trustStores: ['ca:alpine'],
              trustedIdentities: ['*'],
            },
          ],
        }),
        'localhost:5000/alpine',
      );
      const outcome = await verify(bytes, subject, policy, mediaType, stores);
      expect(outcome.error).toBeUndefined();
      expect(outcome.isSuccess).toBe(true);
    });

    it('refuses them for another manifest', async () => {
      const bytes = readVector(GO, 'internal/testdata/jws_signature.sig');
      const outcome = await verify(bytes, { ...subject, size: subject.size + 1 }, statement({}));
      expect(outcome.error).toBeInstanceOf(SignetError);
      expect(outcome.error?.reason).toMatch(/content descriptor mismatch/);
    });
  });

  it('reads vectors from inside the repository', () => {
    expect(vectorPath(GO)).toMatch(/test\/vectors\/data\/notation-go$/);
  });
});
