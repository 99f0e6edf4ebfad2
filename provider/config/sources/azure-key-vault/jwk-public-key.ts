import { createPublicKey, type JsonWebKey as NodeJsonWebKey } from 'node:crypto';
import { PublicKey } from '@peculiar/x509';
import type { JsonWebKey as KeyVaultJsonWebKey } from '@azure/keyvault-keys';
import type { PemResult } from '../../schema/pem.js';

const CURVES: Readonly<Record<string, string>> = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521' };

function base64url(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('base64url');
}

/** A Key Vault key's public half as a JWK Node understands: RSA and NIST EC keys (HSM-backed alike). */
function toNodeJwk(key: KeyVaultJsonWebKey): PemResult<NodeJsonWebKey> {
  const kty = key.kty ?? '';
  if (kty === 'RSA' || kty === 'RSA-HSM') {
    const n = base64url(key.n);
    const e = base64url(key.e);
    if (n === undefined || e === undefined) return { ok: false, message: 'is an RSA key without n or e' };
    return { ok: true, value: { kty: 'RSA', n, e } };
  }
  if (kty === 'EC' || kty === 'EC-HSM') {
    const crv = CURVES[key.crv ?? ''];
    const x = base64url(key.x);
    const y = base64url(key.y);
    if (crv === undefined)
      return {
        ok: false,
        message: `is an EC key on curve ${key.crv ?? '(none)'}, expected P-256, P-384 or P-521`,
      };
    if (x === undefined || y === undefined) return { ok: false, message: 'is an EC key without x or y' };
    return { ok: true, value: { kty: 'EC', crv, x, y } };
  }
  return { ok: false, message: `has key type ${kty || '(none)'}, expected RSA or EC` };
}

/** A Key Vault key (its JWK, as the keys API returns it) → the SubjectPublicKeyInfo an inline key would give. */
export function toPublicKey(key: KeyVaultJsonWebKey): PemResult<PublicKey> {
  const jwk = toNodeJwk(key);
  if (!jwk.ok) return jwk;
  try {
    const der = createPublicKey({ key: jwk.value, format: 'jwk' }).export({ type: 'spki', format: 'der' });
    return { ok: true, value: new PublicKey(new Uint8Array(der)) };
  } catch (error) {
    return {
      ok: false,
      message: `is not a valid public key (${error instanceof Error ? error.message : String(error)})`,
    };
  }
}
