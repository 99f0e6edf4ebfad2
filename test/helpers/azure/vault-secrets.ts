// Key Vault secret values for test certificates, as Key Vault stores a certificate's secret: PEM (the private key
// followed by the chain) or PKCS#12 (base64 of a PFX under the empty password), both made by the real openssl CLI.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openssl } from '../openssl-ca.js';

export interface VaultCertificateContent {
  readonly secretValue: string;
  readonly contentType: 'application/x-pem-file' | 'application/x-pkcs12';
  readonly leafDer: Buffer;
}

async function leafDerOf(dir: string, chainPath: string): Promise<Buffer> {
  const out = join(dir, `leaf-${randomUUID()}.der`);
  await openssl(['x509', '-in', chainPath, '-outform', 'DER', '-out', out], dir);
  return readFile(out);
}

/** The PEM secret of a certificate whose chain (leaf first) is at `chainPath` and key at `keyPath`. */
export async function pemVaultCertificate(
  dir: string,
  keyPath: string,
  chainPath: string,
): Promise<VaultCertificateContent> {
  const [key, chain] = await Promise.all([readFile(keyPath, 'utf8'), readFile(chainPath, 'utf8')]);
  return {
    secretValue: `${key.trim()}\n${chain}`,
    contentType: 'application/x-pem-file',
    leafDer: await leafDerOf(dir, chainPath),
  };
}

/**
 * The PKCS#12 secret of the same: `encrypted` uses openssl 3's defaults (AES-256 PBES2 safes, SHA-256 MAC) under
 * the empty password; otherwise the safes are unencrypted (`-keypbe NONE -certpbe NONE`), as older exports are.
 */
export async function pkcs12VaultCertificate(
  dir: string,
  keyPath: string,
  chainPath: string,
  options: { encrypted: boolean },
): Promise<VaultCertificateContent> {
  const out = join(dir, `bundle-${randomUUID()}.pfx`);
  await openssl(
    [
      'pkcs12',
      '-export',
      '-inkey',
      keyPath,
      '-in',
      chainPath,
      '-passout',
      'pass:',
      ...(options.encrypted ? [] : ['-keypbe', 'NONE', '-certpbe', 'NONE']),
      '-out',
      out,
    ],
    dir,
  );
  return {
    secretValue: (await readFile(out)).toString('base64'),
    contentType: 'application/x-pkcs12',
    leafDer: await leafDerOf(dir, chainPath),
  };
}
