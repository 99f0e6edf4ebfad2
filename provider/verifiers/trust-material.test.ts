import { createSnapshot, parseConfigYaml, toNamespaceView, type ConfigSnapshot } from '../config/index.js';
import { trustMaterialOf, verifierOf } from './trust-material.js';

const STORE = `apiVersion: config.ratify.deislabs.io/v1beta1
kind: Store
metadata:
  name: store-oras
spec:
  name: oras
`;

/** A cosign Verifier whose only key file does not exist: it cannot verify anything. */
const BROKEN_COSIGN = `apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-cosign
spec:
  name: cosign
  artifactTypes: application/vnd.dev.cosign.artifact.sig.v1+json
  parameters:
    trustPolicies:
      - name: keyed
        scopes: ["*"]
        keys: [{ file: /nonexistent/signet-test/cosign.pub }]
        tLogVerify: false
`;

function snapshotOf(...documents: string[]): ConfigSnapshot {
  const resources = parseConfigYaml(documents.join('---\n'), 'trust-material.test.ts');
  return createSnapshot(resources, { generation: 7, source: 'trust-material.test.ts' });
}

describe('trustMaterialOf', () => {
  describe('one build per snapshot', () => {
    it('returns the same material, and the same verifiers, every time it is asked', async () => {
      const snapshot = snapshotOf(STORE, BROKEN_COSIGN);
      const material = await trustMaterialOf(snapshot);
      expect(await trustMaterialOf(snapshot)).toBe(material);
      const view = toNamespaceView(snapshot, undefined);
      const [verifier] = material.verifiersFor(view);
      expect(verifier).toBeDefined();
      expect(material.verifiersFor(view)[0]).toBe(verifier);
    });

    it('shares the build with the per-resource check the Kubernetes status uses', async () => {
      const snapshot = snapshotOf(STORE, BROKEN_COSIGN);
      const [config] = snapshot.verifiers;
      if (config === undefined) throw new Error('the snapshot has no verifier');
      const checked = await verifierOf(config);
      expect((await trustMaterialOf(snapshot)).verifiersFor(toNamespaceView(snapshot, undefined))).toEqual([
        checked,
      ]);
    });
  });

  describe('problems', () => {
    it('names every verifier that cannot verify anything, found when the material is built', async () => {
      const material = await trustMaterialOf(snapshotOf(STORE, BROKEN_COSIGN));
      expect(material.generation).toBe(7);
      expect(material.problems).toHaveLength(1);
      expect(material.problems[0]).toMatchObject({ kind: 'Verifier', name: 'cosign' });
      expect(material.problems[0]?.error.code).toBe('CONFIG_INVALID');
    });
  });
});
