import { SignetError } from '../errors.js';
import { parseManifest, toMediaType } from './manifest.js';
import { MEDIA_TYPES } from './media-types.js';
import type { RequestSite } from './registry-error.js';

const SITE: RequestSite = { host: 'r.example', method: 'GET', path: '/v2/a/manifests/v1', stage: 'discover' };
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

const bytes = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

function protocolError(action: () => unknown): SignetError {
  try {
    action();
  } catch (error) {
    if (error instanceof SignetError) return error;
    throw error;
  }
  throw new Error('expected a SignetError');
}

const IMAGE = {
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  artifactType: 'application/vnd.cncf.notary.signature',
  config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: D1, size: 2 },
  layers: [{ mediaType: 'application/jose+json', digest: D2, size: 10, annotations: { a: 'b' } }],
  subject: { mediaType: MEDIA_TYPES.ociManifest, digest: D1, size: 100 },
  annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '["x"]' },
};

describe('parseManifest', () => {
  describe('an OCI artifact manifest', () => {
    it('keeps artifactType, config, layers, subject and annotations', () => {
      expect(parseManifest(bytes(IMAGE), MEDIA_TYPES.ociManifest, SITE)).toEqual({
        $case: 'image',
        mediaType: MEDIA_TYPES.ociManifest,
        artifactType: IMAGE.artifactType,
        config: IMAGE.config,
        layers: IMAGE.layers,
        subject: IMAGE.subject,
        annotations: IMAGE.annotations,
      });
    });
  });

  describe('an index with platforms', () => {
    it('parses descriptors and platform', () => {
      const index = {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.dockerManifestList,
        manifests: [
          {
            mediaType: MEDIA_TYPES.dockerManifest,
            digest: D1,
            size: 5,
            platform: { architecture: 'arm64', os: 'linux', variant: 'v8', 'os.version': '1' },
          },
        ],
      };
      expect(parseManifest(bytes(index), `${MEDIA_TYPES.dockerManifestList}; charset=utf-8`, SITE)).toEqual({
        $case: 'index',
        mediaType: MEDIA_TYPES.dockerManifestList,
        manifests: [
          {
            mediaType: MEDIA_TYPES.dockerManifest,
            digest: D1,
            size: 5,
            platform: { architecture: 'arm64', os: 'linux', variant: 'v8', osVersion: '1' },
          },
        ],
      });
    });
  });

  describe('media type from the header only', () => {
    it('uses Content-Type when the document has no mediaType', () => {
      const withoutType = { ...IMAGE, mediaType: undefined };
      expect(parseManifest(bytes(withoutType), MEDIA_TYPES.ociManifest, SITE).$case).toBe('image');
    });
  });

  describe('invalid manifests', () => {
    it.each([
      ['not JSON', Buffer.from('{'), MEDIA_TYPES.ociManifest, 'not JSON'],
      ['an array', bytes([]), MEDIA_TYPES.ociManifest, 'must be a JSON object'],
      [
        'no media type anywhere',
        bytes({ ...IMAGE, mediaType: undefined }),
        'application/json',
        'no manifest media type',
      ],
      ['header contradicting document', bytes(IMAGE), MEDIA_TYPES.ociIndex, 'contradicts Content-Type'],
      ['schema 1', bytes({ ...IMAGE, schemaVersion: 1 }), MEDIA_TYPES.ociManifest, 'schemaVersion must be 2'],
      [
        'unknown media type',
        bytes({ ...IMAGE, mediaType: 'text/plain' }),
        undefined,
        'not an OCI or Docker v2',
      ],
      ['missing config', bytes({ ...IMAGE, config: undefined }), undefined, 'config must be an object'],
      [
        'bad layer digest',
        bytes({ ...IMAGE, layers: [{ ...IMAGE.layers[0], digest: 'sha256:abc' }] }),
        undefined,
        'layers[0].digest',
      ],
      [
        'negative size',
        bytes({ ...IMAGE, layers: [{ ...IMAGE.layers[0], size: -1 }] }),
        undefined,
        'layers[0].size',
      ],
      [
        'fractional size',
        bytes({ ...IMAGE, config: { ...IMAGE.config, size: 1.5 } }),
        undefined,
        'config.size',
      ],
      ['non-string annotation', bytes({ ...IMAGE, annotations: { a: 1 } }), undefined, 'annotations["a"]'],
      [
        'index without manifests',
        bytes({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex }),
        undefined,
        'manifests must be an array',
      ],
      [
        'platform without os',
        bytes({
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.ociIndex,
          manifests: [{ mediaType: 'x', digest: D1, size: 1, platform: { architecture: 'amd64' } }],
        }),
        undefined,
        'manifests[0].platform.os',
      ],
    ])('%s', (_name, body, contentType, reason) => {
      const error = protocolError(() => parseManifest(body, contentType, SITE));
      expect(error.code).toBe('REGISTRY_PROTOCOL');
      expect(error.reason).toContain(reason);
      expect(error.details).toMatchObject({ host: 'r.example' });
    });
  });
});

describe('toMediaType', () => {
  describe('header values', () => {
    it.each([
      ['application/vnd.oci.image.index.v1+json; charset=utf-8', 'application/vnd.oci.image.index.v1+json'],
      ['Application/JSON', 'application/json'],
      [undefined, undefined],
      ['', undefined],
    ])('%j → %j', (header, expected) => {
      expect(toMediaType(header)).toBe(expected);
    });
  });
});
