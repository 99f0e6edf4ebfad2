import { parsePemCertificates, parsePemPublicKey, MAX_PEM_CERTIFICATES } from './pem.js';

function block(label: string, base64 = 'AAAA'): string {
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

describe('parsePemCertificates', () => {
  describe('malformed input', () => {
    it.each([
      [
        'mismatched labels',
        '-----BEGIN CERTIFICATE-----\nAAAA\n-----END PUBLIC KEY-----',
        'PEM block 1 begins with "CERTIFICATE" but ends with "PUBLIC KEY"',
      ],
      ['a private key block', block('PRIVATE KEY'), 'PEM block 1 is "PRIVATE KEY", expected "CERTIFICATE"'],
      [
        'base64 without padding',
        block('CERTIFICATE', 'AAA'),
        'PEM block 1 (CERTIFICATE) is not valid base64',
      ],
      [
        'PEM headers',
        block('CERTIFICATE', 'Proc-Type: 4,ENCRYPTED\nAAAA'),
        'PEM block 1 (CERTIFICATE) is not valid base64',
      ],
      [
        'too many blocks',
        block('CERTIFICATE').repeat(MAX_PEM_CERTIFICATES + 1),
        `contains ${MAX_PEM_CERTIFICATES + 1} PEM blocks, at most ${MAX_PEM_CERTIFICATES} are allowed`,
      ],
    ])('rejects %s', (_, text, message) => {
      expect(parsePemCertificates(text)).toEqual({ ok: false, message });
    });
  });
});

describe('parsePemPublicKey', () => {
  describe('malformed input', () => {
    it.each([
      ['no block', 'ssh-ed25519 AAAA', 'contains no PEM "PUBLIC KEY" block'],
      [
        'two keys',
        block('PUBLIC KEY') + block('PUBLIC KEY'),
        'contains 2 PEM blocks, expected exactly one public key',
      ],
      [
        'an RSA PKCS#1 key',
        block('RSA PUBLIC KEY'),
        'PEM block 1 is "RSA PUBLIC KEY", expected "PUBLIC KEY"',
      ],
    ])('rejects %s', (_, text, message) => {
      expect(parsePemPublicKey(text)).toEqual({ ok: false, message });
    });

    it('rejects bytes that are not a SubjectPublicKeyInfo', () => {
      const result = parsePemPublicKey(block('PUBLIC KEY', Buffer.from('garbage!').toString('base64')));
      expect(result.ok).toBe(false);
      expect(!result.ok && result.message).toMatch(/^is not a valid public key: /);
    });
  });
});
