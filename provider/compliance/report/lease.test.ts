import { LeaderElector, toMicroTime, type LeaseRecord, type LeaseStore } from './lease.js';

/** The apiserver's optimistic concurrency for one Lease: every write bumps resourceVersion; a stale one conflicts. */
function memoryLeaseStore() {
  let stored: LeaseRecord | undefined;
  let version = 0;
  const store: LeaseStore = {
    get: () => Promise.resolve(stored),
    create(record) {
      if (stored !== undefined) return Promise.resolve(false);
      version += 1;
      stored = { ...record, resourceVersion: String(version) };
      return Promise.resolve(true);
    },
    update(record) {
      if (stored === undefined || record.resourceVersion !== stored.resourceVersion)
        return Promise.resolve(false);
      version += 1;
      stored = { ...record, resourceVersion: String(version) };
      return Promise.resolve(true);
    },
  };
  return { store, current: () => stored };
}

function clockAt(start: string) {
  let now = Date.parse(start);
  return { now: () => new Date(now), advance: (seconds: number) => (now += seconds * 1000) };
}

describe('LeaderElector', () => {
  describe('acquire', () => {
    it('creates the Lease and leads when there is none', async () => {
      const { store, current } = memoryLeaseStore();
      const clock = clockAt('2026-12-01T10:00:00Z');
      const a = new LeaderElector({ store, identity: 'a', leaseDurationSeconds: 15, clock });
      expect(await a.tryAcquireOrRenew()).toBe(true);
      expect(current()).toMatchObject({
        holderIdentity: 'a',
        leaseDurationSeconds: 15,
        acquireTime: '2026-12-01T10:00:00.000000Z',
        renewTime: '2026-12-01T10:00:00.000000Z',
        leaseTransitions: 0,
      });
    });
  });

  describe('renew', () => {
    it('the holder renews renewTime and keeps acquireTime; the other candidate waits', async () => {
      const { store, current } = memoryLeaseStore();
      const clock = clockAt('2026-12-01T10:00:00Z');
      const a = new LeaderElector({ store, identity: 'a', leaseDurationSeconds: 15, clock });
      const b = new LeaderElector({ store, identity: 'b', leaseDurationSeconds: 15, clock });
      await a.tryAcquireOrRenew();
      expect(await b.tryAcquireOrRenew()).toBe(false);
      clock.advance(10);
      expect(await a.tryAcquireOrRenew()).toBe(true);
      expect(current()).toMatchObject({
        holderIdentity: 'a',
        acquireTime: '2026-12-01T10:00:00.000000Z',
        renewTime: '2026-12-01T10:00:10.000000Z',
      });
      // b saw the record change at +10 s: 10 s later it is not expired yet.
      clock.advance(10);
      expect(await b.tryAcquireOrRenew()).toBe(false);
      expect(b.isLeader).toBe(false);
    });
  });

  describe('take over after expiry', () => {
    it('takes the Lease once it has not changed for the duration, counting a transition', async () => {
      const { store, current } = memoryLeaseStore();
      const clock = clockAt('2026-12-01T10:00:00Z');
      const a = new LeaderElector({ store, identity: 'a', leaseDurationSeconds: 15, clock });
      const b = new LeaderElector({ store, identity: 'b', leaseDurationSeconds: 15, clock });
      await a.tryAcquireOrRenew();
      expect(await b.tryAcquireOrRenew()).toBe(false);
      clock.advance(14);
      expect(await b.tryAcquireOrRenew()).toBe(false);
      clock.advance(1);
      expect(await b.tryAcquireOrRenew()).toBe(true);
      expect(current()).toMatchObject({
        holderIdentity: 'b',
        acquireTime: '2026-12-01T10:00:15.000000Z',
        leaseTransitions: 1,
      });
      // The old holder's next round sees another holder and steps down.
      expect(await a.tryAcquireOrRenew()).toBe(false);
    });

    it('judges expiry by its own clock, not the holder timestamps (clock skew)', async () => {
      const { store } = memoryLeaseStore();
      const holderClock = clockAt('2030-01-01T00:00:00Z');
      const candidateClock = clockAt('2026-12-01T10:00:00Z');
      const a = new LeaderElector({ store, identity: 'a', leaseDurationSeconds: 15, clock: holderClock });
      const b = new LeaderElector({ store, identity: 'b', leaseDurationSeconds: 15, clock: candidateClock });
      await a.tryAcquireOrRenew();
      expect(await b.tryAcquireOrRenew()).toBe(false);
      candidateClock.advance(16);
      expect(await b.tryAcquireOrRenew()).toBe(true);
    });
  });

  describe('conflicts', () => {
    it('of two candidates racing for an expired Lease exactly one wins', async () => {
      const { store, current } = memoryLeaseStore();
      const clock = clockAt('2026-12-01T10:00:00Z');
      const a = new LeaderElector({ store, identity: 'a', leaseDurationSeconds: 5, clock });
      const b = new LeaderElector({ store, identity: 'b', leaseDurationSeconds: 5, clock });
      const c = new LeaderElector({ store, identity: 'c', leaseDurationSeconds: 5, clock });
      await a.tryAcquireOrRenew();
      await Promise.all([b.tryAcquireOrRenew(), c.tryAcquireOrRenew()]);
      clock.advance(6);
      const won = await Promise.all([b.tryAcquireOrRenew(), c.tryAcquireOrRenew()]);
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(['b', 'c']).toContain(current()?.holderIdentity);
    });
  });

  describe('release', () => {
    it('empties the holder so another candidate takes over at once', async () => {
      const { store, current } = memoryLeaseStore();
      const clock = clockAt('2026-12-01T10:00:00Z');
      const a = new LeaderElector({ store, identity: 'a', leaseDurationSeconds: 15, clock });
      const b = new LeaderElector({ store, identity: 'b', leaseDurationSeconds: 15, clock });
      await a.tryAcquireOrRenew();
      await a.release();
      expect(current()?.holderIdentity).toBe('');
      expect(await b.tryAcquireOrRenew()).toBe(true);
    });
  });

  describe('toMicroTime', () => {
    it('writes six fractional digits, as Kubernetes MicroTime requires', () => {
      expect(toMicroTime(new Date('2026-12-01T10:00:00.123Z'))).toBe('2026-12-01T10:00:00.123000Z');
    });
  });
});
