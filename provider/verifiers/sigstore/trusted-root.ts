import { open } from 'node:fs/promises';

import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, VerificationError } from '@sigstore/verify';

import { SignetError } from '../../errors.js';
import type { SigstoreTrustMaterial } from './sigstore.types.js';

/** A trusted root lists a handful of CAs and logs (the public-good one is ~15 KiB). */
export const MAX_TRUSTED_ROOT_BYTES = 1024 * 1024;

const MEDIA_TYPE_PREFIX = 'application/vnd.dev.sigstore.trustedroot';

function invalidRoot(source: string, reason: string, cause?: unknown): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason: `Sigstore trusted root ${source}: ${reason}`,
    remediation:
      'Provide a trusted_root.json in the Sigstore TrustedRoot format (e.g. from `cosign trusted-root create`).',
    details: { source },
    cause,
  });
}

interface Validity {
  readonly validFor?: { readonly start?: Date } | undefined;
}

/**
 * The spec makes every validity start REQUIRED; a missing one must not widen an authority to "since the
 * epoch" (sigstore-conformance `trust-root-tlog-missing-validity-start`), so the whole root is refused.
 */
function requireValidityStarts(root: TrustedRoot, source: string): void {
  const groups: ReadonlyArray<readonly [string, readonly Validity[]]> = [
    ['tlogs', root.tlogs.map((log) => ({ validFor: log.publicKey?.validFor }))],
    ['ctlogs', root.ctlogs.map((log) => ({ validFor: log.publicKey?.validFor }))],
    ['certificateAuthorities', root.certificateAuthorities],
    ['timestampAuthorities', root.timestampAuthorities],
  ];
  for (const [name, entries] of groups) {
    const index = entries.findIndex((entry) => entry.validFor?.start === undefined);
    if (index >= 0) throw invalidRoot(source, `${name}[${index}] has no validFor.start`);
  }
}

/** Parses a `trusted_root.json` (custom or public-good, offline) into trust material. */
export function parseSigstoreTrustedRoot(bytes: Uint8Array, source = 'inline'): SigstoreTrustMaterial {
  if (bytes.length > MAX_TRUSTED_ROOT_BYTES) {
    throw invalidRoot(source, `larger than ${MAX_TRUSTED_ROOT_BYTES} bytes`);
  }
  let root: TrustedRoot;
  try {
    const json: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error('not a JSON object');
    root = TrustedRoot.fromJSON(json);
  } catch (error) {
    throw invalidRoot(
      source,
      `not valid JSON (${error instanceof Error ? error.message : 'parse error'})`,
      error,
    );
  }
  if (!root.mediaType.startsWith(MEDIA_TYPE_PREFIX)) {
    throw invalidRoot(source, `unexpected mediaType ${JSON.stringify(root.mediaType)}`);
  }
  if (root.certificateAuthorities.length === 0 && root.tlogs.length === 0) {
    throw invalidRoot(source, 'lists no certificate authority and no transparency log');
  }
  requireValidityStarts(root, source);
  try {
    // Keys for key-signed bundles come from the policy, never from the bundle's hint.
    const material = toTrustMaterial(root, (hint) => {
      throw new VerificationError({
        code: 'PUBLIC_KEY_ERROR',
        message: `no configured key for hint ${hint}`,
      });
    });
    return { material, source };
  } catch (error) {
    throw invalidRoot(
      source,
      `unusable key or certificate (${error instanceof Error ? error.message : 'unknown'})`,
      error,
    );
  }
}

/**
 * Reads and parses a trusted root file, refusing files above the size bound before buffering them. It runs once
 * per configuration snapshot, when verifiers are built (off the request path).
 */
export async function readSigstoreTrustedRootFile(path: string): Promise<SigstoreTrustMaterial> {
  let bytes: Uint8Array;
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      if (size > MAX_TRUSTED_ROOT_BYTES)
        throw invalidRoot(path, `larger than ${MAX_TRUSTED_ROOT_BYTES} bytes`);
      bytes = await file.readFile();
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof SignetError) throw error;
    throw invalidRoot(path, `cannot be read (${error instanceof Error ? error.message : 'unknown'})`, error);
  }
  return parseSigstoreTrustedRoot(bytes, path);
}
