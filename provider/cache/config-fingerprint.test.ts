import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSnapshot, parseConfigYaml, type ConfigSnapshot } from '../config/index.js';
import { CA_PEM, KEY_PEM } from '../../test/fixtures/config-snapshot.js';
import { fingerprintConfig } from './config-fingerprint.js';

function indent(pem: string, spaces: number): string {
  return pem
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');
}

interface ConfigOptions {
  readonly identity?: string;
  readonly password?: string;
  readonly certsDir?: string;
  readonly keyPem?: string;
}

function configYaml(options: ConfigOptions = {}): string {
  return `apiVersion: config.ratify.deislabs.io/v1beta1
kind: KeyManagementProvider
metadata:
  name: certs
spec:
  provider: inline
  parameters:
    contentType: certificate
    value: |
${indent(CA_PEM, 6)}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: KeyManagementProvider
metadata:
  name: keys
spec:
  provider: inline
  parameters:
    contentType: key
    value: |
${indent(options.keyPem ?? KEY_PEM, 6)}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Store
metadata:
  name: store-oras
spec:
  name: oras
  parameters:
    signet:
      credentials:
        registry.example:
          username: robot
          password: ${JSON.stringify(options.password ?? 'first')}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-notation
spec:
  name: notation
  artifactTypes: application/vnd.cncf.notary.signature
  parameters:
    ${options.certsDir === undefined ? 'verificationCertStores:\n      certs:\n        - certs' : `verificationCerts: [${JSON.stringify(options.certsDir)}]`}
    trustPolicyDoc:
      version: "1.0"
      trustPolicies:
        - name: default
          registryScopes: ["*"]
          signatureVerification:
            level: strict
          trustStores: ["ca:certs"]
          trustedIdentities: [${JSON.stringify(options.identity ?? '*')}]
`;
}

function otherKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
    type: 'spki',
    format: 'pem',
  }) as string;
}

function snapshot(options: ConfigOptions = {}, generation = 1, source = 'file a.yaml'): ConfigSnapshot {
  return createSnapshot(parseConfigYaml(configYaml(options), source), { generation, source });
}

describe('fingerprintConfig', () => {
  describe('across replicas', () => {
    it('is the same for the same configuration, whatever its generation and source', () => {
      const first = fingerprintConfig(snapshot({}, 1, 'file /etc/signet/config.yaml'), '0.1.0');
      const second = fingerprintConfig(snapshot({}, 7, 'file /tmp/other.yaml'), '0.1.0');
      expect(first).toMatch(/^config-sha256:[0-9a-f]{64}$/);
      expect(second).toBe(first);
    });

    it('ignores registry passwords (they do not change what a signature proves)', () => {
      expect(fingerprintConfig(snapshot({ password: 'second' }), 'v')).toBe(
        fingerprintConfig(snapshot({ password: 'first' }), 'v'),
      );
    });
  });

  describe('what changes it', () => {
    it('changes with the trust policy, the trusted keys and the signet version', () => {
      const base = fingerprintConfig(snapshot(), '0.1.0');
      const other = [
        fingerprintConfig(snapshot({ identity: 'x509.subject: CN=other' }), '0.1.0'),
        fingerprintConfig(snapshot({ keyPem: otherKeyPem() }), '0.1.0'),
        fingerprintConfig(snapshot(), '0.2.0'),
      ];
      for (const fingerprint of other) expect(fingerprint).not.toBe(base);
    });

    it('reads the trust files named by path: new contents are a new configuration', () => {
      const dir = mkdtempSync(join(tmpdir(), 'signet-fingerprint-'));
      try {
        writeFileSync(join(dir, 'ca.crt'), CA_PEM);
        const before = fingerprintConfig(snapshot({ certsDir: dir }), 'v');
        expect(fingerprintConfig(snapshot({ certsDir: dir }), 'v')).toBe(before);
        writeFileSync(join(dir, 'second.crt'), CA_PEM);
        expect(fingerprintConfig(snapshot({ certsDir: dir }), 'v')).not.toBe(before);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
