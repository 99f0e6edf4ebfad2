// Certificates for tests, the demo, the benchmark and the e2e bed, made by the real openssl CLI in a directory the
// caller owns: a CA, serving and client certificates (mTLS), and profile certificates (Kubernetes users with
// groups as O=, Gatekeeper's serverAuth+clientAuth certificate).
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openssl } from './openssl-ca.js';

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export async function createCa(dir: string, name: string): Promise<KeyPair> {
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

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

/** A single-purpose leaf for `name` (serverAuth ones are valid for 127.0.0.1 and localhost). */
export function issue(
  dir: string,
  ca: KeyPair,
  name: string,
  usage: 'serverAuth' | 'clientAuth',
): Promise<KeyPair> {
  return issueProfileCertificate(dir, ca, name, {
    commonName: name,
    extendedKeyUsage: [usage],
    loopbackNames: usage === 'serverAuth',
  });
}

export interface MtlsMaterial {
  readonly ca: KeyPair;
  readonly server: KeyPair;
  readonly client: KeyPair;
}

/** One CA issuing a serving certificate (127.0.0.1, localhost) and a client certificate, as Gatekeeper and signet use. */
export async function createMtlsMaterial(dir: string): Promise<MtlsMaterial> {
  const ca = await createCa(dir, 'signet-test-ca');
  const server = await issue(dir, ca, 'signet-server', 'serverAuth');
  const client = await issue(dir, ca, 'gatekeeper-client', 'clientAuth');
  return { ca, server, client };
}

/** `signet serve`'s mTLS flags for `material`: its serving certificate, and its CA as the client CA. */
export function mtlsServeArgs(material: MtlsMaterial): string[] {
  return [
    '--tls-cert',
    material.server.cert,
    '--tls-key',
    material.server.key,
    '--client-ca',
    material.ca.cert,
  ];
}
