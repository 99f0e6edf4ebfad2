// Images signed by the real notation CLI (JWS and COSE, referrers API and tag-schema fallback), pushed to
// real olareg registries and judged by a real signet process configured with Ratify resources.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage } from '../helpers/images.js';
import { createNotationSigner, type NotationSigner } from '../helpers/notation.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { notationConfig } from '../helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { seedConfigWithCertificate, seedPath } from '../helpers/seeds.js';

let dir: string;
let withReferrers: TestRegistry;
let tagSchemaOnly: TestRegistry;
let trusted: NotationSigner;
let stranger: NotationSigner;
const providers: StartedProvider[] = [];

async function providerWith(config: string): Promise<StartedProvider> {
  const path = join(dir, `config-${providers.length}.yaml`);
  await writeFile(path, config);
  const provider = await startProvider(['--insecure-http', '--config', path, '--log-level', 'warn']);
  providers.push(provider);
  return provider;
}

async function verify(provider: StartedProvider, key: string): Promise<ProviderItem> {
  const answer = await callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, [key]);
  const item = answer.body.response?.items?.[0];
  if (item === undefined)
    throw new Error(`no item for ${key}: ${answer.body.response?.systemError ?? 'no systemError'}`);
  return item;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-notation-'));
  [withReferrers, tagSchemaOnly] = await Promise.all([
    startRegistry(),
    startRegistry({ referrersApi: false }),
  ]);
  trusted = await createNotationSigner(join(dir, 'trusted'), 'signet-test');
  stranger = await createNotationSigner(join(dir, 'stranger'), 'stranger');
});

afterAll(async () => {
  await Promise.all(providers.map((p) => p.stop()));
  await Promise.all([withReferrers?.stop(), tagSchemaOnly?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('notation signatures made by the notation CLI', () => {
  let provider: StartedProvider;
  beforeAll(async () => {
    provider = await providerWith(
      notationConfig({
        trust: { $case: 'inline', certificatePem: await readFile(trusted.certificatePath, 'utf8') },
      }),
    );
  });

  describe.each([
    ['JWS via the referrers API', 'jws', true],
    ['COSE via the referrers API', 'cose', true],
    ['JWS via the tag-schema fallback', 'jws', false],
    ['COSE via the tag-schema fallback', 'cose', false],
  ] as const)('%s', (_name, format, referrersApi) => {
    it('is allowed, with the signer named as Ratify names it', async () => {
      const registry = referrersApi ? withReferrers : tagSchemaOnly;
      const image = await pushImage(registry, `signed/${format}`, referrersApi ? 'api' : 'tags');
      await trusted.sign(`${registry.host}/signed/${format}@${image.digest}`, { format, referrersApi });
      const item = await verify(provider, image.reference);
      expect(item.value?.isSuccess).toBe(true);
      const report = item.value?.verifierReports?.[0] as Record<string, unknown> & {
        extensions?: Record<string, unknown>;
      };
      expect(report.name).toBe('notation');
      expect(report.isSuccess).toBe(true);
      expect(report.extensions?.SN).toBe('CN=signet-test,O=Notary,L=Seattle,ST=WA,C=US');
      expect(report.extensions?.Issuer).toBe('CN=signet-test,O=Notary,L=Seattle,ST=WA,C=US');
    });
  });

  it('denies an unsigned image: signature not found', async () => {
    const image = await pushImage(withReferrers, 'unsigned/app', 'v1');
    const item = await verify(provider, image.reference);
    expect(item.value?.isSuccess).toBe(false);
    expect(item.value?.verifierReports?.[0]?.message).toBe(
      `image verification failed for ${image.reference}: signature not found`,
    );
  });

  it('denies a signature by a key outside the trust store, naming authenticity', async () => {
    const image = await pushImage(withReferrers, 'stranger/app', 'v1');
    await stranger.sign(`${withReferrers.host}/stranger/app@${image.digest}`);
    const item = await verify(provider, image.reference);
    expect(item.value?.isSuccess).toBe(false);
    expect(String(item.value?.verifierReports?.[0]?.message)).toMatch(/authenticity/);
  });

  it("denies under Ratify's default policy (all) when an untrusted signature stands beside a trusted one", async () => {
    const image = await pushImage(withReferrers, 'both/app', 'v1');
    await trusted.sign(`${withReferrers.host}/both/app@${image.digest}`);
    await stranger.sign(`${withReferrers.host}/both/app@${image.digest}`);
    const item = await verify(provider, image.reference);
    // Ratify's default policy is `all`: every signature must verify.
    expect(item.value?.isSuccess).toBe(false);
    expect(item.value?.verifierReports).toHaveLength(2);
  });
});

describe('trusted identities', () => {
  it('denies a trusted certificate whose subject is not a trusted identity (anchored match)', async () => {
    const certificate = await readFile(trusted.certificatePath, 'utf8');
    const provider = await providerWith(
      notationConfig({
        trust: { $case: 'inline', certificatePem: certificate },
        trustedIdentity: 'x509.subject: CN=other-signet-test,O=Notary,L=Seattle,ST=WA,C=US',
      }),
    );
    const image = await pushImage(withReferrers, 'identity/app', 'v1');
    await trusted.sign(`${withReferrers.host}/identity/app@${image.digest}`);
    const item = await verify(provider, image.reference);
    expect(item.value?.isSuccess).toBe(false);
    expect(String(item.value?.verifierReports?.[0]?.message)).toMatch(/identit/i);
  });
});

describe('seed configuration (AKS Image Integrity)', () => {
  it.each(['verify-config-kmp.yaml', 'verify-config-certificatestore.yaml'])(
    '%s with the test CA in place of the sample CA allows the signed image and denies the unsigned one',
    async (seedFile) => {
      const provider = await providerWith(
        await seedConfigWithCertificate(seedFile, await readFile(trusted.certificatePath, 'utf8')),
      );
      const repository = `seed/${seedFile.replace('.yaml', '')}`;
      const [signed, unsigned] = await Promise.all([
        pushImage(withReferrers, repository, 'signed'),
        pushImage(withReferrers, repository, 'unsigned'),
      ]);
      await trusted.sign(`${withReferrers.host}/${repository}@${signed.digest}`);
      const allowed = await verify(provider, signed.reference);
      expect(allowed.value?.isSuccess).toBe(true);
      expect(allowed.value?.verifierReports?.[0]?.name).toBe('notation');
      const denied = await verify(provider, unsigned.reference);
      expect(denied.value?.isSuccess).toBe(false);
      expect(denied.value?.verifierReports?.[0]?.message).toBe(
        `image verification failed for ${unsigned.reference}: signature not found`,
      );
    },
  );

  it('loads unchanged, and fails closed on a signature its sample CA did not issue', async () => {
    const seed = await readFile(seedPath('verify-config-kmp.yaml'), 'utf8');
    const provider = await providerWith(seed);
    const image = await pushImage(withReferrers, 'seed/app', 'v1');
    await trusted.sign(`${withReferrers.host}/seed/app@${image.digest}`);
    const item = await verify(provider, image.reference);
    expect(item.value?.isSuccess).toBe(false);
    expect(item.value?.verifierReports?.[0]?.name).toBe('notation');
  });
});
