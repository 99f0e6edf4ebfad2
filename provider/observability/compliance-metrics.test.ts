import { Registry } from 'prom-client';
import { createComplianceMetrics } from './metrics.js';

describe('createComplianceMetrics', () => {
  describe('record and clear', () => {
    it('exports resources per assignment and state and the percentage, replacing the previous round', async () => {
      const registry = new Registry();
      const metrics = createComplianceMetrics(registry);
      const resources = { Compliant: 8, NonCompliant: 25, Error: 1, Unknown: 0, Exempt: 3 };
      metrics.record([{ assignment: 'gone', resources, compliancePercent: null }]);
      metrics.record([{ assignment: 'integrity', resources, compliancePercent: 23.5 }]);
      const text = await registry.metrics();
      expect(text).toContain('signet_compliance_resources{assignment="integrity",state="NonCompliant"} 25');
      expect(text).toContain('signet_compliance_resources{assignment="integrity",state="Exempt"} 3');
      expect(text).toContain('signet_compliance_percent{assignment="integrity"} 23.5');
      expect(text).not.toContain('assignment="gone"');
      metrics.clear();
      expect(await registry.metrics()).not.toContain('assignment="integrity"');
    });
  });
});
