import { generateKeyPairSync, sign } from 'node:crypto';
import { findDsseSigner, parseDsseEnvelope, toDsseEnvelope } from './dsse.js';
import { toCosignPublicKey } from './keys.js';
import { reasonOf } from '../../../test/fixtures/cosign-artifacts.js';

const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const PAYLOAD = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** DSSE's pre-authentication encoding, written out here so the test does not reuse the code under test. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${body.length} `), body]);
}

function envelopeJson(
  sig = sign('sha256', pae(PAYLOAD_TYPE, PAYLOAD), signer.privateKey).toString('base64'),
) {
  return { payloadType: PAYLOAD_TYPE, payload: PAYLOAD.toString('base64'), signatures: [{ keyid: '', sig }] };
}

describe('DSSE envelopes', () => {
  describe('a well-formed envelope', () => {
    it('parses and names the key whose signature covers the PAE', () => {
      const envelope = parseDsseEnvelope(Buffer.from(JSON.stringify(envelopeJson())));
      expect(envelope.payloadType).toBe(PAYLOAD_TYPE);
      expect(Buffer.from(envelope.payload)).toEqual(PAYLOAD);
      const keys = [
        toCosignPublicKey('other', other.publicKey),
        toCosignPublicKey('signer', signer.publicKey),
      ];
      expect(findDsseSigner(envelope, keys, 'sha256')?.source).toBe('signer');
    });

    it('finds no signer among keys that did not sign, or under another hash', () => {
      const envelope = toDsseEnvelope(envelopeJson());
      expect(
        findDsseSigner(envelope, [toCosignPublicKey('other', other.publicKey)], 'sha256'),
      ).toBeUndefined();
      expect(
        findDsseSigner(envelope, [toCosignPublicKey('signer', signer.publicKey)], 'sha384'),
      ).toBeUndefined();
    });

    it('finds no signer when the signature covers the bare payload instead of the PAE', () => {
      const envelope = toDsseEnvelope(
        envelopeJson(sign('sha256', PAYLOAD, signer.privateKey).toString('base64')),
      );
      expect(
        findDsseSigner(envelope, [toCosignPublicKey('signer', signer.publicKey)], 'sha256'),
      ).toBeUndefined();
    });
  });

  describe('malformed envelopes', () => {
    it.each([
      ['not JSON', Buffer.from('{'), /SIGNATURE_INVALID: DSSE envelope is not UTF-8 JSON/],
      ['an array', Buffer.from('[]'), /DSSE envelope is not a JSON object/],
      [
        'no payloadType',
        Buffer.from(JSON.stringify({ ...envelopeJson(), payloadType: 1 })),
        /no payloadType/,
      ],
      [
        'no signatures',
        Buffer.from(JSON.stringify({ ...envelopeJson(), signatures: [] })),
        /has no signatures/,
      ],
      [
        'corrupt base64 signature',
        Buffer.from(JSON.stringify(envelopeJson('!AAAA'))),
        /DSSE envelope signature is not valid base64/,
      ],
      [
        'too many signatures',
        Buffer.from(JSON.stringify({ ...envelopeJson(), signatures: Array(17).fill({ sig: 'AAAA' }) })),
        /LIMIT_EXCEEDED: DSSE envelope has 17 signatures/,
      ],
    ])('%s is refused with a coded error', (_name, bytes, reason) => {
      expect(reasonOf(() => parseDsseEnvelope(bytes))).toMatch(reason);
    });
  });
});
