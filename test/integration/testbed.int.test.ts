// Proves the real-peer test bed: olareg in each auth mode, crane/oras pushes, referrers and the tag-schema fallback,
// OCI layout vectors with their signatures, and every fault of the fault proxy.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import {
  attachArtifact,
  deleteTag,
  pushImage,
  pushIndex,
  pushOciLayout,
  tagImage,
} from '../helpers/images.js';
import type { PushedManifest } from '../helpers/images.js';
import { registryRequest, startRegistry } from '../helpers/registry.js';
import type { RegistryAuth, TestRegistry } from '../helpers/registry.js';

const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
const ociIndex = 'application/vnd.oci.image.index.v1+json';
const manifestAccept = [ociManifest, ociIndex, 'application/vnd.docker.distribution.manifest.v2+json'].join(
  ', ',
);
const notationSignature = 'application/vnd.cncf.notary.signature';
const layoutVectors = fileURLToPath(
  new URL('../vectors/data/notation-e2e/test/e2e/testdata/registry/oci_layout/', import.meta.url),
);

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface ReferrersIndex {
  manifests: Array<{ digest: string; artifactType?: string }>;
}

function parseIndex(body: Buffer): ReferrersIndex {
  return JSON.parse(body.toString('utf8')) as ReferrersIndex;
}

describe('test bed', () => {
  describe.each<RegistryAuth>(['none', 'basic', 'token'])('olareg with auth %s', (auth) => {
    let registry: TestRegistry;
    beforeAll(async () => {
      registry = await startRegistry({ auth });
    });
    afterAll(() => registry.stop());

    it('answers anonymous /v2/ with the challenge of its scheme', async () => {
      const response = await registryRequest(registry, '/v2/', { anonymous: true });
      if (auth === 'none') {
        expect(response.status).toBe(200);
        return;
      }
      expect(response.status).toBe(401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      if (auth === 'basic') expect(challenge).toMatch(/^Basic realm="[^"]+"/);
      else
        expect(challenge).toMatch(
          new RegExp(`^Bearer realm="${registry.url}/token",service="olareg registry"`),
        );
    });

    it('lets the configured user push with crane and read the manifest back', async () => {
      const image = await pushImage(registry, 'testbed/app', 'v1', { layerBytes: 2048 });
      expect(image.mediaType).toBe(ociManifest);
      const response = await registryRequest(registry, `/v2/testbed/app/manifests/v1`, {
        headers: { Accept: manifestAccept },
      });
      expect(response.status).toBe(200);
      expect(sha256(response.body)).toBe(image.digest);
      expect(response.headers.get('docker-content-digest')).toBe(image.digest);
    });

    if (auth !== 'none') {
      it('refuses anonymous pulls of pushed content', async () => {
        await pushImage(registry, 'testbed/private', 'v1');
        const response = await registryRequest(registry, '/v2/testbed/private/manifests/v1', {
          anonymous: true,
        });
        expect(response.status).toBe(401);
      });
    }

    if (auth === 'basic') {
      it('rejects a wrong password with 401', async () => {
        const response = await registryRequest({ ...registry, password: 'wrong' }, '/v2/');
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toContain('invalid username or password');
      });
    }

    if (auth === 'token') {
      it('issues tokens only for valid credentials', async () => {
        const wrong = `Basic ${Buffer.from(`${registry.username}:wrong`).toString('base64')}`;
        const refused = await fetch(`${registry.url}/token?service=olareg%20registry`, {
          headers: { Authorization: wrong },
        });
        expect(refused.status).toBe(403);
        const response = await registryRequest(registry, '/v2/');
        expect(response.status).toBe(200);
      });
    }
  });

  describe('olareg with auth and anonymous pull', () => {
    it('serves pulls without credentials but still requires them for pushes', async () => {
      const registry = await startRegistry({ auth: 'basic', anonymousPull: true });
      try {
        const image = await pushImage(registry, 'testbed/public', 'v1');
        const pull = await registryRequest(registry, `/v2/testbed/public/manifests/${image.digest}`, {
          anonymous: true,
          headers: { Accept: manifestAccept },
        });
        expect(pull.status).toBe(200);
        const push = await registryRequest(registry, '/v2/testbed/public/blobs/uploads/', {
          method: 'POST',
          anonymous: true,
        });
        expect(push.status).toBe(401);
      } finally {
        await registry.stop();
      }
    });
  });

  describe('referrers', () => {
    let withApi: TestRegistry;
    let withoutApi: TestRegistry;
    beforeAll(async () => {
      [withApi, withoutApi] = await Promise.all([startRegistry(), startRegistry({ referrersApi: false })]);
    });
    afterAll(() => Promise.all([withApi.stop(), withoutApi.stop()]));

    it('lists an oras-attached artifact through the referrers API, filtered by artifactType', async () => {
      const image = await pushImage(withApi, 'testbed/signed', 'v1');
      const artifact = await attachArtifact(
        withApi,
        image.digestReference,
        'application/vnd.example.sig',
        'sig',
        'application/vnd.example.payload',
      );
      const all = await registryRequest(withApi, `/v2/testbed/signed/referrers/${image.digest}`);
      expect(all.status).toBe(200);
      expect(parseIndex(all.body).manifests).toEqual([
        expect.objectContaining({ digest: artifact.digest, artifactType: 'application/vnd.example.sig' }),
      ]);
      const filtered = await registryRequest(
        withApi,
        `/v2/testbed/signed/referrers/${image.digest}?artifactType=application/vnd.other`,
      );
      expect(parseIndex(filtered.body).manifests).toEqual([]);
      expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    });

    it('without the referrers API answers 405 and indexes the artifact under the sha256-<hex> tag', async () => {
      const image = await pushImage(withoutApi, 'testbed/signed', 'v1');
      const artifact = await attachArtifact(
        withoutApi,
        image.digestReference,
        'application/vnd.example.sig',
        'sig',
        'application/vnd.example.payload',
      );
      const api = await registryRequest(withoutApi, `/v2/testbed/signed/referrers/${image.digest}`);
      expect(api.status).toBe(405);
      const fallbackTag = image.digest.replace(':', '-');
      const tagged = await registryRequest(withoutApi, `/v2/testbed/signed/manifests/${fallbackTag}`, {
        headers: { Accept: ociIndex },
      });
      expect(tagged.status).toBe(200);
      expect(parseIndex(tagged.body).manifests.map((m) => m.digest)).toEqual([artifact.digest]);
    });
  });

  describe('images', () => {
    let registry: TestRegistry;
    beforeAll(async () => {
      registry = await startRegistry();
    });
    afterAll(() => registry.stop());

    it('pushes a two-platform index whose children carry their platforms', async () => {
      const index = await pushIndex(registry, 'testbed/multi', 'v1');
      expect(index.mediaType).toBe(ociIndex);
      const response = await registryRequest(registry, '/v2/testbed/multi/manifests/v1', {
        headers: { Accept: ociIndex },
      });
      const listed = JSON.parse(response.body.toString('utf8')) as {
        manifests: Array<{ digest: string; platform?: { os: string; architecture: string } }>;
      };
      expect(listed.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual([
        'linux/amd64',
        'linux/arm64',
      ]);
      expect(listed.manifests.map((m) => m.digest)).toEqual(index.manifests.map((m) => m.digest));
    });

    it('pushes Docker media types on request, and tags and deletes tags', async () => {
      const image = await pushImage(registry, 'testbed/docker', 'v1', { oci: false });
      expect(image.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
      await tagImage(registry, image.digestReference, 'moved');
      const moved = await registryRequest(registry, '/v2/testbed/docker/manifests/moved', {
        method: 'HEAD',
        headers: { Accept: manifestAccept },
      });
      expect(moved.headers.get('docker-content-digest')).toBe(image.digest);
      await deleteTag(registry, 'testbed/docker', 'moved');
      const gone = await registryRequest(registry, '/v2/testbed/docker/manifests/moved', {
        method: 'HEAD',
        headers: { Accept: manifestAccept },
      });
      expect(gone.status).toBe(404);
    });
  });

  describe('OCI layout vectors', () => {
    it.each([true, false])(
      'pushes e2e-valid-multiple-signatures with its signatures (referrers API %s)',
      async (referrersApi) => {
        const registry = await startRegistry({ referrersApi });
        try {
          const subject = await pushOciLayout(
            registry,
            join(layoutVectors, 'e2e-valid-multiple-signatures'),
            'e2e',
            'v1',
          );
          expect(subject.digest).toBe(
            'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9',
          );
          const path = referrersApi
            ? `/v2/e2e/referrers/${subject.digest}`
            : `/v2/e2e/manifests/${subject.digest.replace(':', '-')}`;
          const listing = await registryRequest(registry, path, { headers: { Accept: ociIndex } });
          expect(listing.status).toBe(200);
          const signatures = parseIndex(listing.body).manifests;
          expect(signatures.length).toBeGreaterThanOrEqual(2);
          for (const signature of signatures) {
            expect(signature.artifactType).toBe(notationSignature);
            const manifest = await registryRequest(registry, `/v2/e2e/manifests/${signature.digest}`, {
              headers: { Accept: ociManifest },
            });
            expect(sha256(manifest.body)).toBe(signature.digest);
          }
        } finally {
          await registry.stop();
        }
      },
    );
  });

  describe('fault proxy', () => {
    let registry: TestRegistry;
    let proxy: FaultProxy;
    let image: PushedManifest;
    let blobDigest: string;
    const manifestPath = () => `/v2/testbed/faults/manifests/${image.digest}`;
    const blobPath = () => `/v2/testbed/faults/blobs/${blobDigest}`;
    const get = (path: string, timeoutMs = 5_000) =>
      fetch(`${proxy.url}${path}`, {
        headers: { Accept: manifestAccept },
        signal: AbortSignal.timeout(timeoutMs),
      });

    beforeAll(async () => {
      registry = await startRegistry();
      image = await pushImage(registry, 'testbed/faults', 'v1', { layerBytes: 4096 });
      const manifest = await registryRequest(registry, `/v2/testbed/faults/manifests/${image.digest}`, {
        headers: { Accept: manifestAccept },
      });
      blobDigest = (JSON.parse(manifest.body.toString('utf8')) as { layers: Array<{ digest: string }> })
        .layers[0]!.digest;
      proxy = await startFaultProxy(registry.url);
    });
    afterAll(async () => {
      await proxy.stop();
      await registry.stop();
    });
    beforeEach(() => {
      proxy.setFault({ $case: 'none' });
      proxy.clearRequests();
    });

    describe('none', () => {
      it('passes requests and responses through and logs them', async () => {
        const response = await get(manifestPath());
        expect(response.status).toBe(200);
        expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(image.digest);
        expect(proxy.requests).toEqual([{ method: 'GET', path: manifestPath(), fault: 'none', status: 200 }]);
      });
    });

    describe('delay', () => {
      it('holds the request for its delay, then passes through', async () => {
        // The delay is observed through the proxy's injected wait (no wall clock): the request is held until the
        // wait ends, and answered only then.
        const asked: number[] = [];
        let release = (): void => undefined;
        let waitStarted = (): void => undefined;
        const started = new Promise<void>((resolve) => (waitStarted = resolve));
        const delayed = await startFaultProxy(
          registry.url,
          { $case: 'delay', ms: 300 },
          {
            wait: (ms) => {
              asked.push(ms);
              waitStarted();
              return new Promise<void>((resolve) => (release = resolve));
            },
          },
        );
        try {
          let answered = false;
          const response = fetch(`${delayed.url}${manifestPath()}`, {
            headers: { Accept: manifestAccept },
            signal: AbortSignal.timeout(5_000),
          }).then((r) => {
            answered = true;
            return r;
          });
          await started;
          expect(asked).toEqual([300]);
          expect(answered).toBe(false);
          release();
          expect((await response).status).toBe(200);
          expect(delayed.requests).toEqual([
            { method: 'GET', path: manifestPath(), fault: 'delay', status: 200 },
          ]);
        } finally {
          await delayed.stop();
        }
      });
    });

    describe('stall', () => {
      it('never answers', async () => {
        proxy.setFault({ $case: 'stall' });
        await expect(get(manifestPath(), 300)).rejects.toThrow(/aborted|timeout/i);
      });

      it('sends headers and part of the body, then holds the connection', async () => {
        proxy.setFault({ $case: 'stall', afterBodyBytes: 10 });
        const response = await get(blobPath(), 500);
        expect(response.status).toBe(200);
        await expect(response.arrayBuffer()).rejects.toThrow(/aborted|timeout/i);
      });

      it('drops the connection after ms', async () => {
        proxy.setFault({ $case: 'stall', ms: 100 });
        await expect(get(manifestPath())).rejects.toThrow(/fetch failed/);
      });
    });

    describe('reset', () => {
      it('destroys the connection without an answer', async () => {
        proxy.setFault({ $case: 'reset' });
        await expect(get(manifestPath())).rejects.toThrow(/fetch failed/);
      });
    });

    describe('status', () => {
      it('answers the first N requests with the code and Retry-After, then passes through', async () => {
        proxy.setFault({ $case: 'status', code: 503, retryAfter: 2, times: 1 });
        const first = await get(manifestPath());
        expect(first.status).toBe(503);
        expect(first.headers.get('retry-after')).toBe('2');
        const second = await get(manifestPath());
        expect(second.status).toBe(200);
        expect(proxy.requests.map((r) => r.fault)).toEqual(['status', 'none']);
      });

      it('faults only the paths that match', async () => {
        proxy.setFault({ $case: 'status', code: 429, match: /\/blobs\// });
        expect((await get(manifestPath())).status).toBe(200);
        expect((await get(blobPath())).status).toBe(429);
      });
    });

    describe('truncate', () => {
      it('keeps Content-Length but closes the connection after N bytes', async () => {
        proxy.setFault({ $case: 'truncate', bytes: 100 });
        const response = await get(blobPath());
        expect(Number(response.headers.get('content-length'))).toBeGreaterThan(100);
        await expect(response.arrayBuffer()).rejects.toThrow(/terminated/);
      });
    });

    describe('alterBody', () => {
      it('flips a body byte and keeps the headers', async () => {
        proxy.setFault({ $case: 'alterBody' });
        const response = await get(manifestPath());
        const body = Buffer.from(await response.arrayBuffer());
        expect(body.length).toBe(image.size);
        expect(response.headers.get('docker-content-digest')).toBe(image.digest);
        expect(sha256(body)).not.toBe(image.digest);
      });
    });

    describe('wrongDigestHeader', () => {
      it('replaces Docker-Content-Digest and keeps the body', async () => {
        proxy.setFault({ $case: 'wrongDigestHeader' });
        const response = await get(manifestPath());
        expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(image.digest);
        expect(response.headers.get('docker-content-digest')).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(response.headers.get('docker-content-digest')).not.toBe(image.digest);
      });
    });

    describe('token realm', () => {
      it('rewrites the registry origin in challenges so token requests pass through the proxy too', async () => {
        const tokenRegistry = await startRegistry({ auth: 'token' });
        const tokenProxy = await startFaultProxy(tokenRegistry.url);
        try {
          const response = await fetch(`${tokenProxy.url}/v2/`);
          expect(response.status).toBe(401);
          expect(response.headers.get('www-authenticate')).toContain(`realm="${tokenProxy.url}/token"`);
        } finally {
          await tokenProxy.stop();
          await tokenRegistry.stop();
        }
      });
    });
  });
});
