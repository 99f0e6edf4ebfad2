import type { CosignCondition, CosignConditionBlock } from '../../config/index.js';
import { findConditionFailure } from './attestation-conditions.js';

const PREDICATE = {
  builder: { id: 'https://ci.example/builder' },
  buildType: 'make',
  materials: [{ uri: 'git+https://git.example/app' }],
  labels: ['prod', 'eu'],
  metadata: { reproducible: true, completeness: { parameters: true } },
};

function condition(key: string, operator: CosignCondition['operator'], value: unknown): CosignCondition {
  return { key: `{{ ${key} }}`, path: key.split('.'), operator, value };
}

function block(all: CosignCondition[], any: CosignCondition[] = []): CosignConditionBlock {
  return { all, any };
}

describe('findConditionFailure', () => {
  describe('conditions that hold', () => {
    it.each([
      ['Equals on a string', condition('builder.id', 'Equals', 'https://ci.example/builder')],
      ['Equals on a boolean', condition('metadata.reproducible', 'Equals', true)],
      [
        'Equals on an object, keys in any order',
        condition('metadata.completeness', 'Equals', { parameters: true }),
      ],
      ['NotEquals', condition('buildType', 'NotEquals', 'docker')],
      ['NotEquals on a missing field', condition('missing.field', 'NotEquals', 'x')],
      ['In with a scalar', condition('buildType', 'In', ['make', 'bazel'])],
      ['In with a list (every element listed)', condition('labels', 'In', ['prod', 'eu', 'us'])],
      ['NotIn', condition('buildType', 'NotIn', ['docker'])],
    ])('%s', (_name, held) => {
      expect(findConditionFailure(PREDICATE, [block([held])])).toBeUndefined();
    });

    it('holds an any block when one of its conditions holds', () => {
      const any = [condition('buildType', 'Equals', 'bazel'), condition('buildType', 'Equals', 'make')];
      expect(findConditionFailure(PREDICATE, [block([], any)])).toBeUndefined();
    });
  });

  describe('conditions that fail', () => {
    it('names the condition and what was found', () => {
      expect(
        findConditionFailure(PREDICATE, [block([condition('builder.id', 'Equals', 'https://evil')])]),
      ).toBe('{{ builder.id }} Equals "https://evil" does not hold (found "https://ci.example/builder")');
    });

    it.each([
      ['Equals on a missing field', condition('builder.name', 'Equals', 'x')],
      ['Equals through a non-object', condition('buildType.id', 'Equals', 'make')],
      ['In with a list element not listed', condition('labels', 'In', ['prod'])],
      ['In on a missing field', condition('missing', 'In', ['x'])],
      ['NotIn on a listed value', condition('buildType', 'NotIn', ['make'])],
    ])('%s', (_name, failed) => {
      expect(findConditionFailure(PREDICATE, [block([failed])])).toMatch(/does not hold/);
    });

    it('fails when any block fails, and an any block when none of its conditions holds', () => {
      const any = [condition('buildType', 'Equals', 'bazel')];
      expect(findConditionFailure(PREDICATE, [block([]), block([], any)])).toMatch(/^none of /);
    });

    it('cuts long values in messages', () => {
      const failure = findConditionFailure({ big: 'x'.repeat(500) }, [
        block([condition('big', 'Equals', 'y')]),
      ]);
      expect(failure?.length).toBeLessThan(300);
    });
  });
});
