import { SignetError } from '../errors.js';
import type { ImageResult, VerifierReport } from '../verdict/index.js';
import { toMutateResponse, toRatifyResult, toVerifyResponse } from './render.js';
import type { MutateOutcome } from './render.js';

const now = new Date('2025-01-02T03:04:05.678Z');
const context = { traceId: 'trace-1', now };
const digest = `sha256:${'c'.repeat(64)}`;

const notationReport: VerifierReport = {
  subject: `registry.example/app@${digest}`,
  isSuccess: true,
  name: 'notation',
  verifierName: 'notation',
  type: 'notation',
  verifierType: 'notation',
  message: 'signature verification success',
  errorReason: '',
  artifactType: 'application/vnd.cncf.notary.signature',
  extensions: {
    Issuer: 'CN=ratify-bats-test,O=Notary,L=Seattle,ST=WA,C=US',
    SN: 'CN=ratify-bats-test,O=Notary,L=Seattle,ST=WA,C=US',
  },
  nestedReports: [],
};

function result(key: string, overrides: Partial<ImageResult> = {}): ImageResult {
  return {
    key,
    isSuccess: true,
    subject: `registry.example/app@${digest}`,
    reports: [notationReport],
    error: undefined,
    verifiedAt: now,
    ...overrides,
  };
}

const denied = (key: string) =>
  result(key, {
    isSuccess: false,
    reports: [],
    error: new SignetError('SIGNATURE_NOT_FOUND', { stage: 'discover', image: key }),
  });
const timedOut = (key: string) =>
  result(key, {
    isSuccess: false,
    reports: [],
    error: new SignetError('TIMEOUT', { stage: 'server', image: key }),
  });

describe('toRatifyResult', () => {
  describe('success', () => {
    it('renders Ratify field names, Go omitempty and the trace', () => {
      const value = JSON.parse(JSON.stringify(toRatifyResult(result('app'), context))) as unknown;
      expect(value).toEqual({
        version: '0.2.0',
        isSuccess: true,
        traceID: 'trace-1',
        timestamp: '2025-01-02T03:04:05.678Z',
        verifierReports: [
          {
            subject: `registry.example/app@${digest}`,
            isSuccess: true,
            name: 'notation',
            verifierName: 'notation',
            type: 'notation',
            verifierType: 'notation',
            message: 'signature verification success',
            artifactType: 'application/vnd.cncf.notary.signature',
            extensions: notationReport.extensions,
          },
        ],
      });
    });

    it('renders nested reports as Ratify nestedResults', () => {
      const nested = {
        ...notationReport,
        nestedReports: [{ ...notationReport, name: 'sbom', isSuccess: false }],
      };
      const value = toRatifyResult(result('app', { reports: [nested] }), context);
      expect(value.verifierReports[0]?.nestedResults?.[0]).toMatchObject({ name: 'sbom', isSuccess: false });
    });
  });

  describe('failure without reports', () => {
    it('names the error in one report like Ratify ErrorToVerifyResult', () => {
      const value = toRatifyResult(denied('alpine:3.11'), context);
      expect(value.isSuccess).toBe(false);
      expect(value.verifierReports).toEqual([
        {
          subject: `registry.example/app@${digest}`,
          isSuccess: false,
          message: 'image verification failed for alpine:3.11: signature not found',
          errorReason: 'signature not found',
          remediation: 'Sign the image and push the signature to the same repository.',
          extensions: { code: 'SIGNATURE_NOT_FOUND', stage: 'discover' },
        },
      ]);
    });
  });
});

describe('toRatifyResult codes', () => {
  it("puts a failing report's code and stage in its extensions, beside what the verifier recorded", () => {
    const revoked: VerifierReport = {
      ...notationReport,
      isSuccess: false,
      message: 'signature verification failed: revocation validation failed',
      error: new SignetError('REVOKED', { stage: 'verify' }),
    };
    const rendered = toRatifyResult(result('k', { isSuccess: false, reports: [revoked] }), context);
    expect(rendered.verifierReports[0]?.extensions).toEqual({
      ...notationReport.extensions,
      code: 'REVOKED',
      stage: 'verify',
    });
    expect(rendered.verifierReports[0]).not.toHaveProperty('error');
  });
});

describe('toVerifyResponse', () => {
  describe('final answers', () => {
    it('answers one item per key in request order, duplicates included, idempotent', () => {
      const keys = ['b', 'a', 'b'];
      const results = new Map([
        ['a', result('a')],
        ['b', denied('b')],
      ]);
      const response = toVerifyResponse('externaldata.gatekeeper.sh/v1beta1', keys, results, context);
      expect(response.kind).toBe('ProviderResponse');
      expect(response.response.idempotent).toBe(true);
      expect(response.response.systemError).toBeUndefined();
      expect(response.response.items?.map((item) => item.key)).toEqual(['b', 'a', 'b']);
      expect(response.response.items?.every((item) => item.error === undefined)).toBe(true);
    });

    it('answers too many signatures (LIMIT_EXCEEDED) as a denied item naming its code, not as systemError', () => {
      const tooMany = result('many', {
        isSuccess: false,
        reports: [],
        error: new SignetError('LIMIT_EXCEEDED', {
          stage: 'discover',
          image: 'many',
          reason: '900 signature artifacts listed by the referrers API, more than the limit of 32 per image',
        }),
      });
      const response = toVerifyResponse(
        'externaldata.gatekeeper.sh/v1beta1',
        ['many'],
        new Map([['many', tooMany]]),
        context,
      );
      expect(response.response.systemError).toBeUndefined();
      expect(response.response.items).toHaveLength(1);
      const value = response.response.items?.[0]?.value as ReturnType<typeof toRatifyResult>;
      expect(value.isSuccess).toBe(false);
      expect(value.verifierReports).toEqual([
        expect.objectContaining({
          isSuccess: false,
          errorReason:
            '900 signature artifacts listed by the referrers API, more than the limit of 32 per image',
          extensions: { code: 'LIMIT_EXCEEDED', stage: 'discover' },
        }),
      ]);
    });
  });

  describe('transient failures', () => {
    it('leaves the key out of items (Gatekeeper caches every item) and names it in systemError', () => {
      const keys = ['ok', 'slow', 'slow'];
      const results = new Map([
        ['ok', result('ok')],
        ['slow', timedOut('slow')],
      ]);
      const response = toVerifyResponse('externaldata.gatekeeper.sh/v1alpha1', keys, results, context);
      expect(response.apiVersion).toBe('externaldata.gatekeeper.sh/v1alpha1');
      expect(response.response.items?.map((item) => item.key)).toEqual(['ok']);
      expect(response.response.systemError).toMatch(/^1 image\(s\) could not be verified now/);
      expect(response.response.systemError).toContain('TIMEOUT (server): image verification failed for slow');
      expect(response.response.systemError).toContain('traceID trace-1');
    });

    it.each(['REGISTRY_UNAVAILABLE', 'REGISTRY_RATE_LIMITED', 'INTERNAL'] as const)(
      'treats %s as transient',
      (code) => {
        const failed = result('x', {
          isSuccess: false,
          reports: [],
          error: new SignetError(code, { stage: 'resolve', image: 'x' }),
        });
        const response = toVerifyResponse(
          'externaldata.gatekeeper.sh/v1beta1',
          ['x'],
          new Map([['x', failed]]),
          context,
        );
        expect(response.response.items).toEqual([]);
        expect(response.response.systemError).toContain(code);
      },
    );

    it('bounds the systemError to ten listed keys', () => {
      const keys = Array.from({ length: 25 }, (_, index) => `img-${index}`);
      const results = new Map(keys.map((key) => [key, timedOut(key)]));
      const systemError = toVerifyResponse('externaldata.gatekeeper.sh/v1beta1', keys, results, context)
        .response.systemError;
      expect(systemError).toContain('and 15 more');
      expect(systemError).not.toContain('img-10');
    });
  });
});

describe('toMutateResponse', () => {
  describe('outcomes', () => {
    it('answers the pinned reference, a final error item, and a transient systemError', () => {
      const outcomes = new Map<string, MutateOutcome>([
        ['alpine', { $case: 'resolved', reference: `docker.io/library/alpine@${digest}` }],
        [
          'bad ref',
          {
            $case: 'failed',
            error: new SignetError('REFERENCE_INVALID', { stage: 'reference', image: 'bad ref' }),
          },
        ],
        [
          'down',
          {
            $case: 'failed',
            error: new SignetError('REGISTRY_UNAVAILABLE', { stage: 'resolve', image: 'down' }),
          },
        ],
      ]);
      const response = toMutateResponse(
        'externaldata.gatekeeper.sh/v1beta1',
        ['alpine', 'bad ref', 'down'],
        outcomes,
        'trace-2',
      );
      expect(response.response.idempotent).toBe(true);
      expect(response.response.items).toEqual([
        { key: 'alpine', value: `docker.io/library/alpine@${digest}` },
        {
          key: 'bad ref',
          error:
            'REFERENCE_INVALID (reference): image verification failed for bad ref: the image reference is invalid',
        },
      ]);
      expect(response.response.systemError).toContain('REGISTRY_UNAVAILABLE');
    });
  });
});
