import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { SignetError } from '../../errors.js';
import type {
  CosignVerifierConfig,
  KeyProviderConfig,
  NotationVerifierConfig,
  StoreConfig,
} from '../config.types.js';
import { parseConfigYaml } from '../sources/parse-config-yaml.js';
import { parseConfigResource } from './parse-resource.js';

const API = 'apiVersion: config.ratify.deislabs.io/v1beta1';

/** Indents every line of `text` for a YAML block scalar. */
function indent(text: string, spaces: number): string {
  return text
    .trim()
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n');
}

async function createCertificatePem(): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Test CA, O=signet',
    notBefore: new Date('2024-01-01T00:00:00Z'),
    notAfter: new Date('2034-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: algorithm,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return certificate.toString('pem');
}

const PUBLIC_KEY_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
  type: 'spki',
  format: 'pem',
}) as string;
let certificatePem = '';

beforeAll(async () => {
  certificatePem = await createCertificatePem();
});

const store = `${API}
kind: Store
metadata:
  name: store-oras
spec:
  name: oras`;

function notationVerifier(trustPolicyDoc: string, certStores = 'certs:\n        - kmp-ca'): string {
  return `${API}
kind: Verifier
metadata:
  name: verifier-notation
spec:
  name: notation
  artifactTypes: application/vnd.cncf.notary.signature
  parameters:
    verificationCertStores:
      ${certStores}
    trustPolicyDoc:
${indent(trustPolicyDoc, 6)}`;
}

const strictPolicy = `version: "1.0"
trustPolicies:
  - name: default
    registryScopes: ["*"]
    signatureVerification:
      level: strict
    trustStores: ["ca:certs"]
    trustedIdentities: ["*"]`;

function kmp(name: string, parameters: string, type = 'type: inline'): string {
  return `${API}
kind: KeyManagementProvider
metadata:
  name: ${name}
spec:
  ${type}
  parameters:
${indent(parameters, 4)}`;
}

function cosignVerifier(parameters: string): string {
  return `${API}
kind: Verifier
metadata:
  name: verifier-cosign
spec:
  name: cosign
  artifactTypes: application/vnd.dev.cosign.artifact.sig.v1+json
  parameters:
${indent(parameters, 4)}`;
}

function join(...documents: string[]): string {
  return documents.join('\n---\n');
}

/** The CONFIG_INVALID reason for `yaml`, or a failure if it loads. */
function reasonOf(yaml: string): string {
  try {
    parseConfigYaml(yaml, 'test');
  } catch (error) {
    if (error instanceof SignetError && error.code === 'CONFIG_INVALID') return error.reason;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID, the configuration loaded');
}

function inlineCertificates(pem: string): string {
  return `contentType: certificate\nvalue: |\n${indent(pem, 2)}`;
}

describe('parseConfigYaml', () => {
  describe('invalid documents', () => {
    const cases: readonly { readonly name: string; readonly yaml: () => string; readonly reason: string }[] =
      [
        {
          name: 'trust policy version written as a number',
          yaml: () => join(store, notationVerifier(strictPolicy.replace('"1.0"', '1.0'))),
          reason:
            'document 2 (Verifier "verifier-notation"): spec.parameters.trustPolicyDoc.version: must be "1.0"',
        },
        {
          name: 'wrong apiVersion',
          yaml: () => store.replace('v1beta1', 'v1alpha1'),
          reason: 'document 1 (Store "store-oras"): apiVersion: must be "config.ratify.deislabs.io/v1beta1"',
        },
        {
          name: 'unknown kind',
          yaml: () => store.replace('kind: Store', 'kind: Stor'),
          reason:
            'document 1 (Stor "store-oras"): kind: must be one of "Store", "Verifier", "KeyManagementProvider", ' +
            '"CertificateStore", "Policy", "NamespacedStore", "NamespacedVerifier", ' +
            '"NamespacedKeyManagementProvider", "NamespacedPolicy", got "Stor"',
        },
        {
          name: 'missing metadata.name',
          yaml: () => store.replace('  name: store-oras\n', '  labels: {}\n'),
          reason: 'document 1 (Store): metadata.name: is required',
        },
        {
          name: 'name that is not a Kubernetes name',
          yaml: () => store.replace('store-oras', 'Store_Oras'),
          reason:
            'document 1 (Store "Store_Oras"): metadata.name: must be a lowercase RFC 1123 name of at most 253 characters (a-z, 0-9, "-")',
        },
        {
          name: 'namespaced kind without namespace',
          yaml: () => store.replace('kind: Store', 'kind: NamespacedStore'),
          reason: 'document 1 (NamespacedStore "store-oras"): metadata.namespace: is required',
        },
        {
          name: 'document that is not a mapping',
          yaml: () => join(store, '- a\n- b'),
          reason: 'document 2: must be a mapping (a resource with apiVersion, kind, metadata and spec)',
        },
        {
          name: 'YAML syntax error',
          yaml: () => join(store, 'kind: [Verifier'),
          reason:
            'document 2: YAML syntax error: Flow sequence in block collection must be sufficiently indented ' +
            'and end with a ] at line 8, column 16',
        },
        {
          name: 'duplicate key',
          yaml: () => `${store}\nspec: {}`,
          reason: 'document 1: YAML syntax error: Map keys must be unique at line 7, column 1',
        },
        {
          name: 'unsupported store',
          yaml: () => store.replace('name: oras', 'name: local-oci'),
          reason: 'document 1 (Store "store-oras"): spec.name: must be one of "oras", got "local-oci"',
        },
        {
          name: 'unknown auth provider',
          yaml: () => `${store}\n  parameters:\n    authProvider:\n      name: vault`,
          reason:
            'document 1 (Store "store-oras"): spec.parameters.authProvider.name: must be one of "dockerConfig", ' +
            '"k8Secrets", "azureWorkloadIdentity", "azureManagedIdentity", "awsEcrBasic", got "vault"',
        },
        {
          name: 'signet extension with a bad registry host and a credential without password',
          yaml: () =>
            `${store}\n  parameters:\n    signet:\n      insecureRegistries: ["http://localhost:5000"]\n` +
            `      credentials:\n        registry.example.com:\n          username: me`,
          reason:
            'document 1 (Store "store-oras"): spec.parameters.signet.insecureRegistries[0]: must be a registry host such as ' +
            '"registry.example.com" or "127.0.0.1:5000"; document 1 (Store "store-oras"): ' +
            'spec.parameters.signet.credentials["registry.example.com"].password: is required',
        },
        {
          name: 'credential helpers: a path as helper name, a host with credentials and a helper, awsEcrBasic with credsStore',
          yaml: () =>
            `${store}\n  parameters:\n    authProvider:\n      name: awsEcrBasic\n    signet:\n` +
            `      credentials:\n        r.example: {username: u, password: p}\n` +
            `      credHelpers:\n        gcr.io: ../../bin/sh\n        r.example: gcr\n      credsStore: acr-env`,
          reason:
            'document 1 (Store "store-oras"): spec.parameters.signet.credHelpers["gcr.io"]: must be a credential helper ' +
            'name such as "ecr-login" (letters, digits, "_", "." or "-"; docker-credential-<name> runs); ' +
            'document 1 (Store "store-oras"): spec.parameters.signet.credHelpers["r.example"]: registry "r.example" ' +
            'has credentials and a credential helper: keep one; document 1 (Store "store-oras"): ' +
            "spec.parameters.signet.credsStore: awsEcrBasic runs docker-credential-ecr-login as the Store's default " +
            'helper; set one of the two',
        },
        {
          name: 'useHttp that is not a boolean',
          yaml: () => `${store}\n  parameters:\n    useHttp: "yes"`,
          reason: 'document 1 (Store "store-oras"): spec.parameters.useHttp: must be true or false',
        },
        {
          name: 'Ratify documentation typo artifactType',
          yaml: () => notationVerifier(strictPolicy).replace('artifactTypes:', 'artifactType:'),
          reason:
            'document 1 (Verifier "verifier-notation"): spec.artifactType: unknown field (did you mean "artifactTypes"?); ' +
            'document 1 (Verifier "verifier-notation"): spec.artifactTypes: is required',
        },
        {
          name: 'verifier signet cannot run',
          yaml: () => notationVerifier(strictPolicy).replace('name: notation', 'name: sbom'),
          reason:
            'document 1 (Verifier "verifier-notation"): spec.name: unsupported verifier "sbom" (signet runs "notation" and "cosign")',
        },
        {
          name: 'verification level typo',
          yaml: () => notationVerifier(strictPolicy.replace('level: strict', 'level: stric')),
          reason:
            'document 1 (Verifier "verifier-notation"): spec.parameters.trustPolicyDoc.trustPolicies[0].signatureVerification.level: ' +
            'must be one of "strict", "permissive", "audit", "skip", got "stric"',
        },
        {
          name: 'unknown override and action',
          yaml: () =>
            notationVerifier(
              strictPolicy.replace(
                'level: strict',
                'level: strict\n      override: {expiry: warn, freshness: log}',
              ),
            ),
          reason:
            'document 1 (Verifier "verifier-notation"): spec.parameters.trustPolicyDoc.trustPolicies[0].signatureVerification.override.expiry: ' +
            'must be one of "enforce", "log", "skip", got "warn"; document 1 (Verifier "verifier-notation"): ' +
            'spec.parameters.trustPolicyDoc.trustPolicies[0].signatureVerification.override.freshness: ' +
            'unknown validation (expected one of integrity, authenticity, authenticTimestamp, expiry, revocation)',
        },
        {
          name: 'trust store without type',
          yaml: () => notationVerifier(strictPolicy.replace('"ca:certs"', '"certs"')),
          reason:
            'document 1 (Verifier "verifier-notation"): spec.parameters.trustPolicyDoc.trustPolicies[0].trustStores[0]: ' +
            'must be "<type>:<name>" with type ca, signingAuthority, tsa (e.g. "ca:certs")',
        },
        {
          name: 'trust store not bound to any key provider',
          yaml: () => notationVerifier(strictPolicy.replace('"ca:certs"', '"ca:other"')),
          reason:
            'document 1 (Verifier "verifier-notation"): spec.parameters.trustPolicyDoc.trustPolicies[0].trustStores[0]: ' +
            'trust store "ca:other" is not defined in spec.parameters.verificationCertStores',
        },
        {
          name: 'trust store bound under another type',
          yaml: () => notationVerifier(strictPolicy, 'tsa:\n        certs: [kmp-tsa]'),
          reason:
            'document 1 (Verifier "verifier-notation"): spec.parameters.trustPolicyDoc.trustPolicies[0].trustStores[0]: ' +
            'trust store "ca:certs" is not defined in spec.parameters.verificationCertStores',
        },
        {
          name: 'cert stores mixing both forms',
          yaml: () => notationVerifier(strictPolicy, 'certs: [kmp-ca]\n      ca:\n        more: [kmp-b]'),
          reason:
            'document 1 (Verifier "verifier-notation"): spec.parameters.verificationCertStores: must map trust store names to lists of ' +
            'key providers, or trust store types (ca, signingAuthority, tsa) to such maps, not both',
        },
        {
          name: 'cert store reference with two slashes',
          yaml: () => notationVerifier(strictPolicy, 'certs: [a/b/c]'),
          reason:
            'document 1 (Verifier "verifier-notation"): spec.parameters.verificationCertStores.certs[0]: ' +
            'must be "name" or "namespace/name" of a KeyManagementProvider or CertificateStore',
        },
        {
          name: 'notation verifier without trust policy and certificates',
          yaml: () =>
            notationVerifier(strictPolicy).replace(
              / {4}verificationCertStores:[\s\S]*$/,
              '    nothing: here',
            ),
          reason:
            'document 1 (Verifier "verifier-notation"): spec.parameters: one of verificationCertStores or verificationCerts is required; ' +
            'document 1 (Verifier "verifier-notation"): spec.parameters.trustPolicyDoc: is required',
        },
        {
          name: 'inline certificate that is not base64',
          yaml: () =>
            kmp(
              'kmp-ca',
              'value: |\n  -----BEGIN CERTIFICATE-----\n  not*base64\n  -----END CERTIFICATE-----',
            ),
          reason:
            'document 1 (KeyManagementProvider "kmp-ca"): spec.parameters.value: PEM block 1 (CERTIFICATE) is not valid base64',
        },
        {
          name: 'inline value without PEM',
          yaml: () => kmp('kmp-ca', 'value: just text'),
          reason:
            'document 1 (KeyManagementProvider "kmp-ca"): spec.parameters.value: contains no PEM "CERTIFICATE" block',
        },
        {
          name: 'unterminated PEM block',
          yaml: () => kmp('kmp-ca', 'value: |\n  -----BEGIN CERTIFICATE-----\n  AAAA'),
          reason:
            'document 1 (KeyManagementProvider "kmp-ca"): spec.parameters.value: contains an unterminated PEM block',
        },
        {
          name: 'key content type holding a certificate',
          yaml: () => kmp('kmp-key', inlineCertificates(certificatePem).replace('certificate', 'key')),
          reason:
            'document 1 (KeyManagementProvider "kmp-key"): spec.parameters.value: PEM block 1 is "CERTIFICATE", expected "PUBLIC KEY"',
        },
        {
          name: 'type and provider that disagree',
          yaml: () =>
            kmp('kmp-ca', inlineCertificates(certificatePem), 'type: inline\n  provider: azurekeyvault'),
          reason:
            'document 1 (KeyManagementProvider "kmp-ca"): spec.provider: must match spec.type ("inline") when both are set',
        },
        {
          name: 'key management provider without type',
          yaml: () => kmp('kmp-ca', inlineCertificates(certificatePem), 'refreshInterval: 1x'),
          reason:
            'document 1 (KeyManagementProvider "kmp-ca"): spec.type: is required; ' +
            'document 1 (KeyManagementProvider "kmp-ca"): spec.refreshInterval: must be a duration such as "30m" or "1h30m"',
        },
        {
          name: 'Azure Key Vault provider without identity and objects',
          yaml: () => kmp('kmp-akv', 'vaultURI: https://vault.example/', 'type: azurekeyvault'),
          reason:
            'document 1 (KeyManagementProvider "kmp-akv"): spec.parameters.tenantID: is required; ' +
            'document 1 (KeyManagementProvider "kmp-akv"): spec.parameters.clientID: is required; ' +
            'document 1 (KeyManagementProvider "kmp-akv"): spec.parameters: at least one of certificates or keys is required',
        },
        {
          name: 'policy with another name and an unknown rule',
          yaml: () =>
            `${API}\nkind: Policy\nmetadata:\n  name: my-policy\nspec:\n  type: config-policy\n  parameters:\n` +
            `    artifactVerificationPolicies:\n      default: some`,
          reason:
            'document 1 (Policy "my-policy"): metadata.name: must be "ratify-policy" (Ratify applies only the policy of that name); ' +
            'document 1 (Policy "my-policy"): spec.parameters.artifactVerificationPolicies.default: must be one of "any", "all", got "some"',
        },
        {
          name: 'rego policy without policy text',
          yaml: () => `${API}\nkind: Policy\nmetadata:\n  name: ratify-policy\nspec:\n  type: rego-policy`,
          reason:
            'document 1 (Policy "ratify-policy"): spec.parameters: one of policy or policyPath is required',
        },
        {
          name: 'cosign legacy key mixed with trust policies',
          yaml: () =>
            cosignVerifier(
              'key: /keys/cosign.pub\ntrustPolicies:\n  - name: p\n    scopes: ["*"]\n    keys: [{file: /k.pub}]',
            ),
          reason:
            'document 1 (Verifier "verifier-cosign"): spec.parameters.key: is Ratify\'s legacy form and cannot be used with trustPolicies',
        },
        {
          name: 'cosign trust policy with keys and keyless, file and provider, version without name',
          yaml: () =>
            cosignVerifier(
              'trustPolicies:\n  - name: p\n    version: 2.0.0\n    scopes: ["*"]\n' +
                '    keys:\n      - {file: /k.pub, provider: kmp}\n      - {provider: kmp, version: v1}\n' +
                '    keyless: {certificateIdentity: me@example.com, certificateOIDCIssuer: https://issuer}',
            ),
          reason:
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[0].version: must be "1.0.0"; ' +
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[0].keys[0]: file and provider cannot both be set; ' +
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[0].keys[1].version: requires name; ' +
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[0]: keys and keyless cannot both be set',
        },
        {
          name: 'cosign keyless identity rules and regular expressions',
          yaml: () =>
            cosignVerifier(
              'trustPolicies:\n  - name: p\n    scopes: ["*"]\n    keyless:\n' +
                '      certificateIdentity: me@example.com\n      certificateIdentityRegExp: "(unclosed"',
            ),
          reason:
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[0].keyless: ' +
            'only one of certificateIdentity and certificateIdentityRegExp may be set; ' +
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[0].keyless: ' +
            'one of certificateOIDCIssuer or certificateOIDCIssuerRegExp is required; ' +
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[0].keyless.certificateIdentityRegExp: ' +
            'is not a valid regular expression: Invalid regular expression: /(unclosed/u: Unterminated group',
        },
        {
          name: 'cosign scopes that collide',
          yaml: () =>
            cosignVerifier(
              'trustPolicies:\n' +
                '  - {name: a, scopes: ["*", "ghcr.io/x"], keys: [{file: /a.pub}]}\n' +
                '  - {name: b, scopes: ["ghcr.io/team/*", "Ghcr.io/UP"], keys: [{file: /b.pub}]}\n' +
                '  - {name: c, scopes: ["ghcr.io/team/app", "ghcr.io/team/*"], keys: [{file: /c.pub}]}\n' +
                '  - {name: a, scopes: ["*"], keys: [{file: /d.pub}]}',
            ),
          reason:
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[3].name: duplicate trust policy name (also trustPolicies[0]); ' +
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[0].scopes: "*" cannot be combined with other scopes; ' +
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[1].scopes[1]: ' +
            'must be "*", a repository such as "registry.example.com/team/app", or a prefix ending in "*"; ' +
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[2].scopes[0]: overlaps scope "ghcr.io/team/*" of trust policy "b"; ' +
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[2].scopes[1]: duplicate scope (also in trust policy "b"); ' +
            'document 1 (Verifier "verifier-cosign"): spec.parameters.trustPolicies[3].scopes: "*" is already the scope of trust policy "a"',
        },
      ];

    it.each(cases)('reports $name precisely', ({ yaml, reason }) => {
      expect(reasonOf(yaml())).toBe(reason);
    });

    it('names a malformed certificate and the parser reason', () => {
      const garbage = Buffer.from('not a certificate at all').toString('base64');
      const yaml = kmp(
        'kmp-ca',
        `value: |\n  -----BEGIN CERTIFICATE-----\n  ${garbage}\n  -----END CERTIFICATE-----`,
      );
      expect(reasonOf(yaml)).toMatch(
        /^document 1 \(KeyManagementProvider "kmp-ca"\): spec\.parameters\.value: certificate 1 is not a valid X\.509 certificate: .+/,
      );
    });

    it('carries the source and the problem count in details', () => {
      try {
        parseConfigYaml(
          join(store.replace('name: oras', 'name: x'), store.replace('v1beta1', 'v1')),
          'file /tmp/c.yaml',
        );
        throw new Error('expected CONFIG_INVALID');
      } catch (error) {
        expect(error).toBeInstanceOf(SignetError);
        expect((error as SignetError).details).toEqual({ source: 'file /tmp/c.yaml', problems: 2 });
        expect((error as SignetError).kind).toBe('config');
      }
    });

    it('refuses a YAML alias bomb', () => {
      const bomb =
        'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n' +
        'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]';
      expect(reasonOf(bomb)).toBe(
        'document 1: YAML error: Excessive alias count indicates a resource exhaustion attack',
      );
    });
  });

  describe('valid documents', () => {
    it('skips empty documents and keeps document numbers', () => {
      const resources = parseConfigYaml(
        `---\n${store}\n---\n---\n${store.replace('store-oras', 'store-two')}`,
        'test',
      );
      expect(resources.map((resource) => resource.resource?.document)).toEqual([1, 3]);
    });

    it('reads an oras store with every documented parameter and the signet extension', () => {
      const [parsed] = parseConfigYaml(
        `${store}
  parameters:
    useHttp: true
    cosignEnabled: true
    cacheEnabled: true
    capacity: 100
    keyNumber: 10000
    ttl: 10
    localCachePath: /tmp/cache
    authProvider:
      name: k8Secrets
      secrets:
        - secretName: pull
        - secretName: other
          namespace: team
    signet:
      insecureRegistries: ["127.0.0.1:5000", "Localhost"]
      credentials:
        "ghcr.io": {username: me, password: s3cret}`,
        'test',
      );
      const config = parsed as StoreConfig;
      expect(config).toMatchObject({
        name: 'oras',
        useHttp: true,
        cosignEnabled: true,
        localCachePath: '/tmp/cache',
        authProvider: {
          name: 'k8Secrets',
          serviceAccountName: 'default',
          secrets: [
            { secretName: 'pull', namespace: undefined },
            { secretName: 'other', namespace: 'team' },
          ],
        },
        signet: { insecureRegistries: ['127.0.0.1:5000', 'localhost'] },
      });
      const credential = config.signet.credentials['ghcr.io'];
      expect(credential?.username).toBe('me');
      expect(credential?.password.reveal()).toBe('s3cret');
      // The password never leaves through logs or serialization, and the raw parameters omit it.
      expect(JSON.stringify(config)).not.toContain('s3cret');
      expect(inspect(config, { depth: 10 })).not.toContain('s3cret');
      expect(config.parameters).not.toHaveProperty('signet');
    });

    it('reads the credential helpers of the signet extension (host keys normalised)', () => {
      const [parsed] = parseConfigYaml(
        `${store}\n  parameters:\n    signet:\n      credHelpers:\n` +
          `        123456789012.dkr.ecr.eu-west-1.amazonaws.com: ecr-login\n        GCR.io: gcr\n` +
          `      credsStore: acr-env`,
        'test',
      );
      expect((parsed as StoreConfig).signet).toEqual({
        insecureRegistries: [],
        credentials: {},
        credHelpers: { '123456789012.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login', 'gcr.io': 'gcr' },
        credsStore: 'acr-env',
      });
    });

    it('treats empty fields as absent, as Ratify chart renders them', () => {
      const [parsed] = parseConfigYaml(`${store}\n  parameters:`, 'test');
      expect(parsed).toMatchObject({
        useHttp: false,
        authProvider: { name: 'dockerConfig', configPath: undefined },
      });
    });

    it('reads notation cert stores by type with namespaced references', () => {
      const [parsed] = parseConfigYaml(
        notationVerifier(
          strictPolicy.replace('["ca:certs"]', '["ca:certs", "tsa:stamps"]'),
          'ca:\n        certs: [team/kmp-ca, kmp-ca2]\n      tsa:\n        stamps: [kmp-tsa]',
        ),
        'test',
      );
      const verifier = parsed as NotationVerifierConfig<unknown>;
      expect(verifier.verificationCertStores).toEqual([
        {
          storeType: 'ca',
          storeName: 'certs',
          providers: [
            { name: 'kmp-ca', namespace: 'team' },
            { name: 'kmp-ca2', namespace: undefined },
          ],
        },
        { storeType: 'tsa', storeName: 'stamps', providers: [{ name: 'kmp-tsa', namespace: undefined }] },
      ]);
      expect(verifier.trustPolicyDoc.trustPolicies[0]?.trustStores).toEqual(['ca:certs', 'tsa:stamps']);
    });

    it('reads cosign trust policies with Ratify defaults', () => {
      const [parsed] = parseConfigYaml(
        cosignVerifier(
          'trustPolicies:\n' +
            '  - name: keyed\n    scopes: ["ghcr.io/team/*"]\n    tLogVerify: false\n' +
            '    keys:\n      - file: /keys/a.pub\n      - provider: kmp-akv\n        name: signing\n        version: v2\n' +
            '  - name: keyless\n    scopes: ["*"]\n    rekorURL: https://rekor.example\n' +
            '    keyless: {certificateIdentityRegExp: "^.*@example\\\\.com$", certificateOIDCIssuer: https://issuer}',
        ),
        'test',
      );
      const verifier = parsed as CosignVerifierConfig<unknown>;
      expect(verifier.mode).toEqual({
        $case: 'trustPolicies',
        trustPolicies: [
          {
            name: 'keyed',
            version: '1.0.0',
            scopes: ['ghcr.io/team/*'],
            keys: [
              { $case: 'file', path: '/keys/a.pub' },
              {
                $case: 'provider',
                provider: { name: 'kmp-akv', namespace: undefined },
                keyName: 'signing',
                keyVersion: 'v2',
              },
            ],
            keyless: undefined,
            tLogVerify: false,
            rekorURL: 'https://rekor.sigstore.dev',
          },
          {
            name: 'keyless',
            version: '1.0.0',
            scopes: ['*'],
            keys: [],
            keyless: {
              certificateIdentity: undefined,
              certificateIdentityRegExp: '^.*@example\\.com$',
              certificateOIDCIssuer: 'https://issuer',
              certificateOIDCIssuerRegExp: undefined,
              ctLogVerify: true,
            },
            tLogVerify: true,
            rekorURL: 'https://rekor.example',
          },
        ],
      });
    });

    it('reads the legacy cosign form and keeps unknown parameters', () => {
      const [parsed] = parseConfigYaml(
        cosignVerifier('key: /keys/cosign.pub\nattestors: {count: 1}'),
        'test',
      );
      const verifier = parsed as CosignVerifierConfig<unknown>;
      expect(verifier.mode).toEqual({ $case: 'legacy', key: '/keys/cosign.pub', rekorURL: undefined });
      expect(verifier.parameters).toMatchObject({ attestors: { count: 1 } });
    });

    it('parses inline certificates and keys', () => {
      const [certificates, key] = parseConfigYaml(
        join(
          kmp('kmp-ca', inlineCertificates(certificatePem + certificatePem)),
          kmp('kmp-key', `contentType: key\nvalue: |\n${indent(PUBLIC_KEY_PEM, 2)}`),
        ),
        'test',
      ) as KeyProviderConfig[];
      expect(certificates?.certificates.map((certificate) => certificate.subject)).toEqual([
        'CN=Test CA, O=signet',
        'CN=Test CA, O=signet',
      ]);
      expect(key?.publicKeys[0]?.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    });

    it('reads an inline value without contentType as certificates (AKS documentation)', () => {
      const [provider] = parseConfigYaml(
        kmp('kmp-ca', `value: |\n${indent(certificatePem, 2)}`, 'provider: inline'),
        'test',
      ) as KeyProviderConfig[];
      expect(provider?.provider).toBe('inline');
      expect(provider?.certificates).toHaveLength(1);
    });

    it("reads the deprecated CertificateStore's Azure Key Vault string list", () => {
      const [provider] = parseConfigYaml(
        `${API}\nkind: CertificateStore\nmetadata:\n  name: certstore-akv\nspec:\n  provider: azurekeyvault\n  parameters:\n` +
          '    vaultURI: https://vault.example/\n    tenantID: t\n    clientID: c\n    certificates: |\n' +
          '      array:\n        - |\n          certificateName: signing\n          certificateVersion: abc\n',
        'test',
      ) as KeyProviderConfig[];
      expect(provider?.azureKeyVault).toEqual({
        vaultURI: 'https://vault.example/',
        tenantID: 't',
        clientID: 'c',
        cloudName: undefined,
        certificates: [{ name: 'signing', version: 'abc' }],
        keys: [],
      });
    });

    it('reads both policy types', () => {
      const resources = parseConfigYaml(
        join(
          `${API}\nkind: Policy\nmetadata:\n  name: ratify-policy\nspec:\n  type: config-policy\n  parameters:\n` +
            '    passthroughEnabled: true\n    artifactVerificationPolicies:\n      application/vnd.cncf.notary.signature: any',
          `${API}\nkind: NamespacedPolicy\nmetadata:\n  name: ratify-policy\n  namespace: team\nspec:\n  type: rego-policy\n` +
            '  parameters:\n    policy: package ratify.policy',
        ),
        'test',
      );
      expect(resources).toEqual([
        {
          $case: 'policy',
          resource: { kind: 'Policy', name: 'ratify-policy', namespace: undefined, document: 1 },
          type: 'config-policy',
          artifactVerificationPolicies: { 'application/vnd.cncf.notary.signature': 'any' },
          defaultRule: 'all',
          passthroughEnabled: true,
        },
        {
          $case: 'policy',
          resource: { kind: 'NamespacedPolicy', name: 'ratify-policy', namespace: 'team', document: 2 },
          type: 'rego-policy',
          policy: 'package ratify.policy',
          policyPath: undefined,
          passthroughEnabled: false,
        },
      ]);
    });
  });
});

describe('parseConfigResource', () => {
  describe('Kubernetes objects', () => {
    it('accepts status and server-set metadata, and names the resource without a document', () => {
      const result = parseConfigResource({
        apiVersion: 'config.ratify.deislabs.io/v1beta1',
        kind: 'NamespacedStore',
        metadata: { name: 'store', namespace: 'team', uid: 'x', resourceVersion: '7', annotations: {} },
        spec: { name: 'oras', parameters: { useHttp: 'no' } },
        status: { issuccess: true },
      });
      expect(result).toEqual({
        ok: false,
        problems: [
          {
            locator: { document: undefined, kind: 'NamespacedStore', name: 'store', namespace: 'team' },
            path: 'spec.parameters.useHttp',
            message: 'must be true or false',
          },
        ],
      });
    });
  });
});
