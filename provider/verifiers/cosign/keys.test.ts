import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignetError } from '../../errors.js';
import {
  parseCosignPublicKeyDer,
  readCosignPublicKeyFile,
  toCosignPublicKey,
  verifyCosignSignature,
} from './keys.js';

const PAYLOAD = Buffer.from('{"critical":{}}');

interface Case {
  readonly name: string;
  readonly keys: () => { publicKey: KeyObject; privateKey: KeyObject };
  readonly sign: (privateKey: KeyObject, data: Buffer) => Buffer;
  readonly description: string;
}

const sha256Der = (privateKey: KeyObject, data: Buffer) =>
  sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });

const CASES: readonly Case[] = [
  {
    name: 'ECDSA P-256',
    keys: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    sign: sha256Der,
    description: 'ECDSA P-256',
  },
  {
    name: 'ECDSA P-384 (SHA-256, as cosign)',
    keys: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
    sign: sha256Der,
    description: 'ECDSA P-384',
  },
  {
    name: 'ECDSA P-521 (SHA-256, as cosign)',
    keys: () => generateKeyPairSync('ec', { namedCurve: 'P-521' }),
    sign: sha256Der,
    description: 'ECDSA P-521',
  },
  {
    name: 'RSA PKCS#1 v1.5',
    keys: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
    sign: (key, data) => sign('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }),
    description: 'RSA 2048',
  },
  {
    name: 'RSA PSS',
    keys: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
    sign: (key, data) =>
      sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
    description: 'RSA 2048',
  },
  {
    name: 'Ed25519',
    keys: () => generateKeyPairSync('ed25519'),
    sign: (key, data) => sign(null, data, key),
    description: 'Ed25519',
  },
];

function configReason(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SignetError && error.code === 'CONFIG_INVALID') return error.reason;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

async function configReasonOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (error instanceof SignetError && error.code === 'CONFIG_INVALID') return error.reason;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('verifyCosignSignature', () => {
  describe.each(CASES)('$name', ({ keys, sign: signWith, description }) => {
    const pair = keys();
    const other = keys();
    const key = toCosignPublicKey('test', pair.publicKey);
    const signature = signWith(pair.privateKey, PAYLOAD);

    it('names the key', () => {
      expect(key.description).toBe(description);
    });

    it('accepts the signature over the payload', () => {
      expect(verifyCosignSignature(key, PAYLOAD, signature)).toBe(true);
    });

    it('rejects a tampered payload, another key and garbage', () => {
      expect(verifyCosignSignature(key, Buffer.from('{"critical":{ }}'), signature)).toBe(false);
      expect(verifyCosignSignature(toCosignPublicKey('other', other.publicKey), PAYLOAD, signature)).toBe(
        false,
      );
      expect(verifyCosignSignature(key, PAYLOAD, Buffer.from('not a signature'))).toBe(false);
      expect(verifyCosignSignature(key, PAYLOAD, new Uint8Array())).toBe(false);
    });
  });
});

describe('toCosignPublicKey', () => {
  describe('unsupported keys', () => {
    it.each([
      [
        'secp256k1',
        () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
        /ECDSA curve secp256k1 is not supported/,
      ],
      [
        'RSA 1024',
        () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey,
        /RSA keys must have 2048 to 8192 bits, this one has 1024/,
      ],
      ['X25519', () => generateKeyPairSync('x25519').publicKey, /key type x25519 is not supported/],
    ])('rejects %s as CONFIG_INVALID', (_name, make, reason) => {
      expect(configReason(() => toCosignPublicKey('test', make()))).toMatch(reason);
    });
  });
});

describe('parseCosignPublicKeyDer', () => {
  describe('key provider material', () => {
    it('reads a SubjectPublicKeyInfo and rejects other bytes', () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const der = publicKey.export({ format: 'der', type: 'spki' });
      expect(parseCosignPublicKeyDer('kmp#0', der).source).toBe('kmp#0');
      expect(configReason(() => parseCosignPublicKeyDer('kmp#0', Buffer.from('junk')))).toMatch(
        /^cosign key kmp#0: not a public key/,
      );
    });
  });
});

describe('readCosignPublicKeyFile', () => {
  describe('files as cosign writes them', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'signet-cosign-keys-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a PEM PUBLIC KEY', async () => {
      const path = join(dir, 'cosign.pub');
      writeFileSync(
        path,
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }),
      );
      expect(await readCosignPublicKeyFile(path)).toMatchObject({
        source: `file:${path}`,
        algorithm: 'ecdsa',
      });
    });

    it('rejects a missing file, a private key and an oversized file', async () => {
      expect(await configReasonOf(() => readCosignPublicKeyFile(join(dir, 'absent.pub')))).toMatch(
        /cannot be read/,
      );
      const privatePath = join(dir, 'cosign.key');
      writeFileSync(
        privatePath,
        generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }),
      );
      expect(await configReasonOf(() => readCosignPublicKeyFile(privatePath))).toMatch(
        /is not a PEM "PUBLIC KEY"/,
      );
      const bigPath = join(dir, 'big.pub');
      writeFileSync(bigPath, Buffer.alloc(70 * 1024, 0x41));
      expect(await configReasonOf(() => readCosignPublicKeyFile(bigPath))).toMatch(/more than 65536/);
    });
  });
});
