import { SignetError } from '../../errors.js';
import type { CredentialHelpers } from './credential-helpers.js';
import {
  chainCredentialProviders,
  createDockerConfigAuthProvider,
  createDockerConfigCredentialProvider,
  createStaticCredentialProvider,
  parseDockerConfig,
  toCredentialKey,
  type Credential,
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
      expect(Object.fromEntries(credentials.auths)).toEqual({
        'docker.io': { $case: 'basic', username: 'hubuser', password: 'pa:ss' },
        'localhost:5000': { $case: 'basic', username: 'u', password: 'p' },
        'myregistry.azurecr.io': { $case: 'identityToken', identityToken: 'refresh' },
      });
    });
    it('accepts a config without auths', () => {
      expect(parseDockerConfig('{"credsStore":"osxkeychain"}', 'c').auths.size).toBe(0);
    });
  });

  describe('credential helpers', () => {
    it('reads credHelpers by credential key and credsStore', () => {
      const config = parseDockerConfig(
        JSON.stringify({
          credHelpers: {
            'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login',
            'GCR.io': 'gcr',
          },
          credsStore: 'acr-env',
        }),
        'c',
      );
      expect(Object.fromEntries(config.credHelpers)).toEqual({
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login',
        'gcr.io': 'gcr',
      });
      expect(config.credsStore).toBe('acr-env');
    });
    it('treats an empty credsStore as none', () => {
      expect(parseDockerConfig('{"credsStore":""}', 'c').credsStore).toBeUndefined();
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
      ['{"credHelpers":[]}', '"credHelpers" must be an object'],
      ['{"credHelpers":{"h":"../../bin/sh"}}', 'credHelpers["h"] must be a credential helper name'],
      ['{"credHelpers":{"h":5}}', 'credHelpers["h"] must be a credential helper name'],
      ['{"credsStore":"a b"}', 'credsStore must be a credential helper name'],
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

/** Credential helpers answering from a table, recording what they were asked (the process runs are tested in
 * test/integration/credential-helpers.int.test.ts with a real helper). */
function tableHelpers(
  table: Record<string, Record<string, Credential>>,
): CredentialHelpers & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    get(helper, registry) {
      asked.push(`${helper} ${registry}`);
      return Promise.resolve(table[helper]?.[registry]);
    },
  };
}

describe('createDockerConfigAuthProvider', () => {
  const basic = (username: string): Credential => ({ $case: 'basic', username, password: 'x' });
  const config = parseDockerConfig(
    JSON.stringify({
      auths: {
        'both.example': { auth: b64('inline:x') },
        'inline.example': { auth: b64('inline:x') },
        'marker.example': {},
      },
      credHelpers: { 'both.example': 'per-host', 'https://helper.example/v2/': 'per-host' },
      credsStore: 'default-store',
    }),
    'c',
  );
  const helpers = tableHelpers({
    'per-host': { 'both.example': basic('per-host'), 'helper.example': basic('per-host') },
    'default-store': {
      'inline.example': basic('store'),
      'marker.example': basic('store'),
      'docker.io': basic('store'),
    },
  });
  const provider = createDockerConfigAuthProvider(config, helpers);

  describe('precedence', () => {
    it.each([
      ['both.example', 'per-host', 'credHelpers[host] over auths[host]'],
      ['helper.example', 'per-host', 'credHelpers[host] (keys normalised)'],
      ['inline.example', 'inline', 'auths[host] over credsStore'],
      ['marker.example', 'store', "an empty auths entry (docker login's marker) goes to credsStore"],
      ['registry-1.docker.io', 'store', 'credsStore for the rest, asked by credential key'],
    ])('%s → %s (%s)', async (registry, username) => {
      expect(await provider(registry)).toMatchObject({ username });
    });
    it('asks only the helper that applies, with the credential key', async () => {
      helpers.asked.length = 0;
      await provider('HELPER.example');
      await provider('inline.example');
      expect(helpers.asked).toEqual(['per-host helper.example']);
    });
    it('gives nothing when the helper has nothing, and does not fall back to the next source', async () => {
      const onlyHelper = createDockerConfigAuthProvider(
        parseDockerConfig(
          JSON.stringify({ credHelpers: { 'h.example': 'empty' }, credsStore: 'default-store' }),
          'c',
        ),
        tableHelpers({ 'default-store': { 'h.example': basic('store') } }),
      );
      expect(await onlyHelper('h.example')).toBeUndefined();
    });
  });
});

describe('createDockerConfigCredentialProvider', () => {
  describe('a missing file', () => {
    it('fails as CONFIG_INVALID naming the path', async () => {
      await expect(
        createDockerConfigCredentialProvider('/nonexistent/signet/config.json', tableHelpers({})),
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
