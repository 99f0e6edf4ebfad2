import type { ArtifactVerificationRule, PolicyConfig, ResourceId } from '../config.types.js';
import type { FieldReader, Node } from './reader.js';
import { readParameters } from './store.js';

/** Ratify applies only the Policy of this name (one active policy per scope). */
export const POLICY_NAME = 'ratify-policy';
const POLICY_SPEC_FIELDS = ['type', 'parameters'] as const;
const RULES: readonly ArtifactVerificationRule[] = ['any', 'all'];
const DEFAULT_RULE_KEY = 'default';

/** `Policy` / `NamespacedPolicy` of type `config-policy` or `rego-policy`. */
export function parsePolicySpec(
  reader: FieldReader,
  spec: Node,
  resource: ResourceId,
  nameNode: Node,
): PolicyConfig | undefined {
  if (resource.name !== POLICY_NAME) {
    reader.report(nameNode, `must be "${POLICY_NAME}" (Ratify applies only the policy of that name)`);
  }
  reader.knownFields(spec, POLICY_SPEC_FIELDS);
  const type = reader.oneOf(reader.child(spec, 'type'), ['config-policy', 'rego-policy'] as const, {
    required: true,
  });
  const parameters = readParameters(reader, spec).node;
  const passthroughEnabled = reader.boolean(reader.child(parameters, 'passthroughEnabled'), false);

  switch (type) {
    case undefined:
      return undefined;
    case 'config-policy': {
      const rules: [string, ArtifactVerificationRule][] = [];
      let defaultRule: ArtifactVerificationRule = 'all';
      const entries = reader.entries(reader.child(parameters, 'artifactVerificationPolicies'), {
        required: true,
      });
      for (const [artifactType, ruleNode] of entries ?? []) {
        const rule = reader.oneOf(ruleNode, RULES, { required: true });
        if (rule === undefined) continue;
        if (artifactType === DEFAULT_RULE_KEY) defaultRule = rule;
        else rules.push([artifactType, rule]);
      }
      return {
        $case: 'policy',
        resource,
        type,
        artifactVerificationPolicies: Object.fromEntries(rules),
        defaultRule,
        passthroughEnabled,
      };
    }
    case 'rego-policy': {
      const policy = reader.string(reader.child(parameters, 'policy'), { nonEmpty: true });
      const policyPath = reader.string(reader.child(parameters, 'policyPath'), { nonEmpty: true });
      if (policy === undefined && policyPath === undefined) {
        reader.report(parameters, 'one of policy or policyPath is required');
      }
      return { $case: 'policy', resource, type, policy, policyPath, passthroughEnabled };
    }
  }
}
