import { SignetError } from '../../errors.js';
import { isJsonObject, parseUntrustedJson } from './untrusted-json.js';

/** Media type of a cosign `.sig` layer: the simple-signing payload the signature covers. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** `critical.type` values accepted: cosign's, and the containers/image (kritis) one. */
export const SIMPLE_SIGNING_TYPES: readonly string[] = [
  'cosign container image signature',
  'atomic container signature',
];
/** A simple-signing payload is a few hundred bytes; anything this large is not one. */
export const MAX_SIMPLE_SIGNING_PAYLOAD_BYTES = 256 * 1024;

export interface SimpleSigningPayload {
  readonly type: string;
  readonly dockerManifestDigest: string;
  readonly dockerReference: string | undefined;
  /** `optional` as written (cosign's `-a key=value` annotations), or undefined when absent or null. */
  readonly optional: Readonly<Record<string, unknown>> | undefined;
}

export interface SimpleSigningExpectations {
  /** The subject's digest, which `critical.image.docker-manifest-digest` must name. */
  readonly subjectDigest: string;
  /** When set, `critical.identity.docker-reference` must equal it (`index.docker.io` and `docker.io` are one). */
  readonly dockerReference?: string;
}

function invalid(reason: string): SignetError {
  return new SignetError('SIGNATURE_INVALID', { stage: 'verify', reason });
}

function field(record: Record<string, unknown>, name: string, path: string): Record<string, unknown> {
  const value = record[name];
  if (!isJsonObject(value)) throw invalid(`simple-signing payload has no "${path}" object`);
  return value;
}

function stringField(record: Record<string, unknown>, name: string, path: string): string {
  const value = record[name];
  if (typeof value !== 'string') throw invalid(`simple-signing payload has no "${path}" string`);
  return value;
}

/** The simple-signing payload of a cosign signature layer (untrusted bytes → typed value or SIGNATURE_INVALID). */
export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload {
  if (bytes.byteLength > MAX_SIMPLE_SIGNING_PAYLOAD_BYTES) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      reason: `simple-signing payload of ${bytes.byteLength} bytes exceeds ${MAX_SIMPLE_SIGNING_PAYLOAD_BYTES} bytes`,
      details: { limit: 'simpleSigningPayloadBytes', value: MAX_SIMPLE_SIGNING_PAYLOAD_BYTES },
    });
  }
  const document = parseUntrustedJson(bytes, 'simple-signing payload');
  if (!isJsonObject(document)) throw invalid('simple-signing payload is not a JSON object');
  const critical = field(document, 'critical', 'critical');
  const image = field(critical, 'image', 'critical.image');
  const identity = critical.identity;
  if (identity !== undefined && identity !== null && !isJsonObject(identity)) {
    throw invalid('simple-signing payload "critical.identity" is not an object');
  }
  const dockerReference = isJsonObject(identity) ? identity['docker-reference'] : undefined;
  if (dockerReference !== undefined && typeof dockerReference !== 'string') {
    throw invalid('simple-signing payload "critical.identity.docker-reference" is not a string');
  }
  const optional = document.optional;
  if (optional !== undefined && optional !== null && !isJsonObject(optional)) {
    throw invalid('simple-signing payload "optional" is not an object');
  }
  return {
    type: stringField(critical, 'type', 'critical.type'),
    dockerManifestDigest: stringField(
      image,
      'docker-manifest-digest',
      'critical.image.docker-manifest-digest',
    ),
    dockerReference,
    optional: isJsonObject(optional) ? optional : undefined,
  };
}

/** Docker Hub's two spellings (go-containerregistry writes `index.docker.io/…`) name one registry. */
function toComparableReference(reference: string): string {
  return reference.startsWith('index.docker.io/')
    ? `docker.io/${reference.slice('index.docker.io/'.length)}`
    : reference;
}

/** Checks that a verified payload is about the subject: its type, digest and (when asked) reference. */
export function verifySimpleSigningPayload(
  payload: SimpleSigningPayload,
  expected: SimpleSigningExpectations,
): void {
  if (!SIMPLE_SIGNING_TYPES.includes(payload.type)) {
    throw invalid(
      `simple-signing payload has type ${JSON.stringify(payload.type)}, expected one of ${SIMPLE_SIGNING_TYPES.map((t) => JSON.stringify(t)).join(', ')}`,
    );
  }
  if (payload.dockerManifestDigest !== expected.subjectDigest) {
    throw invalid(
      `simple-signing payload names digest ${payload.dockerManifestDigest}, not the subject's ${expected.subjectDigest}`,
    );
  }
  if (
    expected.dockerReference !== undefined &&
    toComparableReference(payload.dockerReference ?? '') !== toComparableReference(expected.dockerReference)
  ) {
    throw invalid(
      `simple-signing payload names reference ${JSON.stringify(payload.dockerReference ?? '')}, expected ${JSON.stringify(expected.dockerReference)}`,
    );
  }
}
