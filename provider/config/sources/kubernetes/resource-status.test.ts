import { MAX_BRIEF_ERROR_LENGTH, isStatusCurrent, toResourceStatus } from './resource-status.js';

const NOW = new Date('2026-11-23T11:00:00.123Z');

describe('toResourceStatus', () => {
  describe('an accepted resource', () => {
    it('reports success, clears the error fields and stamps the time without milliseconds', () => {
      expect(toResourceStatus({ $case: 'accepted', inventory: undefined }, false, NOW)).toEqual({
        issuccess: true,
        error: null,
        brieferror: null,
        lastfetchedtime: '2026-11-23T11:00:00Z',
      });
    });

    it('lists a key provider inventory under properties', () => {
      const inventory = { certificates: [], keys: [{ algorithm: 'ec', sha256: 'ab' }] };
      expect(toResourceStatus({ $case: 'accepted', inventory }, true, NOW).properties).toEqual(inventory);
    });
  });

  describe('a rejected resource', () => {
    it('keeps the whole message in error and a truncated one in brieferror, as Ratify does', () => {
      const message = 'spec.parameters.trustPolicyDoc.version: must be "1.0"';
      const status = toResourceStatus({ $case: 'rejected', message }, true, NOW);
      expect(status).toEqual({
        issuccess: false,
        error: message,
        brieferror: `${message.slice(0, MAX_BRIEF_ERROR_LENGTH)}...`,
        lastfetchedtime: '2026-11-23T11:00:00Z',
        properties: null,
      });
    });
  });
});

describe('isStatusCurrent', () => {
  describe('comparison', () => {
    const desired = toResourceStatus(
      {
        $case: 'accepted',
        inventory: {
          certificates: [
            { subject: 'CN=a', issuer: 'CN=a', serialNumber: '01', notAfter: 'x', sha256: 'ff' },
          ],
          keys: [],
        },
      },
      true,
      NOW,
    );

    it('ignores the time and the key order the API server returns', () => {
      const stored = {
        issuccess: true,
        lastfetchedtime: '2020-01-01T00:00:00Z',
        properties: {
          keys: [],
          certificates: [
            { issuer: 'CN=a', notAfter: 'x', serialNumber: '01', sha256: 'ff', subject: 'CN=a' },
          ],
        },
      };
      expect(isStatusCurrent(stored, desired)).toBe(true);
    });

    it('sees a changed inventory, a changed verdict and a missing status', () => {
      expect(isStatusCurrent({ issuccess: true, properties: { certificates: [], keys: [] } }, desired)).toBe(
        false,
      );
      expect(isStatusCurrent({ issuccess: false, error: 'x', brieferror: 'x' }, desired)).toBe(false);
      expect(isStatusCurrent(undefined, desired)).toBe(false);
    });
  });
});
