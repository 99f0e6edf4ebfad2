import { parseWwwAuthenticate } from './challenge.js';

function asObjects(header: string): Array<{ scheme: string; params: Record<string, string> }> {
  return parseWwwAuthenticate(header).map((challenge) => ({
    scheme: challenge.scheme,
    params: Object.fromEntries(challenge.params),
  }));
}

describe('parseWwwAuthenticate', () => {
  describe('Docker Hub Bearer challenge', () => {
    it('reads realm, service and a scope with commas inside quotes', () => {
      expect(
        asObjects(
          'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
        ),
      ).toEqual([
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:samalba/my-app:pull,push',
          },
        },
      ]);
    });
  });

  describe('olareg Basic challenge', () => {
    it('reads the realm with a space and the scope', () => {
      expect(asObjects('Basic realm="olareg registry",scope="repository:a/b:pull"')).toEqual([
        { scheme: 'basic', params: { realm: 'olareg registry', scope: 'repository:a/b:pull' } },
      ]);
    });
  });

  describe('several challenges in one header', () => {
    it('splits them where a token is not followed by "="', () => {
      expect(asObjects('Basic realm="r1", Bearer realm="https://t/token", service="s",scope="a b"')).toEqual([
        { scheme: 'basic', params: { realm: 'r1' } },
        { scheme: 'bearer', params: { realm: 'https://t/token', service: 's', scope: 'a b' } },
      ]);
    });
  });

  describe('formatting variants', () => {
    it.each([
      ['BEARER Realm="x"', { scheme: 'bearer', params: { realm: 'x' } }],
      ['Bearer realm = "x" , service = y', { scheme: 'bearer', params: { realm: 'x', service: 'y' } }],
      ['Bearer realm=x,service=y', { scheme: 'bearer', params: { realm: 'x', service: 'y' } }],
      ['Bearer realm="a\\"b\\\\c"', { scheme: 'bearer', params: { realm: 'a"b\\c' } }],
      ['Bearer realm="https://h/t?x=1,2"', { scheme: 'bearer', params: { realm: 'https://h/t?x=1,2' } }],
      ['Bearer', { scheme: 'bearer', params: {} }],
      ['Bearer realm="unterminated', { scheme: 'bearer', params: { realm: 'unterminated' } }],
      [
        'Bearer realm="x",error="insufficient_scope",scope="repository:a:pull"',
        { scheme: 'bearer', params: { realm: 'x', error: 'insufficient_scope', scope: 'repository:a:pull' } },
      ],
    ])('%s', (header, expected) => {
      expect(asObjects(header)).toEqual([expected]);
    });
  });

  describe('garbage', () => {
    it.each(['', ',,,', '"quoted"', '=x'])('%j gives no usable challenge', (header) => {
      expect(
        asObjects(header).filter(
          (challenge) => challenge.scheme === 'bearer' || challenge.scheme === 'basic',
        ),
      ).toEqual([]);
    });
  });
});
