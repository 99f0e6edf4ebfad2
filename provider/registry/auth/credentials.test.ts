import { SignetError } from '../../errors.js';
import {
  chainCredentialProviders,
  createDockerConfigCredentialProvider,
  createStaticCredentialProvider,
  parseDockerConfig,
  toCredentialKey,
} from './credentials.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

function configError(action: () => unknown): SignetError {
  try {
    action();
  } catch (error) {
    if (error instanceof SignetError) return error;
    throw error;
  }
  throw new Error('expected a SignetError');
}

describe('toCredentialKey', () => {
  describe('docker config keys and registry names', () => {
    it.each([
      ['https://index.docker.io/v1/', 'docker.io'],
      ['index.docker.io', 'docker.io'],
      ['registry-1.docker.io', 'docker.io'],
      ['docker.io', 'docker.io'],
      ['http://127.0.0.1:5000', '127.0.0.1:5000'],
      ['https://ghcr.io/v2/', 'ghcr.io'],
      ['GHCR.io', 'ghcr.io'],
      ['[::1]:5000', '[::1]:5000'],
    ])('%s → %s', (key, expected) => {
      expect(toCredentialKey(key)).toBe(expected);
    });
  });
});

describe('parseDockerConfig', () => {
  describe('auth entries', () => {
    it('reads auth (base64 user:password, password may contain ":"), username/password and identitytoken', () => {
      const credentials = parseDockerConfig(
        JSON.stringify({
          auths: {
            'https://index.docker.io/v1/': { auth: b64('hubuser:pa:ss') },
            'localhost:5000': { username: 'u', password: 'p' },
            'myregistry.azurecr.io': {
              auth: b64('00000000-0000-0000-0000-000000000000:'),
              identitytoken: 'refresh',
            },
            'helper.example': {},
          },
          credsStore: 'desktop',
        }),
        'config.json',
      );
      expect(Object.fromEntries(credentials)).toEqual({
        'docker.io': { $case: 'basic', username: 'hubuser', password: 'pa:ss' },
        'localhost:5000': { $case: 'basic', username: 'u', password: 'p' },
        'myregistry.azurecr.io': { $case: 'identityToken', identityToken: 'refresh' },
      });
    });
    it('accepts a config without auths', () => {
      expect(parseDockerConfig('{"credsStore":"osxkeychain"}', 'c').size).toBe(0);
    });
  });

  describe('invalid configs', () => {
    it.each([
      ['not json', 'is not JSON'],
      ['[]', 'must be a JSON object'],
      ['{"auths":[]}', '"auths" must be an object'],
      ['{"auths":{"h":"x"}}', 'auths["h"] must be an object'],
      [`{"auths":{"h":{"auth":"${b64('nocolon')}"}}}`, 'auths["h"].auth is not base64'],
      ['{"auths":{"h":{"auth":5}}}', 'auths["h"].auth must be a string'],
      ['{"auths":{"h":{"username":"u"}}}', 'username or a password but not both'],
    ])('%s → %s', (text, reason) => {
      const error = configError(() => parseDockerConfig(text, '/etc/docker/config.json'));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.reason).toContain(reason);
      expect(error.reason).toContain('/etc/docker/config.json');
    });
    it('never puts the secret in the error', () => {
      const error = configError(() =>
        parseDockerConfig(`{"auths":{"h":{"auth":"${b64('secretpass')}"}}}`, 'c'),
      );
      expect(error.message).not.toContain('secretpass');
      expect(error.message).not.toContain(b64('secretpass'));
    });
  });
});

describe('createStaticCredentialProvider', () => {
  describe('lookups', () => {
    it('matches hosts with or without scheme and Docker Hub aliases', async () => {
      const provider = createStaticCredentialProvider(
        new Map([
          ['https://index.docker.io/v1/', { $case: 'basic', username: 'hub', password: 'x' }],
          ['http://127.0.0.1:5000', { $case: 'basic', username: 'local', password: 'y' }],
        ] as const),
      );
      expect(await provider('docker.io')).toMatchObject({ username: 'hub' });
      expect(await provider('registry-1.docker.io')).toMatchObject({ username: 'hub' });
      expect(await provider('127.0.0.1:5000')).toMatchObject({ username: 'local' });
      expect(await provider('127.0.0.1:5001')).toBeUndefined();
    });
  });
});

describe('createDockerConfigCredentialProvider', () => {
  describe('a missing file', () => {
    it('fails as CONFIG_INVALID naming the path', async () => {
      await expect(
        createDockerConfigCredentialProvider('/nonexistent/signet/config.json'),
      ).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        reason: expect.stringContaining('/nonexistent/signet/config.json') as unknown,
      });
    });
  });
});

describe('chainCredentialProviders', () => {
  describe('several providers', () => {
    it('takes the first that knows the registry', async () => {
      const first = createStaticCredentialProvider(
        new Map([['a.io', { $case: 'basic', username: '1', password: '' }]] as const),
      );
      const second = createStaticCredentialProvider(
        new Map([
          ['a.io', { $case: 'basic', username: '2', password: '' }],
          ['b.io', { $case: 'identityToken', identityToken: 't' }],
        ] as const),
      );
      const chained = chainCredentialProviders([first, second]);
      expect(await chained('a.io')).toMatchObject({ username: '1' });
      expect(await chained('b.io')).toMatchObject({ identityToken: 't' });
      expect(await chained('c.io')).toBeUndefined();
    });
  });
});
