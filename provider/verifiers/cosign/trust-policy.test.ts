import { selectCosignTrustPolicy } from './trust-policy.js';

const POLICIES = [
  { name: 'global', scopes: ['*'] },
  { name: 'team', scopes: ['registry.example/team/*'] },
  { name: 'exact', scopes: ['registry.example/apps/web', 'other.example/web'] },
];

describe('selectCosignTrustPolicy', () => {
  describe("Ratify's scope rules", () => {
    it.each([
      ['registry.example/team/app', 'team'],
      ['registry.example/team/nested/app', 'team'],
      ['registry.example/apps/web', 'exact'],
      ['other.example/web', 'exact'],
      ['registry.example/apps/web2', 'global'],
      ['registry.example/teams/app', 'global'],
    ])('%s → %s', (repository, expected) => {
      expect(selectCosignTrustPolicy(POLICIES, repository)?.name).toBe(expected);
    });

    it('selects nothing when no scope covers the repository and there is no global policy', () => {
      expect(selectCosignTrustPolicy(POLICIES.slice(1), 'registry.example/apps/web2')).toBeUndefined();
    });
  });
});
