import { SignetError } from '../../errors.js';
import { isJsonObject, parseUntrustedJson } from './untrusted-json.js';

/** The DSSE payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The predicate type cosign v3 signs an image with (a signature, not an attestation). */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
const STATEMENT_TYPES: readonly string[] = [
  'https://in-toto.io/Statement/v0.1',
  'https://in-toto.io/Statement/v1',
];
/** cosign's `--type` short names and the predicate type URIs they stand for (cosign's PredicateTypeMap). */
export const COSIGN_PREDICATE_TYPES: Readonly<Record<string, string>> = {
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
};
/** Top-level predicate keys named in a summary at most, and their length. */
const MAX_SUMMARY_KEYS = 16;
const MAX_SUMMARY_KEY_CHARS = 64;
const MAX_SUBJECTS = 1024;

export interface InTotoSubject {
  readonly name: string | undefined;
  readonly digest: Readonly<Record<string, string>>;
}

export interface InTotoStatement {
  readonly type: string;
  readonly predicateType: string;
  readonly subjects: readonly InTotoSubject[];
  readonly predicate: unknown;
  /** Size of the statement as signed. */
  readonly bytes: number;
}

/** What a report says about an attestation's predicate: enough for a template to judge, bounded in size. */
export interface PredicateSummary {
  readonly predicateType: string;
  readonly statementBytes: number;
  /** The predicate's first top-level keys (at most 16, each cut to 64 characters). */
  readonly predicateKeys: readonly string[];
  readonly predicateKeyCount: number;
}

function invalid(reason: string): SignetError {
  return new SignetError('SIGNATURE_INVALID', { stage: 'verify', reason });
}

/** A predicate type as configured: cosign's short name (`slsaprovenance`) or the URI itself. */
export function toPredicateTypeUri(configured: string): string {
  return COSIGN_PREDICATE_TYPES[configured] ?? configured;
}

function toSubject(value: unknown): InTotoSubject {
  if (!isJsonObject(value) || !isJsonObject(value.digest))
    throw invalid('in-toto statement subject has no digest object');
  const digest: Record<string, string> = {};
  for (const [algorithm, hex] of Object.entries(value.digest)) {
    if (typeof hex !== 'string')
      throw invalid(`in-toto statement subject digest ${algorithm} is not a string`);
    digest[algorithm] = hex;
  }
  return { name: typeof value.name === 'string' ? value.name : undefined, digest };
}

export interface InTotoParseOptions {
  /**
   * The predicate, when present, must be a JSON object, as the in-toto spec says. Sigstore bundles are read
   * this way (cosign v3 rejects its own `--type spdx` attestations, whose predicate is a string); cosign v2
   * accepts any JSON value in a `.att` statement, and so does signet there.
   */
  readonly objectPredicate?: boolean;
}

/** A DSSE payload of type in-toto → statement, or SIGNATURE_INVALID. */
export function parseInTotoStatement(
  payloadType: string,
  payload: Uint8Array,
  options: InTotoParseOptions = {},
): InTotoStatement {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE)
    throw invalid(`DSSE payload type is ${JSON.stringify(payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
  const document = parseUntrustedJson(payload, 'in-toto statement');
  if (!isJsonObject(document)) throw invalid('in-toto statement is not a JSON object');
  const type = document._type;
  if (typeof type !== 'string' || !STATEMENT_TYPES.includes(type))
    throw invalid(
      `in-toto statement _type is ${JSON.stringify(type)}, expected one of ${STATEMENT_TYPES.join(', ')}`,
    );
  const { predicateType, subject } = document;
  if (typeof predicateType !== 'string' || predicateType === '')
    throw invalid('in-toto statement has no predicateType');
  if (!Array.isArray(subject) || subject.length === 0) throw invalid('in-toto statement has no subject');
  if (
    options.objectPredicate === true &&
    document.predicate !== undefined &&
    !isJsonObject(document.predicate)
  )
    throw invalid('in-toto statement predicate is not a JSON object');
  if (subject.length > MAX_SUBJECTS) {
    throw new SignetError('LIMIT_EXCEEDED', {
      stage: 'verify',
      reason: `in-toto statement has ${subject.length} subjects, more than ${MAX_SUBJECTS}`,
      details: { limit: 'inTotoSubjects', value: MAX_SUBJECTS },
    });
  }
  return {
    type,
    predicateType,
    subjects: subject.map(toSubject),
    predicate: document.predicate,
    bytes: payload.byteLength,
  };
}

/** The statement must name the subject's digest (`sha256:<hex>` → `{"sha256": "<hex>"}`). */
export function verifyStatementSubject(statement: InTotoStatement, subjectDigest: string): void {
  const separator = subjectDigest.indexOf(':');
  const algorithm = subjectDigest.slice(0, separator);
  const hex = subjectDigest.slice(separator + 1);
  if (!statement.subjects.some((subject) => subject.digest[algorithm] === hex)) {
    const named = statement.subjects
      .flatMap((subject) => Object.entries(subject.digest).map(([alg, value]) => `${alg}:${value}`))
      .slice(0, 4)
      .join(', ');
    throw invalid(`in-toto statement subjects name ${named}, not the subject's ${subjectDigest}`);
  }
}

export function toPredicateSummary(statement: InTotoStatement): PredicateSummary {
  const keys = isJsonObject(statement.predicate) ? Object.keys(statement.predicate) : [];
  return {
    predicateType: statement.predicateType,
    statementBytes: statement.bytes,
    predicateKeys: keys.slice(0, MAX_SUMMARY_KEYS).map((key) => key.slice(0, MAX_SUMMARY_KEY_CHARS)),
    predicateKeyCount: keys.length,
  };
}
