// An RFC 3161 timestamp authority on loopback: `openssl ts -reply` answering each request, behind a small
// node HTTP server (notation posts `application/timestamp-query` and expects `application/timestamp-reply`).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openssl } from './openssl-ca.js';

export interface TestTsa {
  readonly url: string;
  /** The TSA's self-signed root: notation's `--timestamp-root-cert` and the `tsa` trust store. */
  readonly rootPath: string;
  stop(): Promise<void>;
}

const MAX_REQUEST_BYTES = 64 * 1024;

/** A TSA root and a TSA certificate (critical EKU timeStamping) under `dir`, served on 127.0.0.1. */
export async function startTsa(dir: string): Promise<TestTsa> {
  const tsaDir = join(dir, 'tsa');
  await mkdir(tsaDir, { recursive: true });
  const rootPath = join(tsaDir, 'tsa-root.crt');
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:3072',
      '-nodes',
      '-keyout',
      'tsa-root.key',
      '-out',
      rootPath,
      '-subj',
      '/CN=signet test TSA root/O=signet-test/C=US',
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    tsaDir,
  );
  await writeFile(
    join(tsaDir, 'tsa.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n',
  );
  await openssl(
    [
      'req',
      '-new',
      '-newkey',
      'rsa:3072',
      '-nodes',
      '-keyout',
      'tsa.key',
      '-out',
      'tsa.csr',
      '-subj',
      '/CN=signet test TSA/O=signet-test/C=US',
    ],
    tsaDir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'tsa.csr',
      '-CA',
      rootPath,
      '-CAkey',
      'tsa-root.key',
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '30',
      '-extfile',
      'tsa.ext',
      '-out',
      'tsa.crt',
    ],
    tsaDir,
  );
  await writeFile(join(tsaDir, 'chain.pem'), await readFile(rootPath));
  await writeFile(join(tsaDir, 'serial'), '01\n');
  const configPath = join(tsaDir, 'tsa.cnf');
  await writeFile(
    configPath,
    `[tsa]\ndefault_tsa = tsa_config\n[tsa_config]\ndir = ${tsaDir}\nserial = $dir/serial\nsigner_cert = $dir/tsa.crt\n` +
      `signer_key = $dir/tsa.key\ncerts = $dir/chain.pem\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n` +
      `digests = sha256, sha384, sha512\naccuracy = microsecs:1\nclock_precision_digits = 6\ness_cert_id_alg = sha256\ness_cert_id_chain = no\n`,
  );

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (request.method !== 'POST' || size > MAX_REQUEST_BYTES) {
        response.writeHead(400).end();
        return;
      }
      const id = randomBytes(6).toString('hex');
      const queryPath = join(tsaDir, `${id}.tsq`);
      const replyPath = join(tsaDir, `${id}.tsr`);
      writeFile(queryPath, Buffer.concat(chunks))
        .then(() =>
          openssl(
            ['ts', '-reply', '-config', configPath, '-queryfile', queryPath, '-out', replyPath],
            tsaDir,
          ),
        )
        .then(() => readFile(replyPath))
        .then(
          (reply) => response.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(reply),
          () => response.writeHead(500).end(),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rootPath,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
