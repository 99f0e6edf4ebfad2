import { checkDigest } from '../reference/index.js';
import { IMAGE_MANIFEST_MEDIA_TYPES, INDEX_MEDIA_TYPES } from './media-types.js';
import { toProtocolError } from './registry-error.js';
import type { RequestSite } from './registry-error.js';
import type { Descriptor, Manifest, Platform } from './registry.types.js';

type JsonObject = Readonly<Record<string, unknown>>;

/** Thrown inside parsing with the JSON path, turned into REGISTRY_PROTOCOL at the boundary. */
class ShapeError extends Error {}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireObject(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new ShapeError(`${path} must be an object`);
  return value;
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') throw new ShapeError(`${path} must be a non-empty string`);
  return value;
}

function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : requireString(value, path);
}

function optionalStringMap(value: unknown, path: string): Readonly<Record<string, string>> | undefined {
  if (value === undefined || value === null) return undefined;
  const object = requireObject(value, path);
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(object)) {
    if (typeof entry !== 'string') throw new ShapeError(`${path}["${key}"] must be a string`);
    result[key] = entry;
  }
  return result;
}

function optionalPlatform(value: unknown, path: string): Platform | undefined {
  if (value === undefined) return undefined;
  const object = requireObject(value, path);
  const variant = optionalString(object['variant'], `${path}.variant`);
  const osVersion = optionalString(object['os.version'], `${path}["os.version"]`);
  return {
    architecture: requireString(object['architecture'], `${path}.architecture`),
    os: requireString(object['os'], `${path}.os`),
    ...(variant === undefined ? {} : { variant }),
    ...(osVersion === undefined ? {} : { osVersion }),
  };
}

export function parseDescriptorValue(value: unknown, path: string): Descriptor {
  const object = requireObject(value, path);
  const digest = requireString(object['digest'], `${path}.digest`);
  const check = checkDigest(digest);
  if (check.$case === 'invalid') throw new ShapeError(`${path}.digest: ${check.problem}`);
  const size = object['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ShapeError(`${path}.size must be a non-negative integer`);
  }
  const artifactType = optionalString(object['artifactType'], `${path}.artifactType`);
  const annotations = optionalStringMap(object['annotations'], `${path}.annotations`);
  const platform = optionalPlatform(object['platform'], `${path}.platform`);
  return {
    mediaType: requireString(object['mediaType'], `${path}.mediaType`),
    digest,
    size,
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(annotations === undefined ? {} : { annotations }),
    ...(platform === undefined ? {} : { platform }),
  };
}

function parseDescriptorList(value: unknown, path: string): Descriptor[] {
  if (!Array.isArray(value)) throw new ShapeError(`${path} must be an array`);
  return value.map((entry, index) => parseDescriptorValue(entry, `${path}[${index}]`));
}

/** The media type from the `Content-Type` header, without parameters. */
export function toMediaType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === undefined || type === '' ? undefined : type;
}

/**
 * Decides the media type: the document's own `mediaType` wins, and must agree with the header
 * when both name a manifest type (a mismatch is how index/manifest confusion attacks start).
 */
function resolveMediaType(document: JsonObject, headerType: string | undefined): string {
  const declared = optionalString(document['mediaType'], 'mediaType');
  const headerIsManifestType =
    headerType !== undefined &&
    (IMAGE_MANIFEST_MEDIA_TYPES.includes(headerType) || INDEX_MEDIA_TYPES.includes(headerType));
  if (declared !== undefined) {
    if (headerIsManifestType && headerType !== declared) {
      throw new ShapeError(`mediaType "${declared}" contradicts Content-Type "${headerType}"`);
    }
    return declared;
  }
  if (headerIsManifestType) return headerType;
  throw new ShapeError(`no manifest media type (Content-Type "${headerType ?? 'none'}", no mediaType field)`);
}

function parseManifestDocument(document: JsonObject, headerType: string | undefined): Manifest {
  const mediaType = resolveMediaType(document, headerType);
  if (document['schemaVersion'] !== 2) throw new ShapeError('schemaVersion must be 2');
  const artifactType = optionalString(document['artifactType'], 'artifactType');
  const subject =
    document['subject'] === undefined ? undefined : parseDescriptorValue(document['subject'], 'subject');
  const annotations = optionalStringMap(document['annotations'], 'annotations');
  const extras = {
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(subject === undefined ? {} : { subject }),
    ...(annotations === undefined ? {} : { annotations }),
  };
  if (IMAGE_MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    return {
      $case: 'image',
      mediaType,
      config: parseDescriptorValue(document['config'], 'config'),
      layers: document['layers'] === undefined ? [] : parseDescriptorList(document['layers'], 'layers'),
      ...extras,
    };
  }
  if (INDEX_MEDIA_TYPES.includes(mediaType)) {
    return {
      $case: 'index',
      mediaType,
      manifests: parseDescriptorList(document['manifests'], 'manifests'),
      ...extras,
    };
  }
  throw new ShapeError(`media type "${mediaType}" is not an OCI or Docker v2 manifest or index`);
}

/** Parses manifest bytes from a registry; anything malformed is REGISTRY_PROTOCOL naming the field. */
export function parseManifest(
  bytes: Uint8Array,
  contentType: string | undefined,
  site: RequestSite,
): Manifest {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw toProtocolError(site, 'the manifest is not JSON');
  }
  try {
    if (!isObject(document)) throw new ShapeError('the manifest must be a JSON object');
    return parseManifestDocument(document, toMediaType(contentType));
  } catch (error) {
    if (error instanceof ShapeError) throw toProtocolError(site, error.message);
    throw error;
  }
}
