// A loopback Sigstore instance for keyless tests: @sigstore/mock's Fulcio (with its CT log), Rekor v1 and
// RFC 3161 TSA handlers served over real HTTP on 127.0.0.1 (random port), plus everything a verifier needs
// to trust it: a trusted_root.json, the PEM files cosign's environment variables name, and OIDC tokens.
//
// @sigstore/mock's own entry point installs nock interceptors; only its handler modules are loaded here.
import 'reflect-metadata';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { fulcioHandler, initializeCA, initializeCTLog } from '@sigstore/mock/dist/fulcio/index.js';
import { initializeTLog, rekorHandler } from '@sigstore/mock/dist/rekor/index.js';
import type { Handler } from '@sigstore/mock/dist/shared.types.js';
import { initializeTSA, tsaHandler } from '@sigstore/mock/dist/timestamp/index.js';
import type { TSA } from '@sigstore/mock/dist/timestamp/tsa.js';

import { runTool } from './tools.js';

import {
  ASN1_TAG,
  isUniversal,
  readBoolean,
  readChildren,
  readDer,
  readInteger,
  readOctetString,
  readOid,
} from '../../provider/trust/index.js';

/** The OIDC issuer the mock Fulcio writes into certificates when a token names none (we always name one). */
export const MOCK_OIDC_ISSUER = 'https://oidc.signet.test';
const MAX_REQUEST_BYTES = 1024 * 1024;

export interface SigstoreMock {
  /** `http://127.0.0.1:PORT`: Fulcio (`/api/v2/signingCert`), Rekor (`/api/v1/log/entries`), TSA (`/api/v1/timestamp`). */
  readonly url: string;
  /** The TSA endpoint cosign's `--timestamp-server-url` wants. */
  readonly timestampUrl: string;
  /** trusted_root.json for this instance (Fulcio CA, Rekor, CT log, TSA), for signet and `cosign --trusted-root`. */
  readonly trustedRootPath: string;
  /** PEM files for cosign's SIGSTORE_ROOT_FILE, SIGSTORE_REKOR_PUBLIC_KEY, SIGSTORE_CT_LOG_PUBLIC_KEY_FILE and the TSA chain. */
  readonly fulcioRootPath: string;
  readonly rekorPublicKeyPath: string;
  readonly ctLogPublicKeyPath: string;
  readonly tsaChainPath: string;
  /** A signed OIDC identity token with `sub` = subject (the certificate's URI SAN) and `iss` = issuer. */
  identityToken(subject: string, issuer?: string): string;
  /** `METHOD path -> status` for every request served, so tests can show the mock was really used. */
  readonly requests: readonly string[];
  stop(): Promise<void>;
}

function pem(type: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${type}-----\n${base64.trim()}\n-----END ${type}-----\n`;
}

function base64Url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function p256(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function readBody(request: IncomingMessage, encoding: BufferEncoding = 'utf8'): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(new Error('request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString(encoding)));
    request.on('error', reject);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

function spki(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

function logInstance(baseUrl: string, key: KeyObject, start: Date): Record<string, unknown> {
  const der = spki(key);
  return {
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: der.toString('base64'),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start: start.toISOString() },
    },
    logId: { keyId: createHash('sha256').update(der).digest('base64') },
  };
}

/** cosign v2 still speaks Fulcio's legacy v1 API; the mock only implements v2. */
const FULCIO_V1_PATH = '/api/v1/signingCert';

interface FulcioV1Answer {
  readonly statusCode: number;
  readonly body: string;
  readonly contentType: string;
}

/** sigstore-go (cosign v3) sends Fulcio v2 its token as `Authorization: Bearer`; the mock reads it from the body. */
function withBearerCredentials(body: string, authorization: string | undefined): string {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  const request = JSON.parse(body) as { credentials?: unknown };
  return token === undefined || request.credentials !== undefined
    ? body
    : JSON.stringify({ ...request, credentials: { oidcIdentityToken: token } });
}

interface ProposedDsseEntry {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly spec?: {
    readonly proposedContent?: { readonly envelope: string; readonly verifiers: readonly string[] };
  };
}

/**
 * Real Rekor logs a `dsse` 0.0.1 proposal in canonical form (envelope and payload hashes, signatures with their
 * verifier) and signs that; the mock would log the proposal verbatim, which no verifier accepts. hashedrekord
 * proposals are already canonical.
 */
function toCanonicalRekorEntry(body: string): string {
  const proposed = JSON.parse(body) as ProposedDsseEntry;
  const content = proposed.spec?.proposedContent;
  if (proposed.kind !== 'dsse' || content === undefined) return body;
  const envelope = JSON.parse(content.envelope) as { payload: string; signatures: Array<{ sig: string }> };
  const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');
  const verifier = content.verifiers[0] ?? '';
  return JSON.stringify({
    kind: 'dsse',
    apiVersion: proposed.apiVersion,
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256Hex(content.envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256Hex(Buffer.from(envelope.payload, 'base64')) },
      signatures: envelope.signatures.map(({ sig }) => ({ signature: sig, verifier })),
    },
  });
}

/** Real Rekor names a new entry in `ETag` and `Location`; sigstore-go looks the entry up by `ETag`. */
function rekorEntryHeaders(response: string | ArrayBufferView): Record<string, string> {
  const text = typeof response === 'string' ? response : bytesOf(response).toString('utf8');
  const uuid = Object.keys(JSON.parse(text) as Record<string, unknown>)[0] ?? '';
  return { etag: uuid, location: `/api/v1/log/entries/${uuid}` };
}

/** v1 clients send the key as DER or as PEM bytes (cosign: PEM), base64-encoded either way. */
function toPublicKeyPem(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.startsWith('-----BEGIN') ? text : pem('PUBLIC KEY', bytes);
}

/**
 * Fulcio v1 `POST /api/v1/signingCert` (`{publicKey:{algorithm,content}, signedEmailAddress}`, token
 * in `Authorization: Bearer`) translated to the mock's v2 handler; answers v1's PEM chain (leaf first, SCT embedded).
 */
async function fulcioV1(
  v2: Handler,
  body: string,
  authorization: string | undefined,
): Promise<FulcioV1Answer> {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (token === undefined)
    return { statusCode: 401, body: 'missing bearer token', contentType: 'text/plain' };
  const v1 = JSON.parse(body) as { publicKey?: { content?: string }; signedEmailAddress?: string };
  const content = v1.publicKey?.content;
  if (content === undefined)
    return { statusCode: 400, body: 'missing publicKey.content', contentType: 'text/plain' };
  const v2Request = {
    credentials: { oidcIdentityToken: token },
    publicKeyRequest: {
      publicKey: { algorithm: 'ECDSA', content: toPublicKeyPem(Buffer.from(content, 'base64')) },
      proofOfPossession: v1.signedEmailAddress ?? '',
    },
  };
  const result = await v2.fn(JSON.stringify(v2Request));
  const text =
    typeof result.response === 'string' ? result.response : bytesOf(result.response).toString('utf8');
  if (result.statusCode !== 201)
    return { statusCode: result.statusCode, body: text, contentType: 'text/plain' };
  const chain = (JSON.parse(text) as { signedCertificateEmbeddedSct: { chain: { certificates: string[] } } })
    .signedCertificateEmbeddedSct.chain.certificates;
  return { statusCode: 201, body: chain.join(''), contentType: 'application/pem-certificate-chain' };
}

const TIMESTAMP_PATH = '/api/v1/timestamp';
const TIMESTAMP_QUERY = 'application/timestamp-query';
const SIGSTORE_TSA_POLICY = '1.3.6.1.4.1.57264.2';

/**
 * cosign sends a DER RFC 3161 TimeStampReq; the mock's handler takes sigstore-js's JSON form, so the request is
 * read here and handed to the mock TSA. Its TSTInfo nonce is a JS number: only the request nonce's low 48 bits fit.
 */
function parseTimestampRequest(der: Buffer): Parameters<TSA['timestamp']>[0] {
  const fields = readChildren(readDer(der));
  const [algorithm, hashed] = readChildren(fields[1] ?? readDer(Buffer.from([0x30, 0])));
  const hashAlgorithmOID = readOid(
    algorithm === undefined ? undefined : readChildren(algorithm)[0],
    'hash algorithm',
  );
  let nonce = 0;
  let certReq = false;
  let policyOID = SIGSTORE_TSA_POLICY;
  for (const field of fields.slice(2)) {
    if (isUniversal(field, ASN1_TAG.OID)) policyOID = readOid(field, 'reqPolicy');
    else if (isUniversal(field, ASN1_TAG.INTEGER))
      nonce = Number(readInteger(field, 'nonce') & 0xffffffffffffn);
    else if (isUniversal(field, ASN1_TAG.BOOLEAN)) certReq = readBoolean(field, 'certReq');
  }
  return {
    artifactHash: Buffer.from(readOctetString(hashed, 'hashedMessage')),
    hashAlgorithmOID,
    nonce,
    policyOID,
    certReq,
  };
}

/**
 * A clock for the mock TSA that reads the current time on every access, with 10 ms past the second: the mock
 * encodes that genTime as DER wants, without trailing zeros (`.01Z`), the form @sigstore/core 3 cannot parse and
 * signet reads itself — so every run exercises it.
 */
function genTimeClock(): Date {
  const now = (): Date => new Date(Math.floor(Date.now() / 1000) * 1000 + 10);
  return new Proxy(now(), {
    get: (_target, property) => {
      const current = now();
      const value: unknown = Reflect.get(current, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
    },
  });
}

/** Starts the loopback instance and writes its trust files into `dir`. */
export async function startSigstoreMock(dir: string): Promise<SigstoreMock> {
  const server = createServer();
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;

  const ctKeys = p256();
  const caKeys = p256();
  const rekorKeys = p256();
  const tsaKeys = p256();
  const ca = await initializeCA(caKeys, await initializeCTLog(ctKeys));
  const tlog = await initializeTLog(url, rekorKeys);
  const tsa = await initializeTSA(tsaKeys, genTimeClock());
  const fulcio = fulcioHandler(ca);
  const rekor = rekorHandler(tlog);
  const handlers: Handler[] = [fulcio, rekor, tsaHandler(tsa)];

  const requests: string[] = [];
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', url).pathname;
    const answer = (
      status: number,
      body: string | Uint8Array,
      contentType = 'text/plain',
      headers: Record<string, string> = {},
    ): void => {
      requests.push(`${request.method ?? '?'} ${path} -> ${status}`);
      response.writeHead(status, { 'content-type': contentType, ...headers });
      response.end(body);
    };
    if (request.method === 'GET' && path === '/api/v1/log/publicKey') {
      answer(200, pem('PUBLIC KEY', spki(rekorKeys.publicKey)), 'application/x-pem-file');
      return;
    }
    if (request.method === 'POST' && path === FULCIO_V1_PATH) {
      readBody(request)
        .then((body) => fulcioV1(fulcio, body, request.headers.authorization))
        .then(
          (result) => answer(result.statusCode, result.body, result.contentType),
          (error: unknown) => answer(400, error instanceof Error ? error.message : 'bad request'),
        );
      return;
    }
    if (
      request.method === 'POST' &&
      path === TIMESTAMP_PATH &&
      request.headers['content-type'] === TIMESTAMP_QUERY
    ) {
      readBody(request, 'binary')
        .then((body) => tsa.timestamp(parseTimestampRequest(Buffer.from(body, 'binary'))))
        .then(
          (reply) => answer(201, bytesOf(reply), 'application/timestamp-reply'),
          (error: unknown) => answer(400, error instanceof Error ? error.message : 'bad request'),
        );
      return;
    }
    const handler = handlers.find((candidate) => candidate.path === path);
    if (request.method !== 'POST' || handler === undefined) {
      answer(404, `no mock for ${request.method ?? '?'} ${path}`);
      return;
    }
    readBody(request)
      .then((body) =>
        handler.fn(
          handler === fulcio
            ? withBearerCredentials(body, request.headers.authorization)
            : handler === rekor
              ? toCanonicalRekorEntry(body)
              : body,
        ),
      )
      .then(
        // sigstore-go accepts only 200 from Fulcio v2 (real Fulcio's gateway answers 200); the mock says 201.
        (result) =>
          answer(
            handler === fulcio && result.statusCode === 201 ? 200 : result.statusCode,
            typeof result.response === 'string' ? result.response : bytesOf(result.response),
            result.contentType,
            handler === rekor && result.statusCode === 201 ? rekorEntryHeaders(result.response) : {},
          ),
        (error: unknown) => answer(500, error instanceof Error ? error.message : 'mock failure'),
      );
  });

  const fulcioRoot = bytesOf(ca.rootCertificate);
  const tsaRoot = bytesOf(tsa.rootCertificate);
  const tsaIntermediate = bytesOf(tsa.intCertificate);
  // The mock issues its roots "now" (whole seconds); every authority is valid from a minute before.
  const start = new Date(Date.now() - 60_000);
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logInstance(url, rekorKeys.publicKey, start)],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: Buffer.from(fulcioRoot).toString('base64') }] },
        validFor: { start: start.toISOString() },
      },
    ],
    ctlogs: [logInstance(url, ctKeys.publicKey, start)],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore-tsa' },
        uri: `${url}/api/v1/timestamp`,
        certChain: {
          certificates: [
            { rawBytes: Buffer.from(tsaIntermediate).toString('base64') },
            { rawBytes: Buffer.from(tsaRoot).toString('base64') },
          ],
        },
        validFor: { start: start.toISOString() },
      },
    ],
  };

  const trustedRootPath = join(dir, 'trusted_root.json');
  const fulcioRootPath = join(dir, 'fulcio-root.pem');
  const rekorPublicKeyPath = join(dir, 'rekor.pub');
  const ctLogPublicKeyPath = join(dir, 'ctlog.pub');
  const tsaChainPath = join(dir, 'tsa-chain.pem');
  await Promise.all([
    writeFile(trustedRootPath, JSON.stringify(trustedRoot, null, 2)),
    writeFile(fulcioRootPath, pem('CERTIFICATE', fulcioRoot)),
    writeFile(rekorPublicKeyPath, pem('PUBLIC KEY', spki(rekorKeys.publicKey))),
    writeFile(ctLogPublicKeyPath, pem('PUBLIC KEY', spki(ctKeys.publicKey))),
    writeFile(tsaChainPath, pem('CERTIFICATE', tsaIntermediate) + pem('CERTIFICATE', tsaRoot)),
  ]);

  // The mock Fulcio decodes but does not verify tokens; cosign only parses them. Sign anyway so the JWS is well formed.
  const oidcKeys = p256();
  const identityToken = (subject: string, issuer = MOCK_OIDC_ISSUER): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = base64Url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: 'signet-test' }));
    const claims = base64Url(
      JSON.stringify({ iss: issuer, sub: subject, aud: 'sigstore', iat: now, nbf: now, exp: now + 600 }),
    );
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), {
      key: oidcKeys.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${header}.${claims}.${base64Url(signature)}`;
  };

  return {
    url,
    timestampUrl: `${url}/api/v1/timestamp`,
    trustedRootPath,
    fulcioRootPath,
    rekorPublicKeyPath,
    ctLogPublicKeyPath,
    tsaChainPath,
    identityToken,
    requests,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** How cosign says "these signatures are not the ones the policy wants" (a verdict, not a tool failure). */
const COSIGN_KEYLESS_DENIAL =
  /no matching signatures|no matching attestations|none of the expected identities matched|error verifying bundle/;

export interface CosignKeylessRun {
  readonly mock: SigstoreMock;
  /** Holds the OIDC token file and cosign's TUF cache (never the public-good instance). */
  readonly dir: string;
  /** DOCKER_CONFIG for the test registry. */
  readonly dockerConfigDir: string;
  /** `cosign` (v2, `.sig` tag) or `cosign3` (v3, Sigstore bundle referrer). */
  readonly tool: 'cosign' | 'cosign3';
}

/**
 * `cosign sign` keyless against the loopback instance, with an OIDC token for `subject`. cosign v2 speaks Fulcio
 * v1 and takes the instance's keys from SIGSTORE_* variables; cosign v3 (sigstore-go) needs its signing-config
 * lookup off and reads the trusted root.
 */
export async function cosignSignKeyless(
  run: CosignKeylessRun,
  subject: string,
  digestReference: string,
  /** `cosign attest --type … --predicate …` instead of `cosign sign`. */
  attestation?: { readonly type: string; readonly predicatePath: string },
): Promise<void> {
  const { mock, dir, tool } = run;
  const tokenPath = join(dir, 'token');
  // cosign reads a long token as a file path, so hand it a file.
  await writeFile(tokenPath, mock.identityToken(subject));
  await runTool(
    tool,
    [
      ...(attestation === undefined
        ? ['sign']
        : ['attest', '--type', attestation.type, '--predicate', attestation.predicatePath]),
      '--yes',
      ...(tool === 'cosign3' ? ['--use-signing-config=false', '--trusted-root', mock.trustedRootPath] : []),
      '--fulcio-url',
      mock.url,
      '--rekor-url',
      mock.url,
      '--timestamp-server-url',
      mock.timestampUrl,
      '--identity-token',
      tokenPath,
      '--allow-insecure-registry',
      '--allow-http-registry',
      digestReference,
    ],
    {
      env: {
        TUF_ROOT: join(dir, 'tuf'),
        DOCKER_CONFIG: run.dockerConfigDir,
        // cosign checks the SCT and the Rekor entry it gets back against these (never the public-good TUF root).
        SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: mock.ctLogPublicKeyPath,
        SIGSTORE_REKOR_PUBLIC_KEY: mock.rekorPublicKeyPath,
        SIGSTORE_ROOT_FILE: mock.fulcioRootPath,
      },
    },
  );
}

/** `cosign verify --trusted-root …` with identity flags; true when cosign accepts, false on its denial. */
export async function cosignVerifiesKeyless(
  run: Omit<CosignKeylessRun, 'mock'>,
  args: readonly string[],
  trustedRootPath: string,
  digestReference: string,
): Promise<boolean> {
  try {
    await runTool(
      run.tool,
      [
        'verify',
        ...args,
        '--trusted-root',
        trustedRootPath,
        '--allow-insecure-registry',
        '--allow-http-registry',
        digestReference,
      ],
      { env: { TUF_ROOT: join(run.dir, 'tuf'), DOCKER_CONFIG: run.dockerConfigDir } },
    );
    return true;
  } catch (error) {
    if (error instanceof Error && COSIGN_KEYLESS_DENIAL.test(error.message)) return false;
    throw error;
  }
}
