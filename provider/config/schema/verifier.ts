import type { KeyProviderRef, ResourceId, VerifierConfig } from '../config.types.js';
import { readCosignParameters } from './cosign.js';
import { readNotationParameters } from './notation.js';
import type { FieldReader, Node } from './reader.js';
import { readParameters } from './store.js';

const VERIFIER_SPEC_FIELDS = [
  'name',
  'type',
  'version',
  'artifactTypes',
  'address',
  'source',
  'parameters',
] as const;
const VERIFIER_TYPES = ['notation', 'cosign'] as const;

function readArtifactTypes(reader: FieldReader, node: Node): string[] | undefined {
  const value = reader.string(node, { required: true, nonEmpty: true });
  if (value === undefined) return undefined;
  const artifactTypes = value
    .split(',')
    .map((artifactType) => artifactType.trim())
    .filter((artifactType) => artifactType !== '');
  if (artifactTypes.length === 0) reader.report(node, 'must name at least one artifact type');
  return artifactTypes;
}

/**
 * `Verifier` / `NamespacedVerifier`. The verifier type is `spec.type`, else `spec.name` (Ratify's
 * rule); signet runs notation and cosign and rejects other plugins rather than skip them silently.
 */
export function parseVerifierSpec(
  reader: FieldReader,
  spec: Node,
  resource: ResourceId,
): VerifierConfig<KeyProviderRef> | undefined {
  reader.knownFields(spec, VERIFIER_SPEC_FIELDS);
  const nameNode = reader.child(spec, 'name');
  const typeNode = reader.child(spec, 'type');
  const name = reader.string(nameNode, { required: true, nonEmpty: true });
  const typeName = reader.string(typeNode, { nonEmpty: true }) ?? name;
  const artifactTypes = readArtifactTypes(reader, reader.child(spec, 'artifactTypes'));
  const version = reader.string(reader.child(spec, 'version'));
  reader.string(reader.child(spec, 'address'));
  reader.mapping(reader.child(spec, 'source'));
  const parameters = readParameters(reader, spec);

  const type = VERIFIER_TYPES.find((candidate) => candidate === typeName);
  if (typeName !== undefined && type === undefined) {
    reader.report(
      reader.isPresent(typeNode) ? typeNode : nameNode,
      `unsupported verifier "${typeName}" (signet runs ${VERIFIER_TYPES.map((known) => `"${known}"`).join(' and ')})`,
    );
  }
  if (name === undefined || artifactTypes === undefined || type === undefined) return undefined;
  const common = {
    $case: 'verifier',
    resource,
    name,
    artifactTypes,
    version,
    parameters: parameters.value,
  } as const;
  switch (type) {
    case 'notation': {
      const notation = readNotationParameters(reader, parameters.node);
      return notation === undefined ? undefined : { ...common, type, ...notation };
    }
    case 'cosign': {
      const cosign = readCosignParameters(reader, parameters.node);
      return cosign === undefined ? undefined : { ...common, type, ...cosign };
    }
  }
}
