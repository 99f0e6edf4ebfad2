import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SignetError } from '../../errors.js';
import {
  MAX_TRUSTED_ROOT_BYTES,
  parseSigstoreTrustedRoot,
  readSigstoreTrustedRootFile,
} from './trusted-root.js';

const MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';
// A P-256 SPKI (any valid key will do: the root is only parsed here).
const KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExRRST79+PsrRBnGAI4cMu6Omz2JhfwlMW+gIutNKVRaMyS4rQKvgngc5p8UbLj55pVHhIoAxi/SRgURZI0J3Xw==';

function rootWithTlog(validFor: Record<string, string>): Buffer {
  return Buffer.from(
    JSON.stringify({
      mediaType: MEDIA_TYPE,
      tlogs: [
        {
          baseUrl: 'http://127.0.0.1',
          hashAlgorithm: 'SHA2_256',
          publicKey: { rawBytes: KEY, keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor },
          logId: { keyId: 'AAAA' },
        },
      ],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    }),
  );
}

function codeOf(action: () => unknown): string {
  try {
    action();
    return 'ok';
  } catch (error) {
    if (error instanceof SignetError) return `${error.code}: ${error.reason}`;
    throw error;
  }
}

describe('sigstore trusted root', () => {
  describe('parseSigstoreTrustedRoot', () => {
    it('builds trust material from a root with bounded validity', () => {
      const trust = parseSigstoreTrustedRoot(rootWithTlog({ start: '2024-01-01T00:00:00Z' }), 'test');
      expect(trust.material.tlogs).toHaveLength(1);
      expect(trust.source).toBe('test');
    });

    it('refuses a log key without validFor.start instead of trusting it since the epoch', () => {
      expect(codeOf(() => parseSigstoreTrustedRoot(rootWithTlog({ end: '2030-01-01T00:00:00Z' })))).toBe(
        'CONFIG_INVALID: Sigstore trusted root inline: tlogs[0] has no validFor.start',
      );
    });

    it('refuses invalid JSON, a wrong media type and an empty root', () => {
      expect(codeOf(() => parseSigstoreTrustedRoot(Buffer.from('{')))).toMatch(
        /^CONFIG_INVALID: .*not valid JSON/,
      );
      expect(codeOf(() => parseSigstoreTrustedRoot(Buffer.from('{"mediaType":"x"}')))).toMatch(
        /unexpected mediaType/,
      );
      expect(codeOf(() => parseSigstoreTrustedRoot(Buffer.from(`{"mediaType":"${MEDIA_TYPE}"}`)))).toMatch(
        /no certificate authority and no transparency log/,
      );
    });

    it('refuses an oversized root before parsing it', () => {
      expect(codeOf(() => parseSigstoreTrustedRoot(Buffer.alloc(MAX_TRUSTED_ROOT_BYTES + 1, 0x20)))).toMatch(
        /larger than/,
      );
    });
  });

  describe('readSigstoreTrustedRootFile', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'signet-trusted-root-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads a file and names it in errors', async () => {
      const path = join(dir, 'trusted_root.json');
      await writeFile(path, rootWithTlog({ start: '2024-01-01T00:00:00Z' }));
      expect(await readSigstoreTrustedRootFile(path)).toMatchObject({ source: path });
      let failure: unknown;
      try {
        await readSigstoreTrustedRootFile(join(dir, 'missing.json'));
      } catch (error) {
        failure = error;
      }
      expect(failure).toMatchObject({
        code: 'CONFIG_INVALID',
        details: { source: join(dir, 'missing.json') },
      });
    });
  });
});
