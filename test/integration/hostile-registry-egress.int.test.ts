// A hostile registry tries to use signet as a pivot: it redirects blob GETs down to plain HTTP on another local
// service, to the cloud metadata address, to names that resolve to loopback or to the metadata address (also after a
// first, harmless answer), and it names a plain-HTTP token realm on another port hoping for the configured Basic
// credentials. Every server here is real and listens on 127.0.0.1; the registry is reached either by its loopback
// address or by a non-loopback name (`registry.test`) that the client's resolver maps to 127.0.0.1. The internal
// services count what reaches them: a refused destination must see nothing, and the error must not echo it.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseImageReference } from '../../provider/reference/index.js';
import { createRegistryClient, createStaticCredentialProvider } from '../../provider/registry/index.js';
import type {
  Descriptor,
  RegistryClient,
  RegistryClientOptions,
  RegistryEgressOptions,
  ResolvedAddress,
} from '../../provider/registry/index.js';
import { expectSignetError } from '../helpers/expect-signet-error.js';
import { openssl } from '../helpers/openssl-ca.js';
import { createCa } from '../helpers/pki.js';

const CALL_DEADLINE_MS = 10_000;
/** The internal service's answer: a status and a size no registry error would name, and a marker body. */
const INTERNAL_STATUS = 203;
const INTERNAL_BODY = `internal-secret-${'s'.repeat(7331 - 'internal-secret-'.length)}`;
const STORAGE_ERROR_BODY = JSON.stringify({
  errors: [{ code: 'STORAGE_SECRET_CODE', message: 'storage-internal-detail at 10.9.8.7' }],
});
const USERNAME = 'signet-user';
const PASSWORD = 'signet-password-not-for-realms';
const BASIC = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;

const BLOB = Buffer.from('a signature blob fetched through a redirect\n');
const BLOB_DESCRIPTOR: Descriptor = {
  mediaType: 'application/octet-stream',
  digest: `sha256:${createHash('sha256').update(BLOB).digest('hex')}`,
  size: BLOB.length,
};
const CONFIG = Buffer.from('{}');
const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: `sha256:${createHash('sha256').update(CONFIG).digest('hex')}`,
      size: CONFIG.length,
    },
    layers: [BLOB_DESCRIPTOR],
  }),
);

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

interface TestServer {
  readonly port: number;
  readonly seen: Seen[];
  stop(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function listen(server: http.Server | https.Server, handle: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    seen.push({
      method: request.method ?? '',
      path: request.url ?? '',
      authorization: request.headers.authorization,
    });
    request.resume();
    handle(request, response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    seen,
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A serving certificate for 127.0.0.1, localhost and the test names the resolver below knows. */
async function issueServingCertificate(dir: string): Promise<{ ca: string; key: string; cert: string }> {
  const ca = await createCa(dir, 'egress-test-ca');
  const names = ['localhost', 'registry.test', 'internal.test', 'blobs.registry.test', 'flip.test'];
  await writeFile(
    join(dir, 'server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=IP:127.0.0.1,${names.map((name) => `DNS:${name}`).join(',')}`,
    ].join('\n') + '\n',
  );
  await openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=egress-test-server',
    ]),
    dir,
  );
  await openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', '0x0e9e55'].concat(
      ['-days', '2', '-extfile', 'server.ext', '-out', 'server.crt'],
    ),
    dir,
  );
  return {
    ca: await readFile(ca.cert, 'utf8'),
    key: await readFile(join(dir, 'server.key'), 'utf8'),
    cert: await readFile(join(dir, 'server.crt'), 'utf8'),
  };
}

function call(): { signal: AbortSignal; deadline: number } {
  return { signal: AbortSignal.timeout(CALL_DEADLINE_MS), deadline: Date.now() + CALL_DEADLINE_MS };
}

/** Asserts a message names nothing of the internal service's answer (status, size, body). */
function expectNothingInternal(message: string): void {
  expect(message).not.toMatch(new RegExp(`\\b${INTERNAL_STATUS}\\b`));
  expect(message).not.toMatch(/\b7331\b/);
  expect(message).not.toContain('internal-secret');
  expect(message).not.toContain('STORAGE_SECRET_CODE');
  expect(message).not.toContain('storage-internal-detail');
}

describe('hostile registry egress', () => {
  let dir: string;
  let tls: { ca: string; key: string; cert: string };
  /** A plain-HTTP service on loopback that must never be reached from an HTTPS registry. */
  let internalPlain: TestServer;
  /** An HTTPS service on loopback (valid for internal.test) that a non-loopback registry must not reach. */
  let internalTls: TestServer;
  /** Blob storage a registry may legitimately redirect to; `/missing` and `/challenge` fail. */
  let storage: TestServer;
  /** The hostile HTTPS registry: where its blob GET redirects to is set per test. */
  let registry: TestServer;
  let redirectTo: () => string;
  let requireBasic = false;
  /** Makes the registry answer with a Bearer challenge whose realm is storage's `/token-post`. */
  let requireBearer = false;
  /** A plain-HTTP registry whose Bearer realm is set per test, and a token server on another port. */
  let plainRegistry: TestServer;
  let realmServer: TestServer;
  let realmFor: () => string;
  const lookups: string[] = [];
  const clients: RegistryClient[] = [];

  const names = new Map<string, readonly ResolvedAddress[]>([
    ['localhost', [{ address: '127.0.0.1', family: 4 }]],
    ['registry.test', [{ address: '127.0.0.1', family: 4 }]],
    ['internal.test', [{ address: '127.0.0.1', family: 4 }]],
    ['blobs.registry.test', [{ address: '127.0.0.1', family: 4 }]],
    ['metadata.test', [{ address: '169.254.169.254', family: 4 }]],
  ]);

  /** The test's DNS: fixed names, and flip.test, which answers 127.0.0.1 once and the metadata address after. */
  function resolveHost(hostname: string): Promise<readonly ResolvedAddress[]> {
    lookups.push(hostname);
    if (hostname === 'flip.test') {
      const first = lookups.filter((name) => name === 'flip.test').length === 1;
      return Promise.resolve([{ address: first ? '127.0.0.1' : '169.254.169.254', family: 4 }]);
    }
    const addresses = names.get(hostname);
    if (addresses === undefined)
      return Promise.reject(
        Object.assign(new Error(`no test address for ${hostname}`), { code: 'ENOTFOUND' }),
      );
    return Promise.resolve(addresses);
  }

  function clientFor(options: RegistryClientOptions & RegistryEgressOptions = {}): RegistryClient {
    const client = createRegistryClient({
      caBundle: tls.ca,
      resolveHost,
      retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
      requestTimeoutMs: 3000,
      ...options,
    });
    clients.push(client);
    return client;
  }

  function basicFor(registryHost: string): RegistryClientOptions['credentials'] {
    return createStaticCredentialProvider(
      new Map([[registryHost, { $case: 'basic', username: USERNAME, password: PASSWORD }]] as const),
    );
  }

  function blobRequests(server: TestServer): Seen[] {
    return server.seen.filter((entry) => entry.path.startsWith('/v2/app/blobs/'));
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signet-egress-'));
    tls = await issueServingCertificate(dir);
    internalPlain = await listen(http.createServer(), (_request, response) => {
      response.writeHead(INTERNAL_STATUS, { 'content-type': 'text/plain' }).end(INTERNAL_BODY);
    });
    internalTls = await listen(https.createServer({ key: tls.key, cert: tls.cert }), (_request, response) => {
      response.writeHead(INTERNAL_STATUS, { 'content-type': 'text/plain' }).end(INTERNAL_BODY);
    });
    realmServer = await listen(http.createServer(), (_request, response) => {
      // Answers anyone, so that only the client's own restraint keeps credentials from it.
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token: 'realm-token' }));
    });
    storage = await listen(https.createServer({ key: tls.key, cert: tls.cert }), (request, response) => {
      if (request.url === '/missing') {
        response.writeHead(404, { 'content-type': 'application/json' }).end(STORAGE_ERROR_BODY);
      } else if (request.url === '/token-post') {
        // The token endpoint passes the refresh-token POST on to an internal service.
        response.writeHead(307, { location: `https://127.0.0.1:${internalTls.port}/steal` }).end();
      } else if (request.url === '/challenge') {
        // Names itself as the realm: a token request with the registry's credentials would be seen here.
        const realm = `https://localhost:${storage.port}/token`;
        response
          .writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="storage"` })
          .end(STORAGE_ERROR_BODY);
      } else {
        response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(BLOB);
      }
    });
    registry = await listen(https.createServer({ key: tls.key, cert: tls.cert }), (request, response) => {
      if (requireBasic && request.headers.authorization !== BASIC) {
        response.writeHead(401, { 'www-authenticate': 'Basic realm="hostile"' }).end();
      } else if (requireBearer && request.headers.authorization === undefined) {
        const realm = `https://localhost:${storage.port}/token-post`;
        response.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="hostile"` }).end();
      } else if (request.url === '/v2/') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else if (request.url === '/v2/app/manifests/v1') {
        response
          .writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
          .end(request.method === 'HEAD' ? undefined : MANIFEST);
      } else if (request.url === `/v2/app/blobs/${BLOB_DESCRIPTOR.digest}`) {
        response.writeHead(307, { location: redirectTo() }).end('redirecting');
      } else {
        response
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
      }
    });
    plainRegistry = await listen(http.createServer(), (request, response) => {
      const url = new URL(request.url ?? '/', 'http://plain.invalid');
      if (url.pathname === '/token') {
        if (request.headers.authorization !== BASIC) {
          response.writeHead(403).end();
          return;
        }
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ token: 'own-token' }));
      } else if (
        request.headers.authorization === 'Bearer own-token' ||
        request.headers.authorization === 'Bearer realm-token'
      ) {
        response
          .writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
          .end(MANIFEST);
      } else {
        response
          .writeHead(401, {
            'www-authenticate': `Bearer realm="${realmFor()}",service="plain",scope="repository:app:pull"`,
          })
          .end();
      }
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(
      [internalPlain, internalTls, realmServer, storage, registry, plainRegistry]
        .filter((server) => server !== undefined)
        .map((server) => server.stop()),
    );
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    for (const server of [internalPlain, internalTls, realmServer, storage, registry, plainRegistry])
      server.seen.length = 0;
    lookups.length = 0;
    requireBasic = false;
    requireBearer = false;
  });

  describe('redirects of an HTTPS registry on loopback (127.0.0.1)', () => {
    const host = (): string => `127.0.0.1:${registry.port}`;
    const blob = (client: RegistryClient): Promise<Uint8Array> =>
      client.getBlob(parseImageReference(`${host()}/app:v1`), BLOB_DESCRIPTOR, call());

    it('never follows a redirect down to plain HTTP, even to a loopback host configured insecure', async () => {
      redirectTo = () => `http://127.0.0.1:${internalPlain.port}/v2/app/blobs/${BLOB_DESCRIPTOR.digest}`;
      const internalHost = `127.0.0.1:${internalPlain.port}`;
      const client = clientFor({
        isInsecure: (registryHost) => registryHost === internalHost,
        isConfiguredHost: (destination) => destination === internalHost,
      });
      const error = await expectSignetError(blob(client), 'REGISTRY_PROTOCOL');
      expect(error.message).toBe(
        `registry ${host()} redirected GET /v2/app/blobs/${BLOB_DESCRIPTOR.digest} to a refused destination ` +
          `(a downgrade from HTTPS to plain HTTP (${internalHost}))`,
      );
      expectNothingInternal(error.message);
      expect(internalPlain.seen).toHaveLength(0);
      // Refused for good: not retried.
      expect(blobRequests(registry)).toHaveLength(1);
    });

    it('never follows a redirect to the cloud metadata address', async () => {
      redirectTo = () => 'https://169.254.169.254/latest/meta-data';
      const error = await expectSignetError(blob(clientFor()), 'REGISTRY_PROTOCOL');
      expect(error.message).toBe(
        `registry ${host()} redirected GET /v2/app/blobs/${BLOB_DESCRIPTOR.digest} to a refused destination ` +
          '(169.254.169.254 is a cloud metadata address)',
      );
      expect(error.details).toEqual({ host: host(), status: 'redirect' });
      expect(blobRequests(registry)).toHaveLength(1);
    });

    it('never follows a redirect to a name that resolves to the metadata address', async () => {
      redirectTo = () => 'https://metadata.test/latest/meta-data';
      const error = await expectSignetError(blob(clientFor()), 'REGISTRY_PROTOCOL');
      expect(error.message).toContain(
        'to a refused destination (metadata.test resolves to 169.254.169.254, a cloud metadata address)',
      );
    });

    it('connects to the checked address only, so a name rebinding to the metadata address after the check is not reached', async () => {
      redirectTo = () => `https://flip.test:${storage.port}/blob`;
      const bytes = await blob(clientFor());
      expect(Buffer.from(bytes).equals(BLOB)).toBe(true);
      // One resolution, checked and used; the second answer (169.254.169.254) is never asked for.
      expect(lookups.filter((name) => name === 'flip.test')).toEqual(['flip.test']);
      expect(storage.seen).toHaveLength(1);
    });

    it('follows a redirect to storage on another loopback host without the registry Authorization', async () => {
      requireBasic = true;
      redirectTo = () => `https://localhost:${storage.port}/blob`;
      const bytes = await blob(clientFor({ credentials: basicFor(host()) }));
      expect(Buffer.from(bytes).equals(BLOB)).toBe(true);
      expect(blobRequests(registry).map((entry) => entry.authorization)).toEqual([undefined, BASIC]);
      expect(storage.seen).toEqual([{ method: 'GET', path: '/blob', authorization: undefined }]);
    });

    it("names the registry and site, not the storage's body, when a followed redirect fails", async () => {
      redirectTo = () => `https://localhost:${storage.port}/missing`;
      const error = await expectSignetError(blob(clientFor()), 'REGISTRY_NOT_FOUND');
      expect(error.message).toBe(
        `registry ${host()} answered HTTP 404 to GET /v2/app/blobs/${BLOB_DESCRIPTOR.digest}`,
      );
      expectNothingInternal(error.message);
    });

    it("does not answer a redirect target's challenge with the registry's credentials", async () => {
      redirectTo = () => `https://localhost:${storage.port}/challenge`;
      const error = await expectSignetError(
        blob(clientFor({ credentials: basicFor(host()) })),
        'REGISTRY_UNAUTHORIZED',
      );
      expect(error.message).toBe(
        `registry ${host()} answered HTTP 401 to GET /v2/app/blobs/${BLOB_DESCRIPTOR.digest}`,
      );
      expectNothingInternal(error.message);
      expect(storage.seen).toEqual([{ method: 'GET', path: '/challenge', authorization: undefined }]);
    });

    it('never resends a token POST (an identity token) to another origin', async () => {
      requireBearer = true;
      const credentials = createStaticCredentialProvider(
        new Map([[host(), { $case: 'identityToken', identityToken: 'refresh-me-not' }]] as const),
      );
      const error = await expectSignetError(blob(clientFor({ credentials })), 'REGISTRY_PROTOCOL');
      expect(error.message).toBe(
        `registry localhost:${storage.port} redirected POST /token-post to a refused destination ` +
          `(it would resend the request body to 127.0.0.1:${internalTls.port})`,
      );
      expect(storage.seen).toEqual([{ method: 'POST', path: '/token-post', authorization: undefined }]);
      expect(internalTls.seen).toHaveLength(0);
    });

    it('still fetches manifests from the registry itself', async () => {
      const fetched = await clientFor().getManifest(parseImageReference(`${host()}/app:v1`), call());
      expect(fetched.descriptor.size).toBe(MANIFEST.length);
    });
  });

  describe('redirects of an HTTPS registry by a non-loopback name (registry.test → 127.0.0.1)', () => {
    const host = (): string => `registry.test:${registry.port}`;
    const blob = (client: RegistryClient): Promise<Uint8Array> =>
      client.getBlob(parseImageReference(`${host()}/app:v1`), BLOB_DESCRIPTOR, call());

    it('never follows a redirect to a name that resolves to loopback', async () => {
      redirectTo = () => `https://internal.test:${internalTls.port}/admin`;
      const error = await expectSignetError(blob(clientFor()), 'REGISTRY_PROTOCOL');
      expect(error.message).toBe(
        `registry ${host()} redirected GET /v2/app/blobs/${BLOB_DESCRIPTOR.digest} to a refused destination ` +
          '(internal.test resolves to 127.0.0.1, a loopback address, and the registry is not on loopback)',
      );
      expectNothingInternal(error.message);
      expect(internalTls.seen).toHaveLength(0);
      // The registry itself was reached through the same resolver.
      expect(lookups).toContain('registry.test');
    });

    it.each([
      [
        'the loopback address',
        (port: number) => `https://127.0.0.1:${port}/admin`,
        '127.0.0.1 is a loopback address',
      ],
      ['localhost', (port: number) => `https://localhost:${port}/admin`, 'localhost is a loopback host'],
    ])('never follows a redirect to %s', async (_name, target, reason) => {
      redirectTo = () => target(internalTls.port);
      const error = await expectSignetError(blob(clientFor()), 'REGISTRY_PROTOCOL');
      expect(error.message).toContain(
        `to a refused destination (${reason}, and the registry is not on loopback)`,
      );
      expectNothingInternal(error.message);
      expect(internalTls.seen).toHaveLength(0);
    });

    it('follows a redirect to an explicitly configured storage host (a subdomain), without the registry Authorization', async () => {
      requireBasic = true;
      const storageHost = `blobs.registry.test:${storage.port}`;
      redirectTo = () => `https://${storageHost}/blob`;
      const client = clientFor({
        credentials: basicFor(host()),
        isConfiguredHost: (destination) => destination === storageHost,
      });
      const bytes = await blob(client);
      expect(Buffer.from(bytes).equals(BLOB)).toBe(true);
      expect(blobRequests(registry).map((entry) => entry.authorization)).toEqual([undefined, BASIC]);
      expect(storage.seen).toEqual([{ method: 'GET', path: '/blob', authorization: undefined }]);
    });
  });

  describe('token realms of a plain-HTTP registry (useHttp) with Basic credentials', () => {
    const host = (): string => `127.0.0.1:${plainRegistry.port}`;
    const manifest = (client: RegistryClient) =>
      client.getManifest(parseImageReference(`${host()}/app:v1`), call());
    const useHttp = { isInsecure: () => true };

    it('sends no credentials to a plain-HTTP realm on another port', async () => {
      realmFor = () => `http://127.0.0.1:${realmServer.port}/token`;
      const error = await expectSignetError(
        manifest(clientFor({ ...useHttp, credentials: basicFor(host()) })),
        'REGISTRY_UNAUTHORIZED',
      );
      expect(error.message).toBe(
        `registry ${host()} named a plain-HTTP token realm on another host (127.0.0.1:${realmServer.port}); ` +
          `the credentials for ${host()} are not sent there`,
      );
      expect(error.remediation).toContain('HTTPS');
      expect(realmServer.seen.filter((entry) => entry.authorization !== undefined)).toEqual([]);
      expect(realmServer.seen).toHaveLength(0);
    });

    it("sends them to the registry's own plain host", async () => {
      realmFor = () => `http://${host()}/token`;
      const fetched = await manifest(clientFor({ ...useHttp, credentials: basicFor(host()) }));
      expect(fetched.descriptor.size).toBe(MANIFEST.length);
      expect(plainRegistry.seen.filter((entry) => entry.path.startsWith('/token'))).toEqual([
        expect.objectContaining({ authorization: BASIC }),
      ]);
    });

    it('asks a plain-HTTP realm on another port anonymously when no credentials are configured', async () => {
      realmFor = () => `http://127.0.0.1:${realmServer.port}/token`;
      const fetched = await manifest(clientFor(useHttp));
      expect(fetched.descriptor.size).toBe(MANIFEST.length);
      expect(realmServer.seen.map((entry) => entry.authorization)).toEqual([undefined]);
    });

    it('never asks a realm at the metadata address', async () => {
      realmFor = () => 'https://169.254.169.254/token';
      const error = await expectSignetError(
        manifest(clientFor({ ...useHttp, credentials: basicFor(host()) })),
        'REGISTRY_PROTOCOL',
      );
      expect(error.message).toBe(
        `registry ${host()} named a token realm for GET /v2/app/manifests/v1 at a refused destination ` +
          '(169.254.169.254 is a cloud metadata address)',
      );
    });
  });
});
