import { parseCosignBundle, toKeyedEnvelope } from './bundle.js';
import { reasonOf } from '../../../test/fixtures/cosign-artifacts.js';

const ENVELOPE = {
  payload: Buffer.from('{}').toString('base64'),
  payloadType: 'application/vnd.in-toto+json',
  signatures: [{ sig: Buffer.from('signature').toString('base64'), keyid: '' }],
};

function bundle(fields: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'aGludA==' }, tlogEntries: [] },
      dsseEnvelope: ENVELOPE,
      ...fields,
    }),
  );
}

describe('parseCosignBundle', () => {
  describe('a key-signed v0.3 bundle with a DSSE envelope (cosign v3)', () => {
    it('yields the bundle and its envelope, read strictly from the JSON', () => {
      const parsed = parseCosignBundle(bundle());
      expect(parsed.bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
      expect(parsed.hasCertificate).toBe(false);
      expect(Buffer.from(toKeyedEnvelope(parsed).signatures[0]!).toString()).toBe('signature');
    });
  });

  describe('bundles that must be refused', () => {
    it.each([
      ['not JSON', Buffer.from('{'), /^SIGNATURE_INVALID: bundle: malformed Sigstore bundle/],
      [
        'an unknown media type',
        bundle({ mediaType: 'application/json' }),
        /malformed Sigstore bundle|unsupported bundle media type/,
      ],
      ['no verification material', bundle({ verificationMaterial: undefined }), /malformed Sigstore bundle/],
      [
        'a message signature',
        bundle({
          dsseEnvelope: undefined,
          messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: 'AAAA' }, signature: 'AAAA' },
        }),
        /holds a message signature/,
      ],
      [
        'a corrupt base64 signature (which protobuf decoding would skip over)',
        bundle({
          dsseEnvelope: { ...ENVELOPE, signatures: [{ sig: `!${ENVELOPE.signatures[0]!.sig}`, keyid: '' }] },
        }),
        /DSSE envelope signature is not valid base64/,
      ],
    ])('%s', (_name, bytes, reason) => {
      expect(reasonOf(() => toKeyedEnvelope(parseCosignBundle(bytes)))).toMatch(reason);
    });
  });
});
