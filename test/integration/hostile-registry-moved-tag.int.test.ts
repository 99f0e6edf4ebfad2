// A tag re-pointed at another image between two admissions (the "verdict cached by tag" class of peer CVEs):
// real olareg, images signed by the real notation CLI, a real signet process. Every admission resolves the tag
// afresh, so the second answer judges the image the tag names now, and /mutate pins that image's digest.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callProvider, callProviderForKey } from '../helpers/gatekeeper-client.js';
import { pushImage } from '../helpers/images.js';
import { createNotationSigner, type NotationSigner } from '../helpers/notation.js';
import { MIB, providerRssBytes, startProvider, type StartedProvider } from '../helpers/process.js';
import { notationConfig } from '../helpers/ratify-config.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const VERIFY = '/ratify/gatekeeper/v1/verify';
const MUTATE = '/ratify/gatekeeper/v1/mutate';
/** Bound on the signet process's RSS growth over every call this file makes. */
const RSS_GROWTH_BOUND_MIB = 64;

let dir: string;
let registry: TestRegistry;
let signer: NotationSigner;
let provider: StartedProvider;
/** The provider's RSS once it is ready, before any call: the baseline of the memory check at the end. */
let rssBefore: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-moved-tag-'));
  registry = await startRegistry();
  signer = await createNotationSigner(join(dir, 'signer'), 'moved-tag');
  const configPath = join(dir, 'config.yaml');
  await writeFile(
    configPath,
    notationConfig({
      trust: { $case: 'inline', certificatePem: await readFile(signer.certificatePath, 'utf8') },
    }),
  );
  provider = await startProvider(['--insecure-http', '--config', configPath, '--log-level', 'warn']);
  rssBefore = providerRssBytes(provider);
});

afterAll(async () => {
  await provider?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('a tag moved between admissions', () => {
  it('signed → unsigned: the next admission denies at once, and /mutate pins the new digest', async () => {
    const signed = await pushImage(registry, 'moved/app', 'v1');
    await signer.sign(signed.digestReference);
    const key = signed.reference;

    const first = await callProviderForKey(`${provider.url}${VERIFY}`, key);
    expect(first.value?.isSuccess).toBe(true);

    const unsigned = await pushImage(registry, 'moved/app', 'v1');
    expect(unsigned.digest).not.toBe(signed.digest);

    const second = await callProviderForKey(`${provider.url}${VERIFY}`, key);
    expect(second.value?.isSuccess).toBe(false);
    expect(second.value?.verifierReports?.[0]?.message).toBe(
      `image verification failed for ${key}: signature not found`,
    );

    const mutated = await callProvider(`${provider.url}${MUTATE}`, [key]);
    expect(mutated.body.response?.items).toEqual([
      { key, value: `${registry.host}/moved/app@${unsigned.digest}` },
    ]);

    // The old image is still signed and still verifies by digest: only the tag's meaning changed.
    const byDigest = await callProviderForKey(`${provider.url}${VERIFY}`, signed.digestReference);
    expect(byDigest.value?.isSuccess).toBe(true);
  });

  it('unsigned → signed: the next admission allows at once', async () => {
    const unsigned = await pushImage(registry, 'moved/other', 'v1');
    const key = unsigned.reference;
    const first = await callProviderForKey(`${provider.url}${VERIFY}`, key);
    expect(first.value?.isSuccess).toBe(false);

    const signed = await pushImage(registry, 'moved/other', 'v1');
    await signer.sign(signed.digestReference);
    const second = await callProviderForKey(`${provider.url}${VERIFY}`, key);
    expect(second.value?.isSuccess).toBe(true);
  });
});

// Defined last, so it runs after every call above (jest runs a file's tests in order).
describe('the provider process over the moved-tag calls above', () => {
  it(`grows its RSS by less than ${RSS_GROWTH_BOUND_MIB} MiB`, () => {
    const rssAfter = providerRssBytes(provider);
    const growthMib = (rssAfter - rssBefore) / MIB;
    console.log(
      `signet RSS (moved tag): before ${(rssBefore / MIB).toFixed(1)} MiB, after ${(rssAfter / MIB).toFixed(1)} MiB, growth ${growthMib.toFixed(1)} MiB (bound ${RSS_GROWTH_BOUND_MIB} MiB)`,
    );
    expect(growthMib).toBeLessThan(RSS_GROWTH_BOUND_MIB);
  });
});
