import type { CoreV1Api, CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import type { ResourceOutcome } from './build-snapshot.js';
import { KUBERNETES_KINDS, type KubernetesKind } from './resource-kinds.js';
import { StatusWriter } from './status-writer.js';

const NOW = new Date('2026-12-02T03:00:00Z');

function kind(name: string): KubernetesKind {
  const found = KUBERNETES_KINDS.find((candidate) => candidate.kind === name);
  if (found === undefined) throw new Error(`no kind ${name}`);
  return found;
}

/** The two API calls the writer makes, recorded; `failPatches` makes every status patch fail (no RBAC). */
function stubApis(options: { failPatches?: boolean } = {}) {
  const patches: Array<{ scope: 'namespaced' | 'cluster'; request: Record<string, unknown> }> = [];
  const events: Array<Record<string, unknown>> = [];
  const patch = (scope: 'namespaced' | 'cluster') => (request: Record<string, unknown>) => {
    patches.push({ scope, request });
    return options.failPatches === true ? Promise.reject(new Error('forbidden')) : Promise.resolve({});
  };
  // Only the methods StatusWriter calls exist; the casts name the client classes it is given.
  const customObjects = {
    patchNamespacedCustomObjectStatus: patch('namespaced'),
    patchClusterCustomObjectStatus: patch('cluster'),
  } as unknown as CustomObjectsApi;
  const core = {
    createNamespacedEvent: (request: Record<string, unknown>) => {
      events.push(request);
      return Promise.resolve({});
    },
  } as unknown as CoreV1Api;
  const warnings: string[] = [];
  const writer = new StatusWriter({
    customObjects,
    core,
    log: { info: () => undefined, warn: (_details, message) => warnings.push(message) },
    now: () => NOW,
  });
  return { writer, patches, events, warnings };
}

function object(name: string, namespace?: string, status?: unknown): KubernetesObject {
  return {
    metadata: { name, uid: `uid-${name}`, ...(namespace === undefined ? {} : { namespace }) },
    ...(status === undefined ? {} : { status }),
  };
}

const accepted: ResourceOutcome = { $case: 'accepted', inventory: undefined };
const rejected = (message: string): ResourceOutcome => ({ $case: 'rejected', message });

describe('StatusWriter', () => {
  describe('status', () => {
    it("patches a cluster-scoped object's status once, not again while the cache lags", async () => {
      const { writer, patches } = stubApis();
      await writer.report(kind('Verifier'), object('verifier-notation'), accepted);
      await writer.report(kind('Verifier'), object('verifier-notation'), accepted);
      expect(patches).toHaveLength(1);
      expect(patches[0]?.scope).toBe('cluster');
      expect(patches[0]?.request).toMatchObject({
        plural: 'verifiers',
        name: 'verifier-notation',
        body: {
          status: { issuccess: true, error: null, brieferror: null, lastfetchedtime: '2026-12-02T03:00:00Z' },
        },
      });
    });

    it('patches namespaced kinds in their namespace and leaves a current status alone', async () => {
      const { writer, patches } = stubApis();
      const current = {
        issuccess: true,
        error: null,
        brieferror: null,
        lastfetchedtime: '2026-01-01T00:00:00Z',
      };
      await writer.report(kind('NamespacedVerifier'), object('team-notation', 'team-a', current), accepted);
      expect(patches).toHaveLength(0);
      await writer.report(kind('NamespacedVerifier'), object('team-notation', 'team-a'), accepted);
      expect(patches).toHaveLength(1);
      expect(patches[0]).toMatchObject({ scope: 'namespaced', request: { namespace: 'team-a' } });
    });

    it('rewrites after a resync, and retries a patch that failed', async () => {
      const failing = stubApis({ failPatches: true });
      await failing.writer.report(kind('Store'), object('store-oras'), accepted);
      await failing.writer.report(kind('Store'), object('store-oras'), accepted);
      expect(failing.patches).toHaveLength(2);
      expect(failing.warnings).toEqual([
        'could not write resource status',
        'could not write resource status',
      ]);

      const { writer, patches } = stubApis();
      await writer.report(kind('Store'), object('store-oras'), accepted);
      writer.forgetWritten();
      await writer.report(kind('Store'), object('store-oras'), accepted);
      expect(patches).toHaveLength(2);
    });
  });

  describe('events', () => {
    it('records one Warning Event per distinct problem, cluster-scoped objects under "default"', async () => {
      const { writer, events } = stubApis();
      await writer.report(kind('Verifier'), object('broken'), rejected('spec.name: required'));
      await writer.report(kind('Verifier'), object('broken'), rejected('spec.name: required'));
      await writer.report(kind('Verifier'), object('broken'), rejected('spec.artifactTypes: required'));
      expect(events.map((event) => (event.body as { message: string }).message)).toEqual([
        'spec.name: required',
        'spec.artifactTypes: required',
      ]);
      expect(events[0]).toMatchObject({
        namespace: 'default',
        body: {
          type: 'Warning',
          reason: 'ConfigurationRejected',
          involvedObject: { kind: 'Verifier', name: 'broken', uid: 'uid-broken' },
        },
      });
    });

    it('announces a problem again once the object was accepted, or deleted and recreated', async () => {
      const { writer, events } = stubApis();
      const problem = rejected('spec.name: required');
      await writer.report(kind('Verifier'), object('broken'), problem);
      await writer.report(kind('Verifier'), object('broken'), accepted);
      await writer.report(kind('Verifier'), object('broken'), problem);
      expect(events).toHaveLength(2);
      writer.forgetAbsent(new Set(['uid-other']));
      await writer.report(kind('Verifier'), object('broken'), problem);
      expect(events).toHaveLength(3);
    });

    it('cuts an Event message at 1 KiB, the status keeps it whole', async () => {
      const { writer, events, patches } = stubApis();
      const long = 'x'.repeat(2000);
      await writer.report(kind('Verifier'), object('broken'), rejected(long));
      expect((events[0]?.body as { message: string }).message).toHaveLength(1024);
      expect(patches[0]?.request).toMatchObject({ body: { status: { error: long } } });
    });
  });
});
