/**
 * Sigstore bundle vectors (test/vectors/data): the 70 sigstore-conformance `bundle-verify` cases, each
 * run with the artifact bytes and with only its digest, plus the sigstore-js and cosign testdata bundles.
 * The expected outcome always comes from the vector (directory name `_fail` suffix, README table), never
 * from signet.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { SignetError } from '../../provider/errors.js';
import {
  parseSigstoreTrustedRoot,
  toDigestArtifact,
  verifySigstoreBundle,
  type SigstoreArtifact,
  type SigstorePolicy,
  type SigstoreTrustMaterial,
} from '../../provider/verifiers/sigstore/index.js';
import { readVector, vectorPath } from './notation-helpers.js';

const CONFORMANCE = vectorPath('sigstore-conformance', 'test', 'assets', 'bundle-verify');
const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

/** The public-good production root, as the vectors README says: from sigstore-js's TUF seed. */
function productionRoot(): SigstoreTrustMaterial {
  const seeds = JSON.parse(
    readVector('sigstore-js', 'packages', 'tuf', 'seeds.json').toString('utf8'),
  ) as Record<string, { targets: Record<string, string> }>;
  const encoded = seeds['https://tuf-repo-cdn.sigstore.dev']?.targets['trusted_root.json'];
  if (encoded === undefined) throw new Error('seeds.json has no trusted_root.json target');
  return parseSigstoreTrustedRoot(Buffer.from(encoded, 'base64'), 'sigstore-js seeds.json');
}

const production = productionRoot();

interface Outcome {
  readonly ok: boolean;
  readonly error?: SignetError;
}

function run(
  bundle: Uint8Array,
  artifact: SigstoreArtifact,
  policy: SigstorePolicy,
  trust: () => SigstoreTrustMaterial,
): Outcome {
  try {
    verifySigstoreBundle(bundle, {
      artifact,
      policy,
      trustMaterial: trust(),
      tLogVerify: true,
      ctLogVerify: true,
      now: new Date(),
    });
    return { ok: true };
  } catch (error) {
    if (!(error instanceof SignetError)) throw error;
    return { ok: false, error };
  }
}

function describeOutcome(outcome: Outcome): string {
  return outcome.ok ? 'pass' : `fail (${outcome.error?.code ?? '?'}: ${outcome.error?.reason ?? ''})`;
}

function readIfPresent(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

interface ConformanceCase {
  readonly name: string;
  readonly expectPass: boolean;
  readonly bundle: Buffer;
  readonly payload: Buffer;
  /** Built per run: an unreadable key.pub (managed-key-wrong-key_fail) must fail the case, not the suite. */
  readonly policy: () => SigstorePolicy;
  readonly trust: () => SigstoreTrustMaterial;
}

function conformanceCases(): ConformanceCase[] {
  return readdirSync(CONFORMANCE)
    .filter((name) => statSync(join(CONFORMANCE, name)).isDirectory())
    .sort()
    .map((name) => {
      const dir = join(CONFORMANCE, name);
      const file = (entry: string): string => join(dir, entry);
      const keyPem = readIfPresent(file('key.pub'));
      const policy = (): SigstorePolicy =>
        keyPem !== undefined
          ? { publicKey: createPublicKey(keyPem) }
          : name === 'integrated-time-in-future_fail'
            ? {
                certificateIdentity: 'untrusted-sa@sigstore-conformance.iam.gserviceaccount.com',
                certificateOIDCIssuer: 'https://accounts.google.com',
              }
            : {
                certificateIdentity: readIfPresent(file('identity')) ?? DEFAULT_IDENTITY,
                certificateOIDCIssuer: readIfPresent(file('issuer')) ?? DEFAULT_ISSUER,
              };
      // A malformed trust root must fail the case, so parse it inside the run.
      const trust = existsSync(file('trusted_root.json'))
        ? () => parseSigstoreTrustedRoot(readFileSync(file('trusted_root.json')), name)
        : () => production;
      return {
        name,
        expectPass: !name.endsWith('_fail'),
        bundle: readFileSync(file('bundle.sigstore.json')),
        payload: readFileSync(existsSync(file('artifact')) ? file('artifact') : join(CONFORMANCE, 'a.txt')),
        policy,
        trust,
      };
    });
}

function runGuarded(kase: ConformanceCase, artifact: SigstoreArtifact): Outcome {
  let policy: SigstorePolicy;
  try {
    policy = kase.policy();
  } catch (error) {
    return {
      ok: false,
      error: new SignetError('CONFIG_INVALID', {
        stage: 'config',
        reason: `key.pub unreadable`,
        cause: error,
      }),
    };
  }
  try {
    return run(kase.bundle, artifact, policy, kase.trust);
  } catch (error) {
    if (error instanceof SignetError) return { ok: false, error };
    throw error;
  }
}

const cases = conformanceCases();
const results = new Map<string, boolean>();

describe('sigstore vectors', () => {
  describe('sigstore-conformance bundle-verify', () => {
    it('has the 70 cases the README lists (21 pass, 49 fail)', () => {
      expect(cases).toHaveLength(70);
      expect(cases.filter((kase) => kase.expectPass)).toHaveLength(21);
    });

    it.each(cases.map((kase) => [kase.name, kase] as const))('%s', (_name, kase) => {
      const withPayload = runGuarded(kase, { $case: 'payload', payload: kase.payload });
      const digest = `sha256:${createHash('sha256').update(kase.payload).digest('hex')}`;
      const withDigest = runGuarded(kase, toDigestArtifact(digest));
      const expected = kase.expectPass ? 'pass' : 'fail';
      results.set(kase.name, withPayload.ok === kase.expectPass && withDigest.ok === kase.expectPass);
      expect({ payload: describeOutcome(withPayload), digest: describeOutcome(withDigest) }).toEqual({
        payload: expect.stringMatching(new RegExp(`^${expected}`)) as unknown,
        digest: expect.stringMatching(new RegExp(`^${expected}`)) as unknown,
      });
    });

    afterAll(() => {
      const passed = [...results.values()].filter(Boolean).length;
      process.stdout.write(
        `sigstore-conformance: ${passed}/${cases.length} cases match (artifact and digest runs)\n`,
      );
    });
  });

  describe('signet switches over conformance bundles (derived from cosign semantics)', () => {
    const happy = cases.find((kase) => kase.name === 'happy-path-v0.3');
    const badCt = cases.find((kase) => kase.name === 'invalid-ct-key_fail');
    if (happy === undefined || badCt === undefined) throw new Error('conformance cases missing');
    const verify = (
      kase: ConformanceCase,
      overrides: { tLogVerify?: boolean; ctLogVerify?: boolean; now?: Date; payload?: Buffer },
    ) =>
      verifySigstoreBundle(kase.bundle, {
        artifact: { $case: 'payload', payload: overrides.payload ?? kase.payload },
        policy: kase.policy(),
        trustMaterial: kase.trust(),
        tLogVerify: overrides.tLogVerify ?? true,
        ctLogVerify: overrides.ctLogVerify ?? true,
        now: overrides.now ?? new Date(),
      });

    it('reports the signer and its log entry', () => {
      const signer = verify(happy, {});
      expect(signer).toMatchObject({
        subjects: [DEFAULT_IDENTITY],
        issuer: DEFAULT_ISSUER,
        keySource: 'certificate',
      });
      expect(signer.integratedTime).toBeInstanceOf(Date);
      expect(signer.logIndex).toMatch(/^\d+$/);
    });

    it('without tLogVerify the short-lived certificate is judged at "now", like cosign --insecure-ignore-tlog', () => {
      expect(() => verify(happy, { tLogVerify: false })).toThrow(/certificate validity: signing time/);
      const signed = verify(happy, {}).integratedTime ?? new Date(0);
      expect(verify(happy, { tLogVerify: false, now: signed }).integratedTime).toBeUndefined();
    });

    it('without ctLogVerify an SCT from an unknown CT log is not checked', () => {
      expect(() => verify(badCt, {})).toThrow(/^SCT: /);
      expect(verify(badCt, { ctLogVerify: false }).keySource).toBe('certificate');
    });

    it('a tampered artifact fails the artifact check', () => {
      expect(() => verify(happy, { payload: Buffer.concat([happy.payload, Buffer.from('x')]) })).toThrow(
        /^artifact: /,
      );
    });
  });

  describe('sigstore-js tests/bundles', () => {
    const dir = vectorPath('sigstore-js', 'tests', 'bundles');
    const statement = JSON.parse(readFileSync(join(dir, 'statement.json'), 'utf8')) as {
      subject: Array<{ digest: Record<string, string> }>;
    };
    const subjectDigest = statement.subject[0]?.digest.sha512;
    const files = readdirSync(dir)
      .filter((file) => file.endsWith('.sigstore'))
      .sort();

    it('has the nine bundles the README lists', () => {
      expect(files).toHaveLength(9);
    });

    it.each(files)('%s passes for brian@dehamer.com via GitHub OAuth', (file) => {
      const outcome = run(
        readFileSync(join(dir, file)),
        toDigestArtifact(`sha512:${subjectDigest ?? ''}`),
        { certificateIdentity: 'brian@dehamer.com', certificateOIDCIssuer: 'https://github.com/login/oauth' },
        () => production,
      );
      expect(describeOutcome(outcome)).toBe('pass');
    });
  });

  describe('cosign oci-attestation.sigstore.json', () => {
    const bundle = readVector('cosign', 'pkg', 'cosign', 'testdata', 'oci-attestation.sigstore.json');
    const pgi = (): SigstoreTrustMaterial =>
      parseSigstoreTrustedRoot(
        readVector('cosign', 'pkg', 'cosign', 'testdata', 'trusted_root_pgi.json'),
        'pgi',
      );
    const emptyImage = toDigestArtifact(
      'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4',
    );
    const anyone: SigstorePolicy = { certificateIdentityRegExp: '.*', certificateOIDCIssuerRegExp: '.*' };

    it('passes with issuer .* and subject .*', () => {
      expect(describeOutcome(run(bundle, emptyImage, anyone, pgi))).toBe('pass');
    });

    it('fails with subject regex "wrong"', () => {
      const outcome = run(bundle, emptyImage, { ...anyone, certificateIdentityRegExp: 'wrong' }, pgi);
      expect(outcome.error?.code).toBe('IDENTITY_MISMATCH');
    });

    it('fails when attached to a different image', () => {
      const other = toDigestArtifact(`sha256:${'ab'.repeat(32)}`);
      const outcome = run(bundle, other, anyone, pgi);
      expect(outcome.error?.reason).toMatch(/^artifact: /);
    });
  });
});
