import { parseConfigResource } from '../../../provider/config/schema/parse-resource.js';
import { parseConfigYaml } from '../../../provider/config/sources/parse-config-yaml.js';
import { parseTrustPolicyDocument } from '../../../provider/verifiers/notation/trust-policy.js';
import { expectOnly, text } from './property.js';

function json(input: string): unknown {
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return undefined;
  }
}

/** Configuration: multi-document YAML, one resource as JSON, and notation trust policy documents. */
export function fuzz(data: Buffer): void {
  const input = text(data);
  expectOnly('parseConfigYaml', () => parseConfigYaml(input, 'fuzz input'));
  const value = json(input);
  if (value !== undefined) expectOnly('parseConfigResource', () => parseConfigResource(value));
  expectOnly('parseTrustPolicyDocument', () => parseTrustPolicyDocument(input));
  if (value !== undefined)
    expectOnly('parseTrustPolicyDocument(value)', () => parseTrustPolicyDocument(value));
}
