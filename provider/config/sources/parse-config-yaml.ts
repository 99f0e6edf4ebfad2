import { parseAllDocuments } from 'yaml';
import type { ConfigResource } from '../config.types.js';
import { parseConfigResource } from '../schema/parse-resource.js';
import { toConfigError } from '../schema/problems.js';
import type { ConfigProblem } from '../schema/problems.js';

/** More documents than this in one configuration is a mistake (or an attack), not a configuration. */
export const MAX_CONFIG_DOCUMENTS = 1000;
/** YAML aliases can expand exponentially ("billion laughs"); real configurations use few. */
const MAX_ALIAS_COUNT = 100;

/** The first line of a yaml error (`... at line 5, column 1`), without the source excerpt after it. */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:$/, '');
}

/**
 * Multi-document YAML text → validated resources, or CONFIG_INVALID naming every problem of every
 * document. `source` names the text in the error (`file /etc/signet/config.yaml`).
 */
export function parseConfigYaml(text: string, source: string): ConfigResource[] {
  const documents = Array.from(parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true }));
  if (documents.length > MAX_CONFIG_DOCUMENTS) {
    throw toConfigError(
      [
        {
          locator: {},
          path: '',
          message: `holds ${documents.length} YAML documents, at most ${MAX_CONFIG_DOCUMENTS} are allowed`,
        },
      ],
      { source },
    );
  }
  const problems: ConfigProblem[] = [];
  const resources: ConfigResource[] = [];
  documents.forEach((document, index) => {
    const locator = { document: index + 1 };
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        problems.push({ locator, path: '', message: `YAML syntax error: ${firstLine(error.message)}` });
      }
      return;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      problems.push({
        locator,
        path: '',
        message: `YAML error: ${error instanceof Error ? error.message : String(error)}`,
      });
      return;
    }
    // `---` with nothing after it is an empty document, which kubectl ignores too.
    if (value === null || value === undefined) return;
    const parsed = parseConfigResource(value, locator);
    if (parsed.ok) resources.push(parsed.resource);
    else problems.push(...parsed.problems);
  });
  if (problems.length > 0) throw toConfigError(problems, { source });
  return resources;
}
