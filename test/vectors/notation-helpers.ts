/**
 * Shared readers for the Notary Project vectors in test/vectors/data: files, trust stores laid out
 * as notation lays them out, trust policies, and OCI image layouts read straight from disk.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parseTrustStores, type TrustStores, type TrustStoreType } from '../../provider/trust/index.js';
import type { SubjectDescriptor } from '../../provider/verifiers/notation/index.js';

export const VECTORS_ROOT = fileURLToPath(new URL('./data/', import.meta.url));

export function vectorPath(...parts: string[]): string {
  return join(VECTORS_ROOT, ...parts);
}

export function readVector(...parts: string[]): Buffer {
  return readFileSync(vectorPath(...parts));
}

export function readVectorJson(...parts: string[]): unknown {
  return JSON.parse(readVector(...parts).toString('utf8'));
}

/**
 * Trust stores from vector files: `{ 'ca:e2e': ['notation-e2e/.../e2e.crt'] }`. A path that is a
 * directory contributes its regular files, as a notation named store directory does (notation
 * ignores sub-directories).
 */
export function trustStoresFrom(layout: Readonly<Record<string, readonly string[]>>): TrustStores {
  return parseTrustStores(
    Object.entries(layout).map(([key, paths]) => {
      const [type, name] = key.split(':') as [TrustStoreType, string];
      const files = paths.flatMap((path) => {
        const full = vectorPath(path);
        const entries = statSync(full).isDirectory()
          ? readdirSync(full, { withFileTypes: true })
              .filter((entry) => entry.isFile())
              .map((entry) => join(full, entry.name))
          : [full];
        return entries.map((file) => ({ name: basename(file), bytes: readFileSync(file) }));
      });
      return { type, name, files };
    }),
  );
}

export interface LayoutSignature {
  readonly manifestDigest: string;
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

export interface NotationLayout {
  readonly image: SubjectDescriptor;
  readonly signatures: readonly LayoutSignature[];
  /** Signature manifests the referrers tag-schema index (`sha256-<hex>`) lists. */
  readonly tagSchemaDigests: readonly string[];
}

interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
}

/**
 * Reads an OCI layout as a registry client would: index.json → the `v1` image → every signature
 * manifest whose `subject` is that image (config media type or artifactType
 * `application/vnd.cncf.notary.signature`) → its single envelope layer. Blob digests are checked.
 */
export function readNotationLayout(layoutDirectory: string): NotationLayout {
  const blob = (digest: string): Buffer => {
    const bytes = readFileSync(join(layoutDirectory, 'blobs', ...digest.split(':')));
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (actual !== digest) throw new Error(`blob ${digest} has digest ${actual}`);
    return bytes;
  };
  const index = JSON.parse(readFileSync(join(layoutDirectory, 'index.json'), 'utf8')) as {
    manifests: Descriptor[];
  };
  const tagged = index.manifests.find(
    (entry) => entry.annotations?.['org.opencontainers.image.ref.name'] === 'v1',
  );
  if (tagged === undefined) throw new Error(`${layoutDirectory}: no v1 tag`);
  const image: SubjectDescriptor = { digest: tagged.digest, size: tagged.size, mediaType: tagged.mediaType };

  const signatures: LayoutSignature[] = [];
  let tagSchemaDigests: string[] = [];
  for (const entry of index.manifests) {
    const manifest = JSON.parse(blob(entry.digest).toString('utf8')) as {
      artifactType?: string;
      config?: Descriptor;
      layers?: Descriptor[];
      manifests?: Descriptor[];
      subject?: Descriptor;
    };
    if (
      entry.annotations?.['org.opencontainers.image.ref.name'] ===
      `sha256-${image.digest.slice('sha256:'.length)}`
    ) {
      tagSchemaDigests = (manifest.manifests ?? []).map((listed) => listed.digest);
      continue;
    }
    const artifactType = manifest.artifactType ?? manifest.config?.mediaType;
    if (manifest.subject?.digest !== image.digest || artifactType !== 'application/vnd.cncf.notary.signature')
      continue;
    const layer = manifest.layers?.[0];
    if (layer === undefined || manifest.layers?.length !== 1)
      throw new Error(`${entry.digest}: a signature manifest needs exactly one layer`);
    signatures.push({ manifestDigest: entry.digest, mediaType: layer.mediaType, bytes: blob(layer.digest) });
  }
  return { image, signatures, tagSchemaDigests };
}
