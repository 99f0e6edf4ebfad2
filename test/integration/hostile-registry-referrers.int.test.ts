// Referrer amplification: a subject that lists 900 valid signature artifacts (one real notation signature made by
// the notation CLI, the rest real OCI artifact manifests pushed with a `subject`, all of notation's artifact type)
// must not make signet fetch 900 manifests until the deadline on every admission. The per-image signature cap is
// applied to the referrers listing (or the tag-schema fallback index) before any signature manifest is fetched,
// and the result is a final, cached LIMIT_EXCEEDED verdict: real olareg registries, a real signet process, and a
// counting proxy between them that sees every registry request signet makes.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../helpers/fault-proxy.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import { createNotationSigner, type NotationSigner } from '../helpers/notation.js';
import { MIB, providerRssBytes, startProvider, type StartedProvider } from '../helpers/process.js';
import { notationConfig } from '../helpers/ratify-config.js';
import { registryRequest, startRegistry, type TestRegistry } from '../helpers/registry.js';

const VERIFY = '/ratify/gatekeeper/v1/verify';
const NOTATION_TYPE = 'application/vnd.cncf.notary.signature';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
};
const REFERRER_COUNT = 900;
/** signet's per-request deadline (`--deadline-ms`, its default). */
const DEADLINE_MS = 2500;
const MAX_SIGNATURES = 32;
/** Bound on the signet process's RSS growth over every call this file makes (the hostile ones included). */
const RSS_GROWTH_BOUND_MIB = 64;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
}

function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function expectStatus(response: Response, expected: number, what: string): Promise<void> {
  if (response.status !== expected)
    throw new Error(`${what}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
}

/** Uploads a blob with the distribution API's POST + PUT (monolithic upload). */
async function pushBlob(registry: TestRegistry, repo: string, content: Buffer): Promise<Descriptor> {
  const digest = sha256(content);
  const started = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await expectStatus(started, 202, `blob upload start in ${repo}`);
  const location = new URL(started.headers.get('location') ?? '', registry.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: content,
  });
  await expectStatus(put, 201, `blob upload of ${digest}`);
  return { mediaType: 'application/octet-stream', digest, size: content.length };
}

/** PUTs a manifest by digest (or under `tag`) and returns its descriptor. */
async function pushManifest(
  registry: TestRegistry,
  repo: string,
  document: unknown,
  mediaType: string,
  tag?: string,
): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(document));
  const digest = sha256(bytes);
  const response = await fetch(`${registry.url}/v2/${repo}/manifests/${tag ?? digest}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: bytes,
  });
  await expectStatus(response, 201, `manifest push to ${repo}`);
  return { mediaType, digest, size: bytes.length };
}

/**
 * Pushes `count` notation-typed artifact manifests whose `subject` is `subject`, one at a time (olareg rewrites
 * a subject's referrers list read-modify-write without a lock). Each is a distinct real manifest the registry
 * stores and, with its referrers API, lists.
 */
async function pushReferrers(
  registry: TestRegistry,
  repo: string,
  subject: PushedManifest,
  count: number,
): Promise<Descriptor[]> {
  await pushBlob(registry, repo, Buffer.from('{}'));
  const envelope = await pushBlob(registry, repo, Buffer.from('{"payload":"not verified: never fetched"}'));
  const pushed: Descriptor[] = [];
  for (let i = 0; i < count; i += 1) {
    const descriptor = await pushManifest(
      registry,
      repo,
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: NOTATION_TYPE,
        config: EMPTY_CONFIG,
        layers: [{ ...envelope, mediaType: 'application/jose+json' }],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': `["flood-${i}"]` },
      },
      OCI_MANIFEST,
    );
    pushed.push({ ...descriptor, artifactType: NOTATION_TYPE });
  }
  return pushed;
}

/** The referrers the registry itself lists for `subject` (its referrers API, or the tag-schema index). */
async function listedReferrers(registry: TestRegistry, repo: string, digest: string): Promise<Descriptor[]> {
  const path = registry.referrersApi
    ? `/v2/${repo}/referrers/${digest}`
    : `/v2/${repo}/manifests/${digest.replace(':', '-')}`;
  const response = await registryRequest(registry, path, { headers: { accept: OCI_INDEX } });
  if (response.status !== 200) throw new Error(`listing ${path}: HTTP ${response.status}`);
  return (JSON.parse(response.body.toString('utf8')) as { manifests: Descriptor[] }).manifests;
}

let dir: string;
let withReferrers: TestRegistry;
let tagSchemaOnly: TestRegistry;
let signer: NotationSigner;
let provider: StartedProvider;
/** The provider's RSS once it is ready, before any call: the baseline of the memory check at the end. */
let rssBefore: number;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-referrer-flood-'));
  [withReferrers, tagSchemaOnly] = await Promise.all([
    startRegistry(),
    startRegistry({ referrersApi: false }),
  ]);
  signer = await createNotationSigner(join(dir, 'signer'), 'referrer-flood');
  const configPath = join(dir, 'config.yaml');
  await writeFile(
    configPath,
    notationConfig({
      trust: { $case: 'inline', certificatePem: await readFile(signer.certificatePath, 'utf8') },
    }),
  );
  provider = await startProvider([
    '--insecure-http',
    '--config',
    configPath,
    '--log-level',
    'warn',
    '--deadline-ms',
    String(DEADLINE_MS),
    '--max-signatures',
    String(MAX_SIGNATURES),
  ]);
  rssBefore = providerRssBytes(provider);
});

afterAll(async () => {
  await provider?.stop();
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  await Promise.all([withReferrers?.stop(), tagSchemaOnly?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** A counting proxy in front of `registry`: signet is given keys naming the proxy, so it sees every request. */
async function countingProxy(registry: TestRegistry): Promise<FaultProxy> {
  const proxy = await startFaultProxy(registry.url);
  proxies.push(proxy);
  return proxy;
}

/** Keys naming `image` through `proxy`. */
function throughProxy(proxy: FaultProxy, image: PushedManifest): { tag: string; digest: string } {
  const path = image.reference.slice(image.reference.indexOf('/'));
  return {
    tag: `${proxy.host}${path}`,
    digest: `${proxy.host}${path.slice(0, path.lastIndexOf(':'))}@${image.digest}`,
  };
}

async function verify(key: string): Promise<{ item: ProviderItem; ms: number; systemError?: string }> {
  const started = performance.now();
  const answer = await callProvider(`${provider.url}${VERIFY}`, [key]);
  const ms = performance.now() - started;
  const item = answer.body.response?.items?.[0];
  if (item === undefined)
    throw new Error(
      `no item for ${key} after ${Math.round(ms)} ms: ${answer.body.response?.systemError ?? 'no systemError'}`,
    );
  return {
    item,
    ms,
    ...(answer.body.response?.systemError === undefined
      ? {}
      : { systemError: answer.body.response.systemError }),
  };
}

const isManifestGet = (request: ProxiedRequest) =>
  request.method === 'GET' && request.path.includes('/manifests/');
const isReferrersCall = (request: ProxiedRequest) => request.path.includes('/referrers/');
/** Resolving the tag `tag` of the key: HEAD (or GET) of `/manifests/<tag>`. */
const isTagResolution = (tag: string) => (request: ProxiedRequest) =>
  request.path.endsWith(`/manifests/${tag}`) && (request.method === 'HEAD' || request.method === 'GET');

function expectTooManySignatures(item: ProviderItem, key: string, listing: RegExp): void {
  expect(item.error).toBeUndefined();
  expect(item.value?.isSuccess).toBe(false);
  const reports = item.value?.verifierReports ?? [];
  expect(reports).toHaveLength(1);
  const report = reports[0] as {
    message?: string;
    errorReason?: string;
    extensions?: Record<string, unknown>;
  };
  expect(report.extensions).toEqual({ code: 'LIMIT_EXCEEDED', stage: 'discover' });
  expect(report.errorReason).toMatch(listing);
  expect(report.errorReason).toContain(`${REFERRER_COUNT} signature artifacts`);
  expect(report.errorReason).toContain(`more than the limit of ${MAX_SIGNATURES} per image`);
  const prefix = `image verification failed for ${key}: `;
  expect(report.message?.slice(0, prefix.length)).toBe(prefix);
}

describe.each([
  ['the referrers API', true, /listed by the referrers API/],
  ['the tag-schema fallback index', false, /listed by the referrers tag-schema index/],
] as const)('a subject with %s naming 900 notation signatures', (_name, referrersApi, listing) => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let flooded: PushedManifest;
  let signedOnly: PushedManifest;
  const repo = `hostile/flood-${referrersApi ? 'api' : 'tags'}`;

  beforeAll(async () => {
    registry = referrersApi ? withReferrers : tagSchemaOnly;
    proxy = await countingProxy(registry);
    [flooded, signedOnly] = [await pushImage(registry, repo, 'v1'), await pushImage(registry, repo, 'ok')];
    await signer.sign(flooded.digestReference, { referrersApi });
    await signer.sign(signedOnly.digestReference, { referrersApi });
    const pushed = await pushReferrers(registry, repo, flooded, REFERRER_COUNT - 1);
    if (!referrersApi) {
      // The tag-schema index notation maintains, extended with every pushed artifact (as a client would).
      const index = JSON.parse(
        (
          await registryRequest(registry, `/v2/${repo}/manifests/${flooded.digest.replace(':', '-')}`, {
            headers: { accept: OCI_INDEX },
          })
        ).body.toString('utf8'),
      ) as { manifests: Descriptor[] };
      await pushManifest(
        registry,
        repo,
        { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...index.manifests, ...pushed] },
        OCI_INDEX,
        flooded.digest.replace(':', '-'),
      );
    }
    const listed = await listedReferrers(registry, repo, flooded.digest);
    expect(listed.filter((d) => d.artifactType === NOTATION_TYPE)).toHaveLength(REFERRER_COUNT);
    expect(new Set(listed.map((d) => d.digest)).size).toBe(REFERRER_COUNT);
  }, 300_000);

  it('control: the same signer and configuration allow the image signed once', async () => {
    const { item } = await verify(throughProxy(proxy, signedOnly).tag);
    expect(item.value?.isSuccess).toBe(true);
  });

  it('is denied at once with LIMIT_EXCEEDED, fetching no signature manifest', async () => {
    const key = throughProxy(proxy, flooded).tag;
    proxy.clearRequests();
    const { item, ms, systemError } = await verify(key);
    expect(systemError).toBeUndefined();
    expectTooManySignatures(item, key, listing);
    // Decided from one listing: far below the deadline, not at it (the amplification ran into TIMEOUT).
    expect(ms).toBeLessThan(DEADLINE_MS / 2);
    const requests = proxy.requests;
    const manifestGets = requests.filter(isManifestGet);
    // At most the tag resolution (HEAD, GET when HEAD gives no digest) and, without a referrers API, the
    // fallback index: never one per referrer.
    expect(manifestGets.length).toBeLessThanOrEqual(referrersApi ? 1 : 2);
    expect(
      manifestGets.filter(
        (r) => !isTagResolution('v1')(r) && !r.path.endsWith(flooded.digest.replace(':', '-')),
      ),
    ).toEqual([]);
    expect(requests.filter(isReferrersCall).length).toBeLessThanOrEqual(referrersApi ? 3 : 1);
    expect(requests.length).toBeLessThanOrEqual(5);
  });

  it('is a cached verdict: a repeat admission only resolves the tag', async () => {
    const key = throughProxy(proxy, flooded).tag;
    await verify(key);
    proxy.clearRequests();
    const { item } = await verify(key);
    expectTooManySignatures(item, key, listing);
    const requests = proxy.requests;
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((r) => !isTagResolution('v1')(r))).toEqual([]);
  });

  it('the cached verdict also answers the digest key, naming it', async () => {
    const key = throughProxy(proxy, flooded).digest;
    proxy.clearRequests();
    const { item } = await verify(key);
    expectTooManySignatures(item, key, listing);
    // The digest is checked once against the registry (then remembered); no referrers listing, no signature.
    expect(proxy.requests.filter(isReferrersCall)).toEqual([]);
    expect(
      proxy.requests.filter((r) => r.path.includes('/manifests/sha256-') || r.path.includes('/blobs/')),
    ).toEqual([]);
  });
});

// Defined last, so it runs after every hostile call above (jest runs a file's tests in order).
describe('the provider process over the hostile calls above', () => {
  it(`grows its RSS by less than ${RSS_GROWTH_BOUND_MIB} MiB`, () => {
    const rssAfter = providerRssBytes(provider);
    const growthMib = (rssAfter - rssBefore) / MIB;
    console.log(
      `signet RSS (referrer flood): before ${(rssBefore / MIB).toFixed(1)} MiB, after ${(rssAfter / MIB).toFixed(1)} MiB, growth ${growthMib.toFixed(1)} MiB (bound ${RSS_GROWTH_BOUND_MIB} MiB)`,
    );
    expect(growthMib).toBeLessThan(RSS_GROWTH_BOUND_MIB);
  });
});
