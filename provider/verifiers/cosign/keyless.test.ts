import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { SignetError } from '../../errors.js';
import {
  parseSigstoreTrustedRoot,
  type SigstorePolicy,
  type SigstoreTrustMaterial,
} from '../sigstore/index.js';
import {
  COSIGN_CERTIFICATE_ANNOTATION,
  COSIGN_REKOR_BUNDLE_ANNOTATION,
  verifyCosignKeylessAttestation,
  verifyCosignKeylessLayer,
  type CosignKeylessAttestation,
  type CosignKeylessLayer,
} from './keyless.js';

/**
 * The layer cosign v2 would write for the sigstore-conformance `happy-path-v0.1` signature: same
 * certificate, signature, hashedrekord entry and SET, rearranged into cosign's annotations.
 */
const VECTORS = fileURLToPath(new URL('../../../test/vectors/data/', import.meta.url));
const CASE = `${VECTORS}sigstore-conformance/test/assets/bundle-verify/`;

interface SerializedV01Bundle {
  verificationMaterial: {
    x509CertificateChain: { certificates: Array<{ rawBytes: string }> };
    tlogEntries: Array<{
      logIndex: string;
      logId: { keyId: string };
      integratedTime: string;
      inclusionPromise: { signedEntryTimestamp: string };
      canonicalizedBody: string;
    }>;
  };
  messageSignature: { signature: string };
}

const source = JSON.parse(
  readFileSync(`${CASE}happy-path-v0.1/bundle.sigstore.json`, 'utf8'),
) as SerializedV01Bundle;
function present<T>(value: T, what: string): NonNullable<T> {
  if (value === undefined || value === null) throw new Error(`happy-path-v0.1 lacks its ${what}`);
  return value;
}
const entry = present(source.verificationMaterial.tlogEntries[0], 'log entry');
const leaf = present(source.verificationMaterial.x509CertificateChain.certificates[0], 'certificate');

const certificatePem = `-----BEGIN CERTIFICATE-----\n${leaf.rawBytes.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
function rekorBundle(integratedTime = Number(entry.integratedTime)): string {
  return JSON.stringify({
    SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp,
    Payload: {
      body: entry.canonicalizedBody,
      integratedTime,
      logIndex: Number(entry.logIndex),
      logID: Buffer.from(entry.logId.keyId, 'base64').toString('hex'),
    },
  });
}

function productionRoot(): SigstoreTrustMaterial {
  const seeds = JSON.parse(readFileSync(`${VECTORS}sigstore-js/packages/tuf/seeds.json`, 'utf8')) as Record<
    string,
    { targets: Record<string, string> }
  >;
  return parseSigstoreTrustedRoot(
    Buffer.from(seeds['https://tuf-repo-cdn.sigstore.dev']?.targets['trusted_root.json'] ?? '', 'base64'),
  );
}

const policy: SigstorePolicy = {
  certificateIdentity:
    'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  certificateOIDCIssuer: 'https://token.actions.githubusercontent.com',
};

const layer: CosignKeylessLayer = {
  payload: readFileSync(`${CASE}a.txt`),
  signature: Buffer.from(source.messageSignature.signature, 'base64'),
  annotations: {
    [COSIGN_CERTIFICATE_ANNOTATION]: certificatePem,
    [COSIGN_REKOR_BUNDLE_ANNOTATION]: rekorBundle(),
  },
  policy,
  trustMaterial: productionRoot(),
  tLogVerify: true,
  now: new Date('2026-01-01T00:00:00Z'),
};

function outcome(overrides: Partial<CosignKeylessLayer>): string {
  try {
    const signer = verifyCosignKeylessLayer({ ...layer, ...overrides });
    return `ok ${signer.subjects.join(',')} ${signer.logIndex ?? ''}`;
  } catch (error) {
    if (error instanceof SignetError) return `${error.code}: ${error.reason}`;
    throw error;
  }
}

describe('verifyCosignKeylessLayer', () => {
  describe('a valid keyless layer', () => {
    it('verifies chain, SCT, SET, signature and identity', () => {
      expect(outcome({})).toBe(`ok ${policy.certificateIdentity ?? ''} ${entry.logIndex}`);
    });
  });

  describe('failures name the check', () => {
    it.each([
      ['tampered payload', { payload: Buffer.from('tampered') }, /^SIGNATURE_INVALID: tlog entry: /],
      [
        'identity mismatch',
        { policy: { ...policy, certificateIdentity: 'someone@example.com' } },
        /^IDENTITY_MISMATCH: identity: /,
      ],
      [
        'issuer mismatch',
        { policy: { ...policy, certificateOIDCIssuer: 'https://accounts.google.com' } },
        /^IDENTITY_MISMATCH: issuer: /,
      ],
      [
        'SET over another integrated time',
        {
          annotations: {
            ...layer.annotations,
            [COSIGN_REKOR_BUNDLE_ANNOTATION]: rekorBundle(Number(entry.integratedTime) + 1),
          },
        },
        /^SIGNATURE_INVALID: SET: /,
      ],
      [
        'no Rekor bundle while tLogVerify',
        { annotations: { [COSIGN_CERTIFICATE_ANNOTATION]: certificatePem } },
        /^SIGNATURE_INVALID: inclusion proof: /,
      ],
      [
        'tLogVerify off: the 10-minute certificate is judged now',
        { tLogVerify: false },
        /^EXPIRED: certificate validity: /,
      ],
      [
        'no certificate annotation',
        { annotations: { [COSIGN_REKOR_BUNDLE_ANNOTATION]: rekorBundle() } },
        /^SIGNATURE_INVALID: certificate chain: /,
      ],
      [
        'garbage certificate',
        { annotations: { ...layer.annotations, [COSIGN_CERTIFICATE_ANNOTATION]: 'junk' } },
        /^SIGNATURE_INVALID: certificate chain: /,
      ],
      [
        'oversized Rekor bundle',
        { annotations: { ...layer.annotations, [COSIGN_REKOR_BUNDLE_ANNOTATION]: 'x'.repeat(300 * 1024) } },
        /^LIMIT_EXCEEDED: /,
      ],
      [
        'Rekor bundle not JSON',
        { annotations: { ...layer.annotations, [COSIGN_REKOR_BUNDLE_ANNOTATION]: '{' } },
        /^SIGNATURE_INVALID: bundle: /,
      ],
    ] as const)('%s', (_name, overrides, expected) => {
      expect(outcome(overrides)).toMatch(expected);
    });

    it('tLogVerify off passes while the certificate is valid', () => {
      expect(outcome({ tLogVerify: false, now: new Date(Number(entry.integratedTime) * 1000) })).toBe(
        `ok ${policy.certificateIdentity ?? ''} `,
      );
    });
  });
});

describe('verifyCosignKeylessAttestation', () => {
  const envelope = {
    payloadType: 'application/vnd.in-toto+json',
    payload: Buffer.from('{}'),
    signatures: [Buffer.from(source.messageSignature.signature, 'base64')],
  };
  function attestationOutcome(overrides: Partial<CosignKeylessAttestation>): string {
    try {
      verifyCosignKeylessAttestation({
        annotations: layer.annotations,
        policy: layer.policy,
        trustMaterial: layer.trustMaterial,
        tLogVerify: layer.tLogVerify,
        now: layer.now,
        envelope,
        subjectDigest: `sha256:${'1'.repeat(64)}`,
        ...overrides,
      });
      return 'ok';
    } catch (error) {
      if (error instanceof SignetError) return `${error.code}: ${error.reason}`;
      throw error;
    }
  }

  describe('failures name the check', () => {
    it.each([
      [
        'two DSSE signatures',
        { envelope: { ...envelope, signatures: [...envelope.signatures, ...envelope.signatures] } },
        /^SIGNATURE_INVALID: bundle: DSSE envelope has 2 signatures, expected 1$/,
      ],
      ['no certificate annotation', { annotations: {} }, /^SIGNATURE_INVALID: certificate chain: /],
      // The conformance entry is a hashedrekord of another artifact: the assembled DSSE bundle must not match it.
      ['a log entry for something else', {}, /^SIGNATURE_INVALID: tlog entry: /],
    ] as const)('%s', (_name, overrides, expected) => {
      expect(attestationOutcome(overrides)).toMatch(expected);
    });
  });
});
