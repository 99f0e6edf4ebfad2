import { parseAllDocuments, stringify } from 'yaml';
import { createSnapshot, parseConfigYaml } from '../../config/index.js';
import { SignetError } from '../../errors.js';
import { toKyvernoConversion } from './convert-policy.js';
import type { ImportDocument, ImportNote, KyvernoConversion } from './kyverno-import.types.js';

/** A Kyverno policy file larger than this is refused before it is parsed. */
export const MAX_KYVERNO_POLICY_BYTES = 4 * 1024 * 1024;
const MAX_DOCUMENTS = 1000;
const MAX_ALIAS_COUNT = 100;

export interface KyvernoImport {
  readonly conversion: KyvernoConversion;
  /** Multi-document YAML for `signet serve --config`, headed by the notes as comments. */
  readonly configYaml: string;
  /** Multi-document YAML of Gatekeeper constraints, headed by the notes as comments. */
  readonly constraintsYaml: string;
}

function invalid(source: string, reason: string): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason: `${source}: ${reason}`,
    details: { source },
  });
}

/** Untrusted YAML text → plain documents (CONFIG_INVALID naming the first YAML error). */
function parseKyvernoYaml(text: string, source: string): unknown[] {
  if (Buffer.byteLength(text) > MAX_KYVERNO_POLICY_BYTES)
    throw invalid(source, `is larger than ${MAX_KYVERNO_POLICY_BYTES} bytes`);
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  if (documents.length > MAX_DOCUMENTS)
    throw invalid(source, `holds more than ${MAX_DOCUMENTS} YAML documents`);
  return documents.map((document, index) => {
    const [error] = document.errors;
    if (error !== undefined)
      throw invalid(source, `document ${index + 1}: ${error.message.split('\n')[0] ?? ''}`);
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
  });
}

/** `[approximated] ClusterPolicy check-image rule check-image verifyImages[0]: mutateDigest …`, one line. */
export function formatImportNote(note: ImportNote): string {
  return `[${note.$case === 'skipped' ? 'not converted' : 'approximated'}] ${note.where}: ${note.message}`;
}

function toYaml(header: string, notes: readonly ImportNote[], documents: readonly ImportDocument[]): string {
  const noteLines =
    notes.length === 0
      ? ['# Everything was converted.']
      : ['# Not converted or approximated:', ...notes.map((note) => `# - ${formatImportNote(note)}`)];
  const body = documents.map((document) => stringify(document, { lineWidth: 0 })).join('---\n');
  return `${[`# ${header}`, ...noteLines].join('\n')}\n${body}`;
}

/**
 * Converts a Kyverno policy file (seed 004's `kyverno-check-image.yaml`) into signet configuration and
 * Gatekeeper constraints. The configuration is loaded with signet's own loader before it is returned, so
 * what is written is what `signet serve` accepts.
 */
export function importKyverno(text: string, source: string): KyvernoImport {
  const conversion = toKyvernoConversion(parseKyvernoYaml(text, source));
  const configYaml = toYaml(
    `signet configuration converted from Kyverno ${source} by \`signet import kyverno\``,
    conversion.notes,
    conversion.config,
  );
  if (conversion.trustPolicies > 0) {
    createSnapshot(parseConfigYaml(configYaml, `converted ${source}`), {
      generation: 1,
      source: `converted ${source}`,
    });
  }
  const constraintsYaml = toYaml(
    `Gatekeeper constraints converted from Kyverno ${source} (templates: templates/signetverification, templates/signetdigestonly)`,
    conversion.notes,
    conversion.constraints,
  );
  return { conversion, configYaml, constraintsYaml };
}
