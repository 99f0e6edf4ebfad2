import { ociErrorCode, toStatusError } from './registry-error.js';
import type { RequestSite } from './registry-error.js';

const SITE: RequestSite = {
  host: 'r.example:5000',
  method: 'GET',
  path: '/v2/a/manifests/v1',
  stage: 'resolve',
};

describe('toStatusError', () => {
  describe('status mapping', () => {
    it.each([
      [401, 'REGISTRY_UNAUTHORIZED'],
      [403, 'REGISTRY_UNAUTHORIZED'],
      [404, 'REGISTRY_NOT_FOUND'],
      [429, 'REGISTRY_RATE_LIMITED'],
      [500, 'REGISTRY_UNAVAILABLE'],
      [503, 'REGISTRY_UNAVAILABLE'],
      [400, 'REGISTRY_PROTOCOL'],
    ])('%d → %s with host and status in message and details', (status, code) => {
      const error = toStatusError(SITE, status);
      expect(error.code).toBe(code);
      expect(error.stage).toBe('resolve');
      expect(error.message).toContain('r.example:5000');
      expect(error.message).toContain(`HTTP ${status}`);
      expect(error.details).toEqual({ host: 'r.example:5000', status });
    });
  });

  describe('OCI error bodies', () => {
    it('adds the code and message, sanitized and bounded', () => {
      const body = Buffer.from(
        JSON.stringify({
          errors: [{ code: 'MANIFEST_UNKNOWN', message: `bad\n\u001b[31m${'x'.repeat(500)}` }],
        }),
      );
      const error = toStatusError(SITE, 404, body);
      expect(error.reason).toContain('(MANIFEST_UNKNOWN: bad [31m');
      expect(error.reason).not.toContain('\n');
      expect(error.reason.length).toBeLessThan(400);
    });
    it('ignores bodies that are not OCI errors', () => {
      expect(toStatusError(SITE, 500, Buffer.from('<html>oops</html>')).reason).toBe(
        'registry r.example:5000 answered HTTP 500 to GET /v2/a/manifests/v1',
      );
    });
  });
});

describe('ociErrorCode', () => {
  describe('bodies', () => {
    it.each([
      ['{"errors":[{"code":"NAME_UNKNOWN","message":"x"}]}', 'NAME_UNKNOWN'],
      ['{"errors":[]}', undefined],
      ['{"errors":[{"message":"x"}]}', undefined],
      ['nope', undefined],
      ['', undefined],
    ])('%s → %j', (body, expected) => {
      expect(ociErrorCode(Buffer.from(body))).toBe(expected);
    });
  });
});
