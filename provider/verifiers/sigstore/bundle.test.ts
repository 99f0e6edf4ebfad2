import { SignetError } from '../../errors.js';
import { toDigestArtifact } from './artifact.js';
import { MAX_SIGSTORE_BUNDLE_BYTES, parseSigstoreBundle } from './bundle.js';

function failure(action: () => unknown): string {
  try {
    action();
    return 'ok';
  } catch (error) {
    if (error instanceof SignetError) return `${error.code}: ${error.reason}`;
    throw error;
  }
}

describe('sigstore bundle parsing', () => {
  describe('parseSigstoreBundle', () => {
    it('refuses an oversized bundle before parsing it', () => {
      expect(failure(() => parseSigstoreBundle(Buffer.alloc(MAX_SIGSTORE_BUNDLE_BYTES + 1, 0x20)))).toMatch(
        /^LIMIT_EXCEEDED: bundle: /,
      );
    });

    it.each([
      ['not JSON', '{'],
      ['not a bundle', '{"mediaType":"application/json"}'],
      ['an unknown bundle version', '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.9+json"}'],
    ])('refuses %s as a malformed bundle', (_name, json) => {
      expect(failure(() => parseSigstoreBundle(json, 'registry.example/app@sha256:1'))).toMatch(
        /^SIGNATURE_INVALID: bundle: /,
      );
    });
  });

  describe('toDigestArtifact', () => {
    it('reads sha256, sha384 and sha512 digests', () => {
      expect(toDigestArtifact(`sha256:${'a'.repeat(64)}`)).toMatchObject({
        $case: 'digest',
        algorithm: 'sha256',
      });
      expect(toDigestArtifact(`sha512:${'b'.repeat(128)}`)).toMatchObject({
        $case: 'digest',
        algorithm: 'sha512',
      });
    });

    it.each(['sha256:abc', `md5:${'a'.repeat(32)}`, `sha256:${'A'.repeat(64)}`])('refuses %s', (digest) => {
      expect(failure(() => toDigestArtifact(digest))).toMatch(/^SIGNATURE_INVALID: artifact: invalid digest/);
    });
  });
});
