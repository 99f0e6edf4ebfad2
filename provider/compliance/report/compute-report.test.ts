import { ERROR_CATALOG } from '../../errors.js';
import { computeReport, keysToEvaluate, tally, worstState, type ReportInput } from './compute-report.js';
import { interpretViolation, parseConstraint } from './constraints.js';
import { judgeAnswer, parseProviderResponse, type KeyAnswer } from './provider-answer.js';
import type { ListedObject } from './scope.js';

const AUDIT = '2026-12-01T10:00:00Z';
const BEFORE = '2026-12-01T09:00:00Z';
const AFTER = '2026-12-01T10:00:30Z';
const NOW = new Date('2026-12-01T10:01:00Z');

function constraint(
  name: string,
  options: {
    assignment?: string;
    violations?: { kind: string; namespace: string; name: string; message: string }[];
    totalViolations?: number;
    namespaces?: string[];
    excludedNamespaces?: string[];
    excludedImages?: string[];
    namespacedKeys?: boolean;
    auditTimestamp?: string | null;
  } = {},
): ListedObject {
  const violations = options.violations ?? [];
  return {
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind: 'SignetVerification',
    metadata: {
      name,
      labels: { 'signet.dev/assignment': options.assignment ?? 'integrity' },
      annotations: {
        'signet.dev/initiative': 'signet-image-integrity-notation',
        'signet.dev/policy-definition-reference-id': 'imageIntegrityNotationVerification',
      },
    },
    spec: {
      enforcementAction: 'dryrun',
      match: {
        kinds: [{ apiGroups: ['', 'apps', 'batch'], kinds: ['Pod', 'Deployment', 'CronJob'] }],
        namespaces: options.namespaces ?? ['team-a', 'team-b', 'kube-system'],
        excludedNamespaces: options.excludedNamespaces ?? ['kube-system'],
      },
      parameters: {
        requiredVerifiers: ['notation'],
        excludedImages: options.excludedImages ?? ['reg/excluded/**'],
        ...(options.namespacedKeys === true ? { namespacedKeys: true } : {}),
      },
    },
    status: {
      ...(options.auditTimestamp === null ? {} : { auditTimestamp: options.auditTimestamp ?? AUDIT }),
      totalViolations: options.totalViolations ?? violations.length,
      violations: violations.map((v) => ({ ...v, enforcementAction: 'dryrun', group: '', version: 'v1' })),
    },
  };
}

function pod(namespace: string, name: string, images: string[], created = BEFORE): ListedObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid: `uid-${name}`, creationTimestamp: created },
    spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
  };
}

const unsigned = (ns: string, name: string, image: string) => ({
  kind: 'Pod',
  namespace: ns,
  name,
  message: `image verification failed for ${image}: signature not found`,
});

function input(
  constraints: ListedObject[],
  objects: ListedObject[],
  extra: Partial<ReportInput> = {},
): ReportInput {
  return {
    constraints: constraints.map(parseConstraint),
    objects,
    now: NOW,
    staleAfterSeconds: 600,
    mode: 'auto',
    ...extra,
  };
}

const success = (verifier = 'notation'): KeyAnswer => ({
  $case: 'result',
  isSuccess: true,
  reports: [{ name: verifier, isSuccess: true }],
});
const failure = (message: string): KeyAnswer => ({
  $case: 'result',
  isSuccess: false,
  reports: [{ name: 'notation', isSuccess: false, message, remediation: 'sign it' }],
});

describe('computeReport', () => {
  describe('a complete audit', () => {
    const objects = [
      pod('team-a', 'signed', ['reg/app:signed']),
      pod('team-a', 'unsigned', ['reg/app:unsigned']),
      pod('team-a', 'errored', ['unreachable:1/app:1']),
      pod('team-a', 'excluded-image', ['reg/excluded/app:1']),
      pod('kube-system', 'system', ['reg/app:unsigned']),
      pod('team-b', 'late', ['reg/app:unsigned'], AFTER),
      pod('default', 'out-of-scope', ['reg/app:unsigned']),
    ];
    const report = computeReport(
      input(
        [
          constraint('integrity-notation', {
            violations: [
              unsigned('team-a', 'unsigned', 'reg/app:unsigned'),
              {
                kind: 'Pod',
                namespace: 'team-a',
                name: 'errored',
                message:
                  'external data provider ratify-provider reported a system error: REGISTRY_UNAVAILABLE (resolve): connection refused',
              },
            ],
          }),
        ],
        objects,
      ),
    );
    const stateOf = (name: string) => report.results.find((r) => r.resource.name === name);

    it('gives each resource in scope its state and source', () => {
      expect(report.results.map((r) => [r.resource.name, r.state, r.source])).toEqual([
        ['system', 'Exempt', 'constraint-scope'],
        ['errored', 'Error', 'gatekeeper-audit'],
        ['excluded-image', 'Exempt', 'constraint-scope'],
        ['signed', 'Compliant', 'gatekeeper-audit'],
        ['unsigned', 'NonCompliant', 'gatekeeper-audit'],
        ['late', 'Unknown', 'gatekeeper-audit'],
      ]);
    });

    it('names the reason, the remediation from the error catalog and the verifier', () => {
      expect(stateOf('unsigned')).toMatchObject({
        reason: 'reg/app:unsigned: signature not found',
        remediation: ERROR_CATALOG.SIGNATURE_NOT_FOUND.remediation,
        verifiers: ['notation'],
      });
      expect(stateOf('errored')?.reason).toContain('provider system error: REGISTRY_UNAVAILABLE');
      expect(stateOf('late')?.reason).toBe(
        `reg/app:unsigned: not audited yet: created after the last audit (${AUDIT})`,
      );
      expect(stateOf('system')?.reason).toBe(
        'namespace excluded by the policy (excludedNamespaces kube-system)',
      );
    });

    it('computes the percentages over Compliant, NonCompliant and Error only', () => {
      expect(report.summary).toEqual({
        total: 6,
        compliant: 1,
        nonCompliant: 1,
        error: 1,
        unknown: 1,
        exempt: 2,
        compliancePercent: 33.3,
      });
      expect(report.byNamespace.map((n) => [n.namespace, n.compliancePercent])).toEqual([
        ['kube-system', null],
        ['team-a', 33.3],
        ['team-b', null],
      ]);
      expect(report.byPolicy[0]).toMatchObject({
        auditTimestamp: AUDIT,
        auditAgeSeconds: 60,
        stale: false,
        truncated: false,
        totalViolations: 2,
        listedViolations: 2,
      });
    });

    it('ranks failing images and reasons', () => {
      expect(report.topFailingImages).toEqual([
        { image: 'reg/app:unsigned', count: 1, reasons: ['signature not found'] },
        {
          image: 'unreachable:1/app:1',
          count: 1,
          reasons: ['provider system error: REGISTRY_UNAVAILABLE (resolve): connection refused'],
        },
      ]);
      expect(report.topReasons.map((r) => r.count)).toEqual([1, 1]);
    });

    it('asks signet about nothing', () => {
      expect(keysToEvaluate(input([constraint('integrity-notation')], objects))).toEqual([]);
    });
  });

  describe('an audit truncated at the violations limit', () => {
    const objects = [
      pod('team-a', 'listed', ['reg/app:unsigned']),
      pod('team-a', 'unlisted-bad', ['reg/app:unsigned2']),
      pod('team-a', 'unlisted-good', ['reg/app:signed', 'reg/excluded/x:1']),
      pod('team-a', 'late', ['reg/app:late'], AFTER),
    ];
    const truncated = constraint('integrity-notation', {
      violations: [unsigned('team-a', 'listed', 'reg/app:unsigned')],
      totalViolations: 2,
    });

    it('asks signet about the images of audited resources the audit does not name', () => {
      expect(keysToEvaluate(input([truncated], objects))).toEqual(['reg/app:signed', 'reg/app:unsigned2']);
    });

    it('takes their states from signet, saying so', () => {
      const answers = new Map<string, KeyAnswer>([
        ['reg/app:signed', success()],
        [
          'reg/app:unsigned2',
          failure('image verification failed for reg/app:unsigned2: signature not found'),
        ],
      ]);
      const report = computeReport(input([truncated], objects, { answers }));
      expect(report.results.map((r) => [r.resource.name, r.state, r.source])).toEqual([
        ['late', 'Unknown', 'gatekeeper-audit'],
        ['listed', 'NonCompliant', 'gatekeeper-audit'],
        ['unlisted-bad', 'NonCompliant', 'signet-evaluation'],
        ['unlisted-good', 'Compliant', 'signet-evaluation'],
      ]);
      expect(report.results.find((r) => r.resource.name === 'unlisted-bad')).toMatchObject({
        reason: 'reg/app:unsigned2: signature not found',
        remediation: 'sign it',
      });
      expect(report.evaluation).toEqual({ mode: 'auto', evaluated: 2, images: 2 });
      expect(report.byPolicy[0]?.truncated).toBe(true);
      expect(report.summary.compliancePercent).toBe(33.3);
    });

    it('leaves them Unknown with --evaluate never', () => {
      const report = computeReport(input([truncated], objects, { mode: 'never' }));
      expect(report.results.find((r) => r.resource.name === 'unlisted-good')).toMatchObject({
        state: 'Unknown',
        reason: 'reg/app:signed: Gatekeeper listed 1 of 2 violations and evaluation is off',
      });
    });

    it('evaluates every unnamed image with --evaluate always, sending namespaced keys when the policy does', () => {
      const namespaced = constraint('integrity-notation', { namespacedKeys: true });
      expect(keysToEvaluate(input([namespaced], objects, { mode: 'always' }))).toEqual([
        '[team-a]reg/app:late',
        '[team-a]reg/app:signed',
        '[team-a]reg/app:unsigned',
        '[team-a]reg/app:unsigned2',
      ]);
    });
  });

  describe('several policies and assignments', () => {
    it('counts a resource once per assignment with its worst state, and once per namespace', () => {
      const objects = [pod('team-a', 'p', ['reg/app:1'])];
      const report = computeReport(
        input(
          [
            constraint('integrity-a', { violations: [unsigned('team-a', 'p', 'reg/app:1')] }),
            constraint('integrity-b'),
            constraint('other-a', { assignment: 'other' }),
          ],
          objects,
        ),
      );
      expect(report.byPolicy.map((p) => [p.policy, p.compliancePercent])).toEqual([
        ['integrity-a', 0],
        ['integrity-b', 100],
        ['other-a', 100],
      ]);
      expect(report.byAssignment.map((a) => [a.assignment, a.total, a.compliancePercent])).toEqual([
        ['integrity', 1, 0],
        ['other', 1, 100],
      ]);
      expect(report.byNamespace).toEqual([
        expect.objectContaining({ namespace: 'team-a', total: 1, nonCompliant: 1, compliancePercent: 0 }),
      ]);
      expect(report.summary.total).toBe(2);
    });

    it('marks an audit stale past the threshold, and a missing one as stale and Unknown', () => {
      const report = computeReport(
        input([constraint('never-audited', { auditTimestamp: null })], [pod('team-a', 'p', ['reg/app:1'])], {
          staleAfterSeconds: 30,
        }),
      );
      expect(report.byPolicy[0]).toMatchObject({ stale: true, truncated: false });
      expect(report.results[0]?.state).toBe('Unknown');
    });
  });
});

describe('tally and worstState', () => {
  it('rounds to one decimal and is null when nothing was judged', () => {
    expect(tally(['Compliant', 'Compliant', 'NonCompliant']).compliancePercent).toBe(66.7);
    expect(tally(['Exempt', 'Unknown']).compliancePercent).toBeNull();
    expect(tally(['Error', 'Compliant']).compliancePercent).toBe(50);
  });
  it('orders NonCompliant > Error > Unknown > Compliant > Exempt', () => {
    expect(worstState(['Compliant', 'Error', 'NonCompliant'], 'Exempt')).toBe('NonCompliant');
    expect(worstState(['Compliant', 'Unknown'], 'Exempt')).toBe('Unknown');
    expect(worstState(['Exempt', 'Compliant'], 'Exempt')).toBe('Compliant');
    expect(worstState([], 'Compliant')).toBe('Compliant');
  });
});

describe('interpretViolation', () => {
  it.each([
    [
      'image verification failed for reg/a:1: signature not found',
      { state: 'NonCompliant', image: 'reg/a:1', code: 'SIGNATURE_NOT_FOUND' },
    ],
    [
      'image verification failed for reg/a:1: no result from external data provider ratify-provider',
      { state: 'Error', image: 'reg/a:1' },
    ],
    [
      'image verification failed for [ns]reg/a:1: TIMEOUT (verify): image verification failed for [ns]reg/a:1: verification did not finish in time',
      { state: 'Error', image: 'reg/a:1', code: 'TIMEOUT', reason: 'verification did not finish in time' },
    ],
    [
      'image reg/a@sha256:00 is not attested',
      { state: 'NonCompliant', image: 'reg/a@sha256:00', code: 'NOT_ATTESTED' },
    ],
    [
      'external data provider p reported a system error: boom',
      { state: 'Error', reason: 'provider system error: boom' },
    ],
    [
      'image verification failed for reg/a:1: no successful report from verifier notation',
      { state: 'NonCompliant', image: 'reg/a:1' },
    ],
  ])('%s', (message, expected) => {
    expect(interpretViolation(message)).toMatchObject(expected);
  });
});

describe('judgeAnswer and parseProviderResponse (the template rules)', () => {
  it('requires a successful report from each required verifier', () => {
    expect(judgeAnswer('a', success('cosign'), ['notation'])).toMatchObject({
      state: 'NonCompliant',
      reason: 'no successful report from verifier notation',
    });
    expect(judgeAnswer('a', success('notation'), ['notation'])).toMatchObject({
      state: 'Compliant',
      verifiers: ['notation'],
    });
  });
  it('reads system errors, missing keys, item errors and a missing isSuccess as the template does', () => {
    const answers = parseProviderResponse(
      {
        apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
        kind: 'ProviderResponse',
        response: {
          idempotent: true,
          items: [
            {
              key: 'bad-ref',
              error:
                'REFERENCE_INVALID (reference): image verification failed for bad-ref: the image reference is invalid',
            },
            { key: 'no-bool', value: { verifierReports: [] } },
          ],
          systemError:
            'REGISTRY_UNAVAILABLE (resolve): image verification failed for down: connection refused',
        },
      },
      ['bad-ref', 'no-bool', 'down'],
    );
    expect(judgeAnswer('bad-ref', answers.get('bad-ref')!, [])).toMatchObject({
      state: 'NonCompliant',
      reason: 'the image reference is invalid',
    });
    expect(judgeAnswer('no-bool', answers.get('no-bool')!, [])).toMatchObject({ state: 'Error' });
    expect(judgeAnswer('down', answers.get('down')!, [])).toMatchObject({
      state: 'Error',
      reason: expect.stringContaining('provider system error: REGISTRY_UNAVAILABLE') as unknown,
    });
  });
  it('answers every key unanswered when the body is not a ProviderResponse', () => {
    const answers = parseProviderResponse({ error: 'nope' }, ['a']);
    expect(answers.get('a')).toEqual({
      $case: 'unanswered',
      reason: 'the provider did not answer with a ProviderResponse',
    });
  });
});
