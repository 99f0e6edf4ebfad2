import { SignetError } from '../errors.js';
import { parseProviderRequest } from './protocol.js';

const limits = { maxKeys: 3 };

function codeOf(body: unknown): string {
  try {
    parseProviderRequest(body, limits);
  } catch (error) {
    if (error instanceof SignetError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}

describe('parseProviderRequest', () => {
  describe('valid requests', () => {
    it.each(['externaldata.gatekeeper.sh/v1beta1', 'externaldata.gatekeeper.sh/v1alpha1'])(
      'accepts %s',
      (apiVersion) => {
        const parsed = parseProviderRequest(
          { apiVersion, kind: 'ProviderRequest', request: { keys: ['alpine', '[ns]nginx'] } },
          limits,
        );
        expect(parsed).toEqual({
          apiVersion,
          kind: 'ProviderRequest',
          request: { keys: ['alpine', '[ns]nginx'] },
        });
      },
    );

    it('treats a missing keys array as no keys (Go omitempty)', () => {
      const parsed = parseProviderRequest(
        { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: {} },
        limits,
      );
      expect(parsed.request.keys).toEqual([]);
    });

    it('ignores unknown fields', () => {
      const body = {
        apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
        kind: 'ProviderRequest',
        request: { keys: ['a'] },
        extra: 1,
      };
      expect(codeOf(body)).toBe('ACCEPTED');
    });
  });

  describe('invalid requests', () => {
    const valid = {
      apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
      kind: 'ProviderRequest',
      request: { keys: ['a'] },
    };
    it.each<[string, unknown, string]>([
      ['a non-object body', ['a'], 'REQUEST_INVALID'],
      ['a null body', null, 'REQUEST_INVALID'],
      ['a missing apiVersion', { ...valid, apiVersion: undefined }, 'REQUEST_INVALID'],
      ['an unknown apiVersion', { ...valid, apiVersion: 'externaldata.gatekeeper.sh/v2' }, 'REQUEST_INVALID'],
      ['a wrong kind', { ...valid, kind: 'ProviderResponse' }, 'REQUEST_INVALID'],
      ['a missing request', { ...valid, request: undefined }, 'REQUEST_INVALID'],
      ['keys that are not an array', { ...valid, request: { keys: 'alpine' } }, 'REQUEST_INVALID'],
      ['a key that is not a string', { ...valid, request: { keys: ['a', 7] } }, 'REQUEST_INVALID'],
      [
        'more keys than the limit',
        { ...valid, request: { keys: ['a', 'b', 'c', 'd'] } },
        'REQUEST_TOO_LARGE',
      ],
    ])('rejects %s', (_case, body, code) => {
      expect(codeOf(body)).toBe(code);
    });

    it('names the offending key index', () => {
      expect(() => parseProviderRequest({ ...valid, request: { keys: ['a', null] } }, limits)).toThrow(
        /request\.keys\[1\]/,
      );
    });
  });
});
