// A loopback HTTP server for revocation tests: serves the intermediate's CRL and answers OCSP requests
// (through `openssl ocsp`, see answerOcspRequest). Its URLs are known before the certificates that name
// them are issued; the CRL and the OCSP answerer are set afterwards.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RevocationServer {
  readonly crlUrl: string;
  readonly ocspUrl: string;
  setCrl(crl: Buffer): void;
  setOcspAnswerer(answer: (request: Buffer) => Promise<Buffer>): void;
  stop(): Promise<void>;
}

export async function startRevocationServer(): Promise<RevocationServer> {
  let crl: Buffer = Buffer.alloc(0);
  let answerOcsp: ((request: Buffer) => Promise<Buffer>) | undefined;
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/intermediate.crl') {
      response.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(crl);
      return;
    }
    const answer = answerOcsp;
    if (request.method !== 'POST' || request.url !== '/ocsp' || answer === undefined) {
      response.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      answer(Buffer.concat(chunks)).then(
        (body) => response.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(body),
        () => response.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    crlUrl: `${base}/intermediate.crl`,
    ocspUrl: `${base}/ocsp`,
    setCrl: (next) => (crl = next),
    setOcspAnswerer: (next) => (answerOcsp = next),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
