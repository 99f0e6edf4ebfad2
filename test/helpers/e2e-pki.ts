// Certificates the e2e test bed needs beyond pki.ts's single-purpose ones: Kubernetes client certificates
// (CN = user, O = groups) and Gatekeeper's certificate, which serves its webhook and is also its client
// certificate towards external data providers (serverAuth + clientAuth).
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openssl } from './openssl-ca.js';
import type { KeyPair } from './pki.js';

export interface CertificateProfile {
  /** Common name. */
  readonly commonName: string;
  /** Organizations (Kubernetes reads them as groups). */
  readonly organizations?: readonly string[];
  readonly extendedKeyUsage: readonly ('serverAuth' | 'clientAuth')[];
  /** With serverAuth: subjectAltName IP:127.0.0.1 and DNS:localhost. */
  readonly loopbackNames?: boolean;
}

/** Issues `<fileName>.crt` / `<fileName>.key` (EC P-256, 2 days) in `dir`, signed by `ca`. */
export async function issueProfileCertificate(
  dir: string,
  ca: KeyPair,
  fileName: string,
  profile: CertificateProfile,
): Promise<KeyPair> {
  const escape = (value: string) => value.replace(/[/\\]/g, (c) => `\\${c}`);
  const subject =
    `/CN=${escape(profile.commonName)}` +
    (profile.organizations ?? []).map((o) => `/O=${escape(o)}`).join('');
  const extensions = [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    `extendedKeyUsage=${profile.extendedKeyUsage.join(',')}`,
    ...(profile.loopbackNames ? ['subjectAltName=IP:127.0.0.1,DNS:localhost'] : []),
  ];
  await writeFile(join(dir, `${fileName}.ext`), `${extensions.join('\n')}\n`);
  const key = `${fileName}.key`;
  await openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key].concat([
      '-out',
      `${fileName}.csr`,
      '-subj',
      subject,
    ]),
    dir,
  );
  await openssl(
    ['x509', '-req', '-in', `${fileName}.csr`, '-CA', ca.cert, '-CAkey', ca.key]
      .concat(['-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2'])
      .concat(['-extfile', `${fileName}.ext`, '-out', `${fileName}.crt`]),
    dir,
  );
  return { cert: join(dir, `${fileName}.crt`), key: join(dir, key) };
}
