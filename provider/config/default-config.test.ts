import { fileURLToPath } from 'node:url';
import type { NotationVerifierConfig } from './config.types.js';
import { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_URL, loadDefaultConfig } from './default-config.js';
import { toNamespaceView } from './snapshot/namespace-view.js';

describe('loadDefaultConfig', () => {
  describe('the embedded default', () => {
    it('lies next to the module, where npm run build copies it', () => {
      expect(fileURLToPath(DEFAULT_CONFIG_URL)).toMatch(/provider\/config\/default-config\.yaml$/);
    });

    it('loads: an oras store, a strict notation verifier and a config policy', async () => {
      const snapshot = await loadDefaultConfig(5);
      expect(snapshot.generation).toBe(5);
      expect(snapshot.sourceDescription).toBe(DEFAULT_CONFIG_SOURCE);
      const view = toNamespaceView(snapshot, undefined);
      expect(view.stores.map((store) => store.name)).toEqual(['oras']);
      const [verifier] = view.verifiers as NotationVerifierConfig[];
      expect(verifier?.name).toBe('notation');
      expect(verifier?.trustPolicyDoc.trustPolicies[0]?.signatureVerification.level).toBe('strict');
      expect(verifier?.verificationCerts).toEqual(['/etc/signet/truststore/notation']);
      expect(view.policy).toMatchObject({ type: 'config-policy', defaultRule: 'all' });
    });
  });
});
