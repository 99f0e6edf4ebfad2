import { resolveSecretReferences } from './resolve-secrets.js';
import type { SecretContext } from './resolve-secrets.js';

const base64 = (text: string): string => Buffer.from(text).toString('base64');
const dockerConfig = JSON.stringify({
  auths: {
    'registry.example.com': { auth: base64('robot:s3cret') },
    'https://index.docker.io/v1/': { username: 'hub', password: 'hubpass' },
    'token.example.com': { identitytoken: 'refresh' },
  },
});

const helperConfig = JSON.stringify({
  auths: {
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com': { auth: base64('AWS:stale') },
    'inline.example.com': { auth: base64('inline:pw') },
  },
  credHelpers: { '123456789012.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login', 'registry.example.com': 'gcr' },
  credsStore: 'acr-env',
});
const moreHelperConfig = JSON.stringify({
  auths: { 'inline.example.com': { auth: base64('later:pw') } },
  credHelpers: { 'gcr.io': 'gcloud', 'inline.example.com': 'gcloud' },
  credsStore: 'desktop',
});

const context: SecretContext = {
  namespace: 'signet-system',
  secrets: (namespace, name): Record<string, string> | undefined => {
    if (namespace !== 'signet-system') return undefined;
    if (name === 'pull') return { '.dockerconfigjson': base64(dockerConfig) };
    if (name === 'legacy')
      return { '.dockercfg': base64(JSON.stringify({ 'old.example.com': { auth: base64('a:b') } })) };
    if (name === 'opaque') return { token: base64('x') };
    if (name === 'helpers') return { '.dockerconfigjson': base64(helperConfig) };
    if (name === 'more-helpers') return { '.dockerconfigjson': base64(moreHelperConfig) };
    return undefined;
  },
};

function k8sSecretsStore(secrets: unknown[], signet?: unknown): { parameters: Record<string, unknown> } {
  return {
    parameters: {
      authProvider: { name: 'k8Secrets', secrets },
      ...(signet === undefined ? {} : { signet }),
    },
  };
}

describe('resolveSecretReferences', () => {
  describe("a Store with Ratify's k8Secrets auth provider", () => {
    it('turns docker config Secrets into basic credentials per registry (identity tokens are not static credentials)', () => {
      const spec = k8sSecretsStore([
        { secretName: 'pull' },
        { secretName: 'legacy', namespace: 'signet-system' },
      ]);
      expect(resolveSecretReferences('Store', spec, context)).toEqual([]);
      expect(spec.parameters.signet).toEqual({
        credentials: {
          'registry.example.com': { username: 'robot', password: 's3cret' },
          'docker.io': { username: 'hub', password: 'hubpass' },
          'old.example.com': { username: 'a', password: 'b' },
        },
      });
    });

    it('keeps credentials written in the Store over those from Secrets', () => {
      const written = { credentials: { 'registry.example.com': { username: 'mine', password: 'p' } } };
      const spec = k8sSecretsStore([{ secretName: 'pull' }], written);
      resolveSecretReferences('NamespacedStore', spec, context);
      expect(spec.parameters.signet).toMatchObject({
        credentials: { 'registry.example.com': { username: 'mine' } },
      });
    });

    it("names the Secret entry that is missing, outside signet's namespace or not a docker config", () => {
      const spec = k8sSecretsStore([
        { secretName: 'gone' },
        { secretName: 'pull', namespace: 'team-a' },
        { secretName: 'opaque' },
      ]);
      expect(resolveSecretReferences('Store', spec, context)).toEqual([
        {
          path: 'spec.parameters.authProvider.secrets[0]',
          message: 'Secret "signet-system/gone" does not exist',
        },
        {
          path: 'spec.parameters.authProvider.secrets[1].namespace',
          message: 'signet reads Secrets only in its own namespace "signet-system", not "team-a"',
        },
        {
          path: 'spec.parameters.authProvider.secrets[2]',
          message:
            'Secret has neither .dockerconfigjson nor .dockercfg (type kubernetes.io/dockerconfigjson)',
        },
      ]);
    });
  });

  describe('docker config Secrets with credential helpers', () => {
    it("adds credHelpers and credsStore; a registry's helper wins over its auths entry, an earlier Secret over a later one", () => {
      const spec = k8sSecretsStore([{ secretName: 'helpers' }, { secretName: 'more-helpers' }]);
      expect(resolveSecretReferences('Store', spec, context)).toEqual([]);
      expect(spec.parameters.signet).toEqual({
        credentials: { 'inline.example.com': { username: 'inline', password: 'pw' } },
        credHelpers: {
          '123456789012.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login',
          'registry.example.com': 'gcr',
          'gcr.io': 'gcloud',
        },
        credsStore: 'acr-env',
      });
    });

    it('keeps credentials and helpers written in the Store over those from Secrets', () => {
      const written = {
        credentials: { 'registry.example.com': { username: 'mine', password: 'p' } },
        credHelpers: { 'inline.example.com': 'mine' },
        credsStore: 'my-store',
      };
      const spec = k8sSecretsStore([{ secretName: 'helpers' }], written);
      resolveSecretReferences('Store', spec, context);
      expect(spec.parameters.signet).toEqual({
        credentials: { 'registry.example.com': { username: 'mine', password: 'p' } },
        credHelpers: {
          'inline.example.com': 'mine',
          '123456789012.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login',
        },
        credsStore: 'my-store',
      });
    });

    it('names the Secret whose helper name is not one', () => {
      const bad: SecretContext = {
        namespace: 'signet-system',
        secrets: () => ({ '.dockerconfigjson': base64('{"credHelpers":{"r.example":"../sh"}}') }),
      };
      expect(resolveSecretReferences('Store', k8sSecretsStore([{ secretName: 'bad' }]), bad)).toEqual([
        {
          path: 'spec.parameters.authProvider.secrets[0]',
          message: expect.stringContaining(
            'credHelpers["r.example"] must be a credential helper name',
          ) as unknown,
        },
      ]);
    });
  });

  describe("k8Secrets' serviceAccountName", () => {
    const withAccounts: SecretContext = {
      ...context,
      serviceAccountPullSecrets: (name) =>
        name === 'puller' ? ['pull'] : name === 'default' ? ['legacy'] : undefined,
    };

    it("adds the ServiceAccount's imagePullSecrets (default: the `default` account) before the listed Secrets", () => {
      const named = { parameters: { authProvider: { name: 'k8Secrets', serviceAccountName: 'puller' } } };
      expect(resolveSecretReferences('Store', named, withAccounts)).toEqual([]);
      expect(
        Object.keys((named.parameters as { signet?: { credentials: object } }).signet?.credentials ?? {}),
      ).toEqual(['registry.example.com', 'docker.io']);
      const implicit = { parameters: { authProvider: { name: 'k8Secrets' } } };
      resolveSecretReferences('Store', implicit, withAccounts);
      expect((implicit.parameters as { signet?: { credentials: object } }).signet?.credentials).toEqual({
        'old.example.com': { username: 'a', password: 'b' },
      });
    });

    it('ignores a missing `default` account but names a missing explicit one', () => {
      const none: SecretContext = { ...context, serviceAccountPullSecrets: () => undefined };
      expect(
        resolveSecretReferences('Store', { parameters: { authProvider: { name: 'k8Secrets' } } }, none),
      ).toEqual([]);
      expect(
        resolveSecretReferences(
          'Store',
          { parameters: { authProvider: { name: 'k8Secrets', serviceAccountName: 'gone' } } },
          none,
        ),
      ).toEqual([
        {
          path: 'spec.parameters.authProvider.serviceAccountName',
          message: 'ServiceAccount "signet-system/gone" does not exist',
        },
      ]);
    });
  });

  describe('an inline key provider with valueFrom', () => {
    it('refuses value and valueFrom together', () => {
      const spec = { parameters: { value: 'pem', valueFrom: { secretKeyRef: { name: 'pull', key: 'x' } } } };
      expect(resolveSecretReferences('CertificateStore', spec, context)).toEqual([
        { path: 'spec.parameters.valueFrom', message: 'set either value or valueFrom, not both' },
      ]);
    });
  });

  describe('a kritis AttestationAuthority', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n';
    const keyContext: SecretContext = {
      namespace: 'signet-system',
      secrets: (_, name) => (name === 'kms' ? { 'pub.pem': base64(pem) } : undefined),
    };

    it('takes publicKeyData and a pkixPublicKey.publicKeyPem from valueFrom.secretKeyRef', () => {
      const ref = { secretKeyRef: { name: 'kms', key: 'pub.pem' } };
      const spec = {
        noteReference: 'n',
        valueFrom: ref,
        publicKeys: [{ keyType: 'PKIX', pkixPublicKey: { valueFrom: ref } }],
      };
      expect(resolveSecretReferences('AttestationAuthority', spec, keyContext)).toEqual([]);
      expect(spec).toEqual({
        noteReference: 'n',
        publicKeyData: pem,
        publicKeys: [{ keyType: 'PKIX', pkixPublicKey: { publicKeyPem: pem } }],
      });
    });

    it('names the field of a reference to a missing key', () => {
      const spec = {
        publicKeys: [{ pkixPublicKey: { valueFrom: { secretKeyRef: { name: 'kms', key: 'other' } } } }],
      };
      expect(resolveSecretReferences('AttestationAuthority', spec, keyContext)).toEqual([
        {
          path: 'spec.publicKeys[0].pkixPublicKey.valueFrom.secretKeyRef.key',
          message: 'Secret "signet-system/kms" has no key "other"',
        },
      ]);
    });
  });
});
