import { constants, createHash, generateKeyPairSync, sign } from 'node:crypto';

import { verifyPrehashedSignature } from './prehashed-signature.js';

const message = Buffer.from('signet');

describe('verifyPrehashedSignature', () => {
  describe('ECDSA over a bare digest', () => {
    it.each([
      ['P-256', 'sha256'],
      ['P-384', 'sha384'],
      ['P-521', 'sha512'],
    ] as const)('%s with %s: accepts the signature and refuses another digest', (namedCurve, hash) => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve });
      const signature = sign(hash, message, privateKey);
      const digest = createHash(hash).update(message).digest();
      expect(verifyPrehashedSignature(publicKey, hash, digest, signature)).toBe(true);
      expect(
        verifyPrehashedSignature(publicKey, hash, createHash(hash).update('other').digest(), signature),
      ).toBe(false);
      expect(verifyPrehashedSignature(publicKey, hash, digest, Buffer.from('not DER'))).toBe(false);
    });
  });

  describe('RSA PKCS#1 v1.5 over a bare digest', () => {
    it('accepts the signature, refuses another digest or algorithm', () => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const signature = sign('sha256', message, { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
      const digest = createHash('sha256').update(message).digest();
      expect(verifyPrehashedSignature(publicKey, 'sha256', digest, signature)).toBe(true);
      expect(
        verifyPrehashedSignature(publicKey, 'sha256', createHash('sha256').update('x').digest(), signature),
      ).toBe(false);
      expect(
        verifyPrehashedSignature(
          publicKey,
          'sha512',
          createHash('sha512').update(message).digest(),
          signature,
        ),
      ).toBe(false);
    });
  });

  describe('keys that cannot sign a bare digest', () => {
    it('answers undefined for Ed25519', () => {
      const { publicKey } = generateKeyPairSync('ed25519');
      expect(
        verifyPrehashedSignature(publicKey, 'sha256', Buffer.alloc(32), Buffer.alloc(64)),
      ).toBeUndefined();
    });
  });
});
