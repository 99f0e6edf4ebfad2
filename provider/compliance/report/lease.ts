// Leader election through a coordination.k8s.io/v1 Lease, so that of several `signet serve` replicas one writes
// the periodic PolicyReports. client-go's protocol (tools/leaderelection): create the Lease if there is none;
// the holder renews `renewTime` each round; another candidate takes over only after the Lease has not changed for
// `leaseDurationSeconds` by its own clock (the time it last saw the record change, not the holder's timestamps,
// so clock skew between nodes does not matter) and counts a transition. Every write is conditional on the
// resourceVersion read, so two candidates never both win a round.
import type { ClusterClient } from './cluster.js';

export interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions: number;
  /** The version read; a write with it fails when someone else wrote meanwhile. */
  readonly resourceVersion?: string;
}

export interface LeaseStore {
  get(): Promise<LeaseRecord | undefined>;
  /** False when the Lease exists already. */
  create(record: LeaseRecord): Promise<boolean>;
  /** False on a conflict (the Lease changed since `record.resourceVersion` was read). */
  update(record: LeaseRecord): Promise<boolean>;
}

export interface Clock {
  now(): Date;
}

export interface LeaderElectorOptions {
  readonly store: LeaseStore;
  /** This candidate (e.g. the pod name). */
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly clock?: Clock;
}

/** Kubernetes' MicroTime wire format: RFC 3339 with exactly six fractional digits. */
export function toMicroTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.renewTime === b.renewTime &&
    a.acquireTime === b.acquireTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

export class LeaderElector {
  private readonly store: LeaseStore;
  private readonly clock: Clock;
  readonly identity: string;
  private readonly durationMs: number;
  private observed: LeaseRecord | undefined;
  private observedAt = 0;
  private leading = false;

  constructor(options: LeaderElectorOptions) {
    this.store = options.store;
    this.identity = options.identity;
    this.durationMs = options.leaseDurationSeconds * 1000;
    this.clock = options.clock ?? { now: () => new Date() };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** One round: acquire, renew or take over when possible. Resolves whether this candidate leads now. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const stamp = toMicroTime(now);
    const current = await this.store.get();
    if (current === undefined) {
      this.leading = await this.store.create({
        holderIdentity: this.identity,
        leaseDurationSeconds: this.durationMs / 1000,
        acquireTime: stamp,
        renewTime: stamp,
        leaseTransitions: 0,
      });
      return this.leading;
    }
    if (this.observed === undefined || !sameRecord(this.observed, current)) {
      this.observed = current;
      this.observedAt = now.getTime();
    }
    const held = current.holderIdentity !== '' && current.holderIdentity !== this.identity;
    if (held && this.observedAt + current.leaseDurationSeconds * 1000 > now.getTime()) {
      this.leading = false;
      return false;
    }
    const renewing = current.holderIdentity === this.identity;
    this.leading = await this.store.update({
      holderIdentity: this.identity,
      leaseDurationSeconds: this.durationMs / 1000,
      acquireTime: renewing ? (current.acquireTime ?? stamp) : stamp,
      renewTime: stamp,
      leaseTransitions: renewing ? current.leaseTransitions : current.leaseTransitions + 1,
      ...(current.resourceVersion === undefined ? {} : { resourceVersion: current.resourceVersion }),
    });
    return this.leading;
  }

  /** Gives the Lease up (empty holder), so another replica takes over at once instead of after the duration. */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    const current = await this.store.get();
    if (current === undefined || current.holderIdentity !== this.identity) return;
    await this.store.update({ ...current, holderIdentity: '', leaseDurationSeconds: 1 });
  }
}

const LEASE_API = 'coordination.k8s.io/v1';

/** The Lease `namespace/name` through the Kubernetes API. */
export function kubernetesLeaseStore(client: ClusterClient, namespace: string, name: string): LeaseStore {
  const toObject = (record: LeaseRecord) => ({
    apiVersion: LEASE_API,
    kind: 'Lease',
    metadata: {
      name,
      namespace,
      ...(record.resourceVersion === undefined ? {} : { resourceVersion: record.resourceVersion }),
    },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      ...(record.acquireTime === undefined ? {} : { acquireTime: record.acquireTime }),
      ...(record.renewTime === undefined ? {} : { renewTime: record.renewTime }),
      leaseTransitions: record.leaseTransitions,
    },
  });
  return {
    async get() {
      const object = await client.read(LEASE_API, 'Lease', name, namespace);
      if (object === undefined) return undefined;
      const spec = (object.spec ?? {}) as Record<string, unknown>;
      const resourceVersion = (object.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
      // client-node returns MicroTime fields as Date objects; keep the wire string.
      const time = (value: unknown) =>
        value instanceof Date ? toMicroTime(value) : typeof value === 'string' ? value : undefined;
      const acquireTime = time(spec.acquireTime);
      const renewTime = time(spec.renewTime);
      return {
        holderIdentity: typeof spec.holderIdentity === 'string' ? spec.holderIdentity : '',
        leaseDurationSeconds: typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : 15,
        ...(acquireTime === undefined ? {} : { acquireTime }),
        ...(renewTime === undefined ? {} : { renewTime }),
        leaseTransitions: typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : 0,
        ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}),
      };
    },
    create: (record) => client.create(toObject(record)),
    update: (record) => client.replace(toObject(record)),
  };
}
