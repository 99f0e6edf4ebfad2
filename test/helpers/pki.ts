// Certificates for tests, the demo and the benchmark, made by the real openssl CLI in a directory the
// caller owns: a CA, serving certificates for 127.0.0.1/localhost and client certificates (mTLS).
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

export async function issue(
  dir: string,
  ca: KeyPair,
  name: string,
  usage: 'serverAuth' | 'clientAuth',
): Promise<KeyPair> {
  const extensions = [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    `extendedKeyUsage=${usage}`,
    ...(usage === 'serverAuth' ? ['subjectAltName=IP:127.0.0.1,DNS:localhost'] : []),
  ];
  await writeFile(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  await openssl(
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    ],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
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
