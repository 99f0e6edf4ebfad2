import { fieldManagerOf, planAssignment, type ClusterObject, type PlanInput } from './apply-plan.js';
import { ASSIGNMENT_LABEL, claimLabel, type KubernetesObject } from './render-assignment.js';

const TEMPLATE_API = 'templates.gatekeeper.sh/v1';
const CONSTRAINT_API = 'constraints.gatekeeper.sh/v1beta1';

function template(name: string, kind: string, assignment = 'a'): KubernetesObject {
  return {
    apiVersion: TEMPLATE_API,
    kind: 'ConstraintTemplate',
    metadata: { name, labels: { [claimLabel(assignment)]: '' }, annotations: {} },
    spec: { crd: { spec: { names: { kind } } } },
  };
}

function constraint(kind: string, name: string, assignment = 'a'): KubernetesObject {
  return {
    apiVersion: CONSTRAINT_API,
    kind,
    metadata: {
      name,
      labels: { [ASSIGNMENT_LABEL]: assignment, [claimLabel(assignment)]: '' },
      annotations: {},
    },
    spec: { enforcementAction: 'deny' },
  };
}

function record(assignment = 'a'): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `signet-assignment-${assignment}`,
      namespace: 'gatekeeper-system',
      labels: { [ASSIGNMENT_LABEL]: assignment, [claimLabel(assignment)]: '' },
      annotations: {},
    },
  };
}

/** The object as the cluster holds it. */
function found(object: KubernetesObject, overrides: Partial<ClusterObject> = {}): ClusterObject {
  const kind = (object.spec as { crd?: { spec?: { names?: { kind?: string } } } } | undefined)?.crd?.spec
    ?.names?.kind;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(typeof object.metadata.namespace === 'string' ? { namespace: object.metadata.namespace } : {}),
    labels: object.metadata.labels,
    resourceVersion: '7',
    otherManagers: [],
    ...(kind === undefined ? {} : { constraintKind: kind }),
    ...overrides,
  };
}

const verification = template('signetverification', 'SignetVerification');
const digestOnly = template('signetdigestonly', 'SignetDigestOnly');
const verify = constraint('SignetVerification', 'a-verify');
const digest = constraint('SignetDigestOnly', 'a-digest');

function plan(input: Partial<PlanInput>) {
  const outcome = planAssignment({
    assignment: 'a',
    desired: [],
    current: [],
    foreignConstraints: new Map(),
    ...input,
  });
  if (outcome.$case !== 'plan') throw new Error(`expected a plan, got ${JSON.stringify(outcome)}`);
  return outcome.plan;
}

const names = (steps: readonly { object: { metadata: { name: string } } }[]) =>
  steps.map((step) => step.object.metadata.name);
const pruned = (steps: ReturnType<typeof plan>['prune']) =>
  steps.map((step) => `${step.$case} ${step.object.kind}/${step.object.name}`);

describe('planAssignment', () => {
  describe('a first assignment (nothing in the cluster)', () => {
    it('applies templates unforced, constraints and the record forced, prunes nothing', () => {
      const result = plan({ desired: [verification, digestOnly, verify, digest, record()] });
      expect(names(result.templates)).toEqual(['signetverification', 'signetdigestonly']);
      expect(result.templates.every((step) => !step.force)).toBe(true);
      expect(names(result.constraints)).toEqual(['a-verify', 'a-digest']);
      expect(result.constraints.every((step) => step.force)).toBe(true);
      expect(names(result.records)).toEqual(['signet-assignment-a']);
      expect(result.prune).toEqual([]);
    });
  });

  describe('a re-assignment', () => {
    it('keeps what is still rendered (applied again, in place) and prunes only what is not', () => {
      const result = plan({
        desired: [verification, verify, record()],
        current: [found(verification), found(digestOnly), found(verify), found(digest), found(record())],
      });
      expect(names(result.constraints)).toEqual(['a-verify']);
      expect(pruned(result.prune)).toEqual([
        'delete SignetDigestOnly/a-digest',
        'delete ConstraintTemplate/signetdigestonly',
      ]);
    });

    it('a member switched to Disabled: its constraint (and unused template) are deleted', () => {
      const result = plan({
        desired: [record()],
        current: [found(verification), found(verify), found(record())],
      });
      expect(result.constraints).toEqual([]);
      expect(pruned(result.prune)).toEqual([
        'delete SignetVerification/a-verify',
        'delete ConstraintTemplate/signetverification',
      ]);
    });

    it('never prunes an object without this assignment’s claim', () => {
      const others = constraint('SignetVerification', 'b-verify', 'b');
      const result = plan({ desired: [record()], current: [found(record()), found(others)] });
      expect(result.prune).toEqual([]);
    });
  });

  describe('unassign (nothing desired)', () => {
    it('deletes its constraints, then its templates, its record last', () => {
      const result = plan({ current: [found(record()), found(verification), found(verify)] });
      expect(pruned(result.prune)).toEqual([
        'delete SignetVerification/a-verify',
        'delete ConstraintTemplate/signetverification',
        'delete ConfigMap/signet-assignment-a',
      ]);
    });
  });

  describe('a shared ConstraintTemplate', () => {
    const shared = found(verification, {
      labels: { [claimLabel('a')]: '', [claimLabel('b')]: '' },
      otherManagers: [fieldManagerOf('b')],
    });

    it('is released, not deleted, while another assignment claims it', () => {
      const result = plan({ current: [shared, found(verify)] });
      expect(result.prune).toEqual([
        { $case: 'delete', object: found(verify) },
        { $case: 'release', object: shared, keptBecause: 'assignment b uses it' },
      ]);
    });

    it('is released when another field manager (kubectl, Helm) also manages it', () => {
      const kubectl = found(verification, { otherManagers: ['kubectl-client-side-apply'] });
      expect(plan({ current: [kubectl] }).prune).toEqual([
        { $case: 'release', object: kubectl, keptBecause: 'it is also managed by kubectl-client-side-apply' },
      ]);
    });

    it('is released while constraints of its kind that are not this assignment’s depend on it', () => {
      const result = plan({
        current: [found(verification)],
        foreignConstraints: new Map([['SignetVerification', 2]]),
      });
      expect(result.prune).toEqual([
        {
          $case: 'release',
          object: found(verification),
          keptBecause: '2 SignetVerification constraint(s) of other owners depend on it',
        },
      ]);
    });

    it('applied by a second assignment is only applied (unforced): the other keeps its claim', () => {
      const result = plan({
        assignment: 'b',
        desired: [template('signetverification', 'SignetVerification', 'b')],
      });
      expect(result.templates.map((step) => step.force)).toEqual([false]);
      expect(result.prune).toEqual([]);
    });
  });

  describe('conflicts', () => {
    it('refuses to take over a constraint of the same name that another assignment owns', () => {
      const theirs = found(constraint('SignetVerification', 'a-verify', 'b'));
      const outcome = planAssignment({
        assignment: 'a',
        desired: [verify],
        current: [theirs],
        foreignConstraints: new Map(),
      });
      expect(outcome).toEqual({ $case: 'conflict', conflicts: [{ object: theirs, owner: 'b' }] });
    });

    it('refuses to take over a record or constraint made by hand (no owner label)', () => {
      const byHand = found(record(), { labels: {} });
      const outcome = planAssignment({
        assignment: 'a',
        desired: [record()],
        current: [byHand],
        foreignConstraints: new Map(),
      });
      expect(outcome).toEqual({ $case: 'conflict', conflicts: [{ object: byHand, owner: undefined }] });
    });
  });
});
