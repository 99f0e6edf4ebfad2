import {
  decideScope,
  globMatches,
  imagesOf,
  labelsMatch,
  matchedWorkloadKinds,
  namespaceMatches,
  type ListedObject,
} from './scope.js';

const KINDS = [
  {
    apiGroups: ['', 'apps', 'batch'],
    kinds: [
      'Pod',
      'ReplicationController',
      'Deployment',
      'StatefulSet',
      'DaemonSet',
      'ReplicaSet',
      'Job',
      'CronJob',
    ],
  },
];

function pod(namespace: string, images: string[], labels: Record<string, string> = {}): ListedObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace, labels },
    spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
  };
}

describe('scope', () => {
  describe('globMatches (OPA glob.match with "/" separators, as the template calls it)', () => {
    it.each([
      ['registry.k8s.io/**', 'registry.k8s.io/pause:3.9', true],
      ['registry.k8s.io/*', 'registry.k8s.io/a/b:1', false],
      ['registry.k8s.io/*/*', 'registry.k8s.io/a/b:1', true],
      ['myregistry.azurecr.io/istio:*', 'myregistry.azurecr.io/istio:1.2', true],
      ['myregistry.azurecr.io/istio:*', 'myregistry.azurecr.io/istio/proxy:1.2', false],
      ['127.0.0.1:*/excluded/**', '127.0.0.1:5000/excluded/app:1', true],
      ['docker.io/library/{alpine,busybox}:*', 'docker.io/library/busybox:1', true],
      ['docker.io/library/{alpine,busybox}:*', 'docker.io/library/nginx:1', false],
      ['app:v?', 'app:v1', true],
      ['app:[ab]', 'app:c', false],
      ['a.b', 'aXb', false],
    ])('%s vs %s → %s', (pattern, value, expected) => {
      expect(globMatches(pattern, value)).toBe(expected);
    });
  });

  describe('namespaceMatches (Gatekeeper prefix / suffix wildcards)', () => {
    it.each([
      ['kube-system', 'kube-system', true],
      ['kube-*', 'kube-public', true],
      ['*-system', 'gatekeeper-system', true],
      ['kube-*', 'default', false],
      ['default', 'default2', false],
    ])('%s vs %s → %s', (pattern, namespace, expected) => {
      expect(namespaceMatches(pattern, namespace)).toBe(expected);
    });
  });

  describe('labelsMatch', () => {
    const labels = { app: 'web', tier: 'front' };
    it('is true for an empty selector', () => expect(labelsMatch({}, labels)).toBe(true));
    it('ANDs matchLabels and matchExpressions', () => {
      expect(
        labelsMatch(
          {
            matchLabels: { app: 'web' },
            matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }],
          },
          labels,
        ),
      ).toBe(true);
      expect(
        labelsMatch(
          {
            matchLabels: { app: 'web' },
            matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }],
          },
          labels,
        ),
      ).toBe(false);
    });
    it('knows Exists and DoesNotExist, and an unknown operator selects nothing', () => {
      expect(labelsMatch({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels)).toBe(true);
      expect(labelsMatch({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, labels)).toBe(true);
      expect(labelsMatch({ matchExpressions: [{ key: 'app', operator: 'Gt' }] }, labels)).toBe(false);
    });
  });

  describe('imagesOf (the template pod_spec per kind)', () => {
    it('reads containers, initContainers and ephemeralContainers of every kind', () => {
      const podSpec = {
        containers: [{ image: 'a' }],
        initContainers: [{ image: 'b' }],
        ephemeralContainers: [{ image: 'c' }, { image: 'a' }],
      };
      expect(imagesOf({ kind: 'Pod', spec: podSpec })).toEqual(['a', 'b', 'c']);
      expect(imagesOf({ kind: 'Deployment', spec: { template: { spec: podSpec } } })).toEqual([
        'a',
        'b',
        'c',
      ]);
      expect(
        imagesOf({ kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: podSpec } } } } }),
      ).toEqual(['a', 'b', 'c']);
      expect(imagesOf({ kind: 'CronJob', spec: { template: { spec: podSpec } } })).toEqual([]);
    });
  });

  describe('matchedWorkloadKinds', () => {
    it('selects the pod-bearing kinds the match names, * for any', () => {
      expect(matchedWorkloadKinds({ kinds: KINDS }).map((k) => k.kind)).toHaveLength(8);
      expect(
        matchedWorkloadKinds({ kinds: [{ apiGroups: ['apps'], kinds: ['*'] }] }).map((k) => k.kind),
      ).toEqual(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']);
      expect(matchedWorkloadKinds({ kinds: [{ apiGroups: [''], kinds: ['Deployment'] }] })).toEqual([]);
    });
  });

  describe('decideScope (Exempt mirrors the template: excludedNamespaces, labelSelector, excludedImages)', () => {
    const match = {
      kinds: KINDS,
      namespaces: ['team-*', 'kube-system'],
      excludedNamespaces: ['kube-system'],
      labelSelector: { matchExpressions: [{ key: 'signet.dev/skip', operator: 'DoesNotExist' }] },
    };
    it('is out of scope for a namespace the match does not include', () => {
      expect(decideScope(match, [], pod('default', ['a'])).$case).toBe('outOfScope');
    });
    it('is exempt in an excluded namespace', () => {
      expect(decideScope(match, [], pod('kube-system', ['a']))).toEqual({
        $case: 'exempt',
        exemption: { $case: 'excludedNamespace', pattern: 'kube-system' },
      });
    });
    it('is exempt when the label selector does not select it', () => {
      expect(decideScope(match, [], pod('team-a', ['a'], { 'signet.dev/skip': 'yes' }))).toEqual({
        $case: 'exempt',
        exemption: { $case: 'labelSelector' },
      });
    });
    it('is exempt when every image is excluded, judged when one is not', () => {
      expect(decideScope(match, ['reg/**'], pod('team-a', ['reg/a:1', 'reg/b:2'])).$case).toBe('exempt');
      expect(decideScope(match, ['reg/**'], pod('team-a', ['reg/a:1', 'other/b:2'])).$case).toBe('inScope');
    });
  });
});
