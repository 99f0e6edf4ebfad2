import { REDIS_KEY_PREFIX, decodeSharedEntry, encodeSharedEntry } from '../cache/redis-verdict-store.js';
import { SignetError } from '../errors.js';
import { imageResultCodec } from './result-codec.js';
import type { ImageResult, VerifierReport } from '../verdict/index.js';

const SUBJECT = 'registry.example/app@sha256:' + 'a'.repeat(64);
const REDIS_KEY = `${REDIS_KEY_PREFIX}["verdict","config-sha256:00",null,"registry.example","app","sha256:aa"]`;

const report: VerifierReport = {
  subject: 'registry.example/app@sha256:' + 'b'.repeat(64),
  isSuccess: true,
  name: 'notation',
  verifierName: 'notation',
  type: 'notation',
  verifierType: 'notation',
  message: 'signature verification success',
  artifactType: 'application/vnd.cncf.notary.signature',
  extensions: {
    Issuer: 'CN=signet-test,O=Notary',
    SN: 'CN=signet-test,O=Notary',
    signatures: [{ ok: true }],
  },
  nestedReports: [],
};

const allowed: ImageResult = {
  key: 'registry.example/app:v1',
  isSuccess: true,
  subject: SUBJECT,
  reports: [report],
  error: undefined,
  verifiedAt: new Date('2026-01-02T03:04:05.678Z'),
};

const denied: ImageResult = {
  key: 'registry.example/app:v2',
  isSuccess: false,
  subject: SUBJECT,
  reports: [],
  error: new SignetError('SIGNATURE_NOT_FOUND', {
    stage: 'discover',
    image: 'registry.example/app:v2',
    details: { host: 'registry.example', referrers: 0, fallback: true },
  }),
  verifiedAt: new Date('2026-01-02T03:04:05.678Z'),
};

/** Through JSON text and back, as Redis stores it. */
function roundTrip(result: ImageResult) {
  const text = encodeSharedEntry(imageResultCodec, REDIS_KEY, result);
  return decodeSharedEntry(imageResultCodec, REDIS_KEY, { bytes: Buffer.from(text), ttlMs: 1_000 }, 1 << 20);
}

function decodeValue(value: unknown) {
  return imageResultCodec.decode(value);
}

function encoded(result: ImageResult): Record<string, unknown> {
  return JSON.parse(JSON.stringify(imageResultCodec.encode(result))) as Record<string, unknown>;
}

describe('imageResultCodec', () => {
  describe('round trip', () => {
    it('keeps an allowed verdict with its reports and time', () => {
      const outcome = roundTrip(allowed);
      expect(outcome).toEqual({ $case: 'hit', entry: { value: allowed, ttlMs: 1_000 } });
    });

    it('rebuilds the SignetError of a denied verdict: code, kind, stage, image, message, details', () => {
      const outcome = roundTrip(denied);
      if (outcome.$case !== 'hit') throw new Error(`expected a hit, got ${JSON.stringify(outcome)}`);
      const error = outcome.entry.value.error;
      expect(error).toBeInstanceOf(SignetError);
      expect(error).toMatchObject({
        code: 'SIGNATURE_NOT_FOUND',
        kind: 'verdict',
        stage: 'discover',
        image: 'registry.example/app:v2',
        reason: 'signature not found',
        remediation: denied.error!.remediation,
        details: { host: 'registry.example', referrers: 0, fallback: true },
      });
      expect(error?.message).toBe(
        'image verification failed for registry.example/app:v2: signature not found',
      );
      // A rebuilt error still names another key's image when the verdict is reused for it.
      expect(error?.withImage('registry.example/app@sha256:aa').message).toBe(
        'image verification failed for registry.example/app@sha256:aa: signature not found',
      );
    });

    it('keeps a custom message (kritis wording) and nested reports', () => {
      const kritis: ImageResult = {
        ...denied,
        reports: [
          { ...report, isSuccess: false, errorReason: 'no', remediation: 'sign', nestedReports: [report] },
        ],
        error: new SignetError('NOT_ATTESTED', { stage: 'verify', image: 'registry.example/app:v2' }),
      };
      const outcome = roundTrip(kritis);
      expect(outcome).toMatchObject({ $case: 'hit' });
      if (outcome.$case !== 'hit') return;
      expect(outcome.entry.value.error?.message).toBe('image registry.example/app:v2 is not attested');
      expect(outcome.entry.value.reports).toEqual(kritis.reports);
    });
  });

  describe('report errors', () => {
    it("keeps a failing report's SignetError (its code reaches the verdict again)", () => {
      const failing: ImageResult = {
        ...denied,
        reports: [
          {
            ...report,
            isSuccess: false,
            error: new SignetError('CERT_UNTRUSTED', { stage: 'verify', reason: 'untrusted root' }),
          },
        ],
      };
      const outcome = roundTrip(failing);
      expect(outcome.$case).toBe('hit');
      const reports = outcome.$case === 'hit' ? outcome.entry.value.reports : [];
      expect(reports[0]?.error?.code).toBe('CERT_UNTRUSTED');
      expect(reports[0]?.error?.reason).toBe('untrusted root');
      expect(reports[0]?.error?.kind).toBe('verdict');
    });

    it('refuses a report whose error is not a serialised SignetError', () => {
      const value = {
        ...encoded(denied),
        reports: [{ ...report, isSuccess: false, error: { code: 'NOPE' } }],
      };
      expect(decodeValue(value).$case).toBe('invalid');
    });
  });

  describe('malformed values', () => {
    it.each<[string, (value: Record<string, unknown>) => unknown]>([
      ['not an object', () => 'allow'],
      ['isSuccess not a boolean', (v) => ({ ...v, isSuccess: 'true' })],
      ['no key', (v) => ({ ...v, key: undefined })],
      ['an empty key', (v) => ({ ...v, key: '' })],
      ['reports not an array', (v) => ({ ...v, reports: {} })],
      ['a report without isSuccess', (v) => ({ ...v, reports: [{ ...report, isSuccess: undefined }] })],
      ['a report with a numeric message', (v) => ({ ...v, reports: [{ ...report, message: 1 }] })],
      [
        'a report without nestedReports',
        (v) => ({ ...v, reports: [{ ...report, nestedReports: undefined }] }),
      ],
      ['a report whose extensions are a list', (v) => ({ ...v, reports: [{ ...report, extensions: [1] }] })],
      ['no verifiedAt', (v) => ({ ...v, verifiedAt: undefined })],
      ['a verifiedAt that is no date', (v) => ({ ...v, verifiedAt: 'yesterday' })],
      ['an allow that carries an error', (v) => ({ ...v, error: encoded(denied).error })],
    ])('refuses an allowed verdict with %s', (_case, mutate) => {
      expect(decodeValue(mutate(encoded(allowed)))).toMatchObject({ $case: 'invalid' });
    });

    it.each<[string, (value: Record<string, unknown>) => unknown]>([
      ['no error', (v) => ({ ...v, error: undefined })],
      ['an unknown error code', (v) => ({ ...v, error: { ...(v.error as object), code: 'ALLOWED' } })],
      ['an unknown stage', (v) => ({ ...v, error: { ...(v.error as object), stage: 'cache' } })],
      [
        'an inconclusive error (never shared)',
        (v) => ({ ...v, error: { ...(v.error as object), code: 'TIMEOUT' } }),
      ],
      [
        'details that are not flat facts',
        (v) => ({ ...v, error: { ...(v.error as object), details: { a: {} } } }),
      ],
      [
        'an error without a message',
        (v) => ({ ...v, error: { ...(v.error as object), message: undefined } }),
      ],
    ])('refuses a denied verdict with %s', (_case, mutate) => {
      expect(decodeValue(mutate(encoded(denied)))).toMatchObject({ $case: 'invalid' });
    });

    it('refuses reports nested deeper than the bound', () => {
      let deep: VerifierReport = report;
      for (let i = 0; i < 20; i += 1) deep = { ...report, nestedReports: [deep] };
      expect(decodeValue(encoded({ ...allowed, reports: [deep] }))).toMatchObject({ $case: 'invalid' });
    });
  });
});

describe('SignetError JSON', () => {
  it('writes code, stage, image, reason, message, remediation and details, without the cause', () => {
    const error = new SignetError('REVOKED', {
      stage: 'verify',
      image: 'app:v1',
      details: { serial: '01' },
      cause: new Error('secret internals'),
    });
    expect(error.toJSON()).toEqual({
      code: 'REVOKED',
      stage: 'verify',
      image: 'app:v1',
      reason: error.reason,
      message: error.message,
      remediation: error.remediation,
      details: { serial: '01' },
    });
    const rebuilt = SignetError.fromJSON(JSON.parse(JSON.stringify(error)));
    expect(rebuilt).toBeInstanceOf(SignetError);
    expect(rebuilt?.describe()).toBe(error.describe());
    expect(rebuilt?.kind).toBe('verdict');
    expect(rebuilt?.cause).toBeUndefined();
  });

  it.each([null, [], 'REVOKED', { code: 'constructor', stage: 'verify' }, { code: 'REVOKED' }])(
    'answers undefined for %j',
    (value) => {
      expect(SignetError.fromJSON(value)).toBeUndefined();
    },
  );
});
