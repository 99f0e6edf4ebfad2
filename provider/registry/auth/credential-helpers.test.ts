import { SignetError } from '../../errors.js';
import {
  createCredentialHelpers,
  credentialHelperEnvironment,
  parseCredentialHelperAnswer,
} from './credential-helpers.js';

// Running helpers (timeouts, output bounds, exit statuses, caching) is tested with a real helper binary in
// test/integration/credential-helpers.int.test.ts; these are the pure rules.

function failure(action: () => unknown): SignetError {
  try {
    action();
  } catch (error) {
    if (error instanceof SignetError) return error;
    throw error;
  }
  throw new Error('expected a SignetError');
}

describe('parseCredentialHelperAnswer', () => {
  describe('answers', () => {
    it('reads Username and Secret as basic credentials, ignoring ServerURL', () => {
      expect(
        parseCredentialHelperAnswer(
          '{"ServerURL":"elsewhere.example","Username":"AWS","Secret":"pw"}\n',
          'ecr-login',
          'r.example',
        ),
      ).toEqual({ $case: 'basic', username: 'AWS', password: 'pw' });
    });
    it('reads Username "<token>" as an identity token (a refresh token for the token endpoint)', () => {
      expect(
        parseCredentialHelperAnswer('{"Username":"<token>","Secret":"refresh"}', 'h', 'r.example'),
      ).toEqual({ $case: 'identityToken', identityToken: 'refresh' });
    });
    it('reads the protocol\'s "credentials not found" answer as no credentials', () => {
      expect(
        parseCredentialHelperAnswer('credentials not found in native keychain\n', 'h', 'r.example'),
      ).toBeUndefined();
    });
  });

  describe('bad answers', () => {
    it.each([
      ['not json', 'answered something that is not JSON'],
      ['[]', 'answered JSON that is not an object'],
      ['{"Username":"u"}', 'answered without a non-empty Username and Secret'],
      ['{"Username":"","Secret":"topsecret"}', 'answered without a non-empty Username and Secret'],
      ['{"Username":"u","Secret":7}', 'answered without a non-empty Username and Secret'],
    ])('%s → CREDENTIAL_HELPER_FAILED (%s)', (stdout, reason) => {
      const error = failure(() => parseCredentialHelperAnswer(stdout, 'gcr', 'gcr.io'));
      expect(error.code).toBe('CREDENTIAL_HELPER_FAILED');
      expect(error.message).toContain(
        `credential helper docker-credential-gcr for registry gcr.io ${reason}`,
      );
      expect(error.message).not.toContain('topsecret');
    });
  });
});

describe('credentialHelperEnvironment', () => {
  describe('what a helper inherits', () => {
    it('passes PATH, HOME, cloud SDK settings, proxies and CA bundles only', () => {
      const passed = credentialHelperEnvironment({
        PATH: '/usr/bin',
        HOME: '/home/signet',
        AWS_REGION: 'eu-west-1',
        AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
        GOOGLE_APPLICATION_CREDENTIALS: '/var/secrets/google/key.json',
        CLOUDSDK_CONFIG: '/gcloud',
        GCE_METADATA_HOST: '169.254.169.254',
        AZURE_CLIENT_ID: 'id',
        AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token',
        https_proxy: 'http://proxy:3128',
        NO_PROXY: '.svc',
        SSL_CERT_FILE: '/etc/ssl/ca.pem',
        NODE_OPTIONS: '--inspect',
        KUBERNETES_SERVICE_HOST: '10.0.0.1',
        SIGNET_REDIS_PASSWORD: 'secret',
        POD_NAMESPACE: 'signet',
      });
      expect(Object.keys(passed).sort()).toEqual([
        'AWS_REGION',
        'AWS_WEB_IDENTITY_TOKEN_FILE',
        'AZURE_CLIENT_ID',
        'AZURE_FEDERATED_TOKEN_FILE',
        'CLOUDSDK_CONFIG',
        'GCE_METADATA_HOST',
        'GOOGLE_APPLICATION_CREDENTIALS',
        'HOME',
        'NO_PROXY',
        'PATH',
        'SSL_CERT_FILE',
        'https_proxy',
      ]);
    });
  });
});

describe('createCredentialHelpers', () => {
  describe('helper names', () => {
    it.each(['../bin/sh', 'a/b', '', '-flag', 'x'.repeat(65)])(
      'refuses %j without running anything',
      async (name) => {
        await expect(createCredentialHelpers().get(name, 'r.example')).rejects.toMatchObject({
          code: 'CREDENTIAL_HELPER_FAILED',
          reason: expect.stringContaining('has an invalid name') as unknown,
        });
      },
    );
  });
});
