// Untrusted JSON (a set definition file and member definition files) → an Initiative renderAssignment can
// walk without tripping over a missing field; CONFIG_INVALID naming the file and the field otherwise.
import { SignetError } from '../../errors.js';
import type { Initiative, PolicyDefinition, PolicySetDefinition } from '../initiatives/index.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(source: string, reason: string): SignetError {
  return new SignetError('CONFIG_INVALID', {
    stage: 'config',
    reason: `${source}: ${reason}`,
    details: { source },
  });
}

function record(value: unknown, source: string, field: string): Record<string, unknown> {
  if (!isRecord(value)) throw invalid(source, `${field} must be an object`);
  return value;
}

function text(value: unknown, source: string, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(source, `${field} must be a non-empty string`);
  return value;
}

function checkParameters(value: unknown, source: string): void {
  for (const [name, parameter] of Object.entries(record(value, source, 'properties.parameters'))) {
    text(record(parameter, source, `parameter ${name}`).type, source, `parameter ${name} type`);
  }
}

/** `properties.version`, else `metadata.version` (older definitions), else empty. */
function versionOf(properties: Record<string, unknown>): string {
  if (typeof properties.version === 'string') return properties.version;
  const metadata = isRecord(properties.metadata) ? properties.metadata : {};
  return typeof metadata.version === 'string' ? metadata.version : '';
}

export interface InitiativeFile {
  /** Where the JSON came from, for messages. */
  readonly source: string;
  readonly json: unknown;
}

/** A policy set definition file and the member definition files it may reference. */
export function parseInitiative(
  setFile: InitiativeFile,
  definitionFiles: readonly InitiativeFile[],
): Initiative {
  const { source } = setFile;
  const set = record(setFile.json, source, 'the file');
  text(set.name, source, 'name');
  const properties = record(set.properties, source, 'properties');
  if (Object.hasOwn(properties, 'policyRule'))
    throw invalid(source, 'is a policy definition, not a policy set definition (initiative)');
  checkParameters(properties.parameters, source);
  if (!Array.isArray(properties.policyDefinitions) || properties.policyDefinitions.length === 0)
    throw invalid(source, 'properties.policyDefinitions must be a non-empty list');
  const references = properties.policyDefinitions.map((reference: unknown, index) => {
    const field = `properties.policyDefinitions[${index}]`;
    const entry = record(reference, source, field);
    text(entry.policyDefinitionReferenceId, source, `${field}.policyDefinitionReferenceId`);
    text(entry.policyDefinitionId, source, `${field}.policyDefinitionId`);
    const parameters = record(entry.parameters ?? {}, source, `${field}.parameters`);
    for (const [name, parameter] of Object.entries(parameters)) {
      if (!isRecord(parameter) || !Object.hasOwn(parameter, 'value'))
        throw invalid(source, `${field}.parameters.${name} must be {"value": …}`);
    }
    return { ...entry, parameters };
  });
  const version = versionOf(properties);
  const setDefinition = {
    ...set,
    properties: { ...properties, version, policyDefinitions: references },
  } as unknown as PolicySetDefinition;

  const definitions = new Map<string, PolicyDefinition>();
  for (const file of definitionFiles) {
    const definition = record(file.json, file.source, 'the file');
    const name = text(definition.name, file.source, 'name');
    const props = record(definition.properties, file.source, 'properties');
    checkParameters(props.parameters, file.source);
    const then = record(
      record(props.policyRule, file.source, 'properties.policyRule').then,
      file.source,
      'policyRule.then',
    );
    text(then.effect, file.source, 'policyRule.then.effect');
    const details = record(then.details, file.source, 'policyRule.then.details');
    text(
      record(details.templateInfo, file.source, 'details.templateInfo').sourceType,
      file.source,
      'templateInfo.sourceType',
    );
    if (definitions.has(name)) throw invalid(file.source, `defines ${name} a second time`);
    const propsVersion = versionOf(props);
    definitions.set(name, {
      ...definition,
      properties: { ...props, version: propsVersion },
    } as unknown as PolicyDefinition);
  }
  return { setDefinition, definitions };
}
