import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { isRecord } from '../../schema/reader.js';
import { KUBERNETES_KINDS, RATIFY_GROUP } from './resource-kinds.js';
import type { KubernetesKind } from './resource-kinds.js';

// The CRDs shipped in deploy/ must match what the controller watches; the chart carries a copy.
const CRD_DIR = new URL('../../../../deploy/crds/', import.meta.url);
const CHART_CRD_DIR = new URL('../../../../deploy/helm/signet/crds/', import.meta.url);

function readCrd(kind: KubernetesKind): Record<string, unknown> {
  const file = `${kind.group}_${kind.plural}.yaml`;
  const parsed: unknown = parse(readFileSync(new URL(file, CRD_DIR), 'utf8'));
  if (!isRecord(parsed)) throw new Error(`${file}: not a mapping`);
  return parsed;
}

function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number') current = Array.isArray(current) ? (current[key] as unknown) : undefined;
    else current = isRecord(current) ? current[key] : undefined;
  }
  return current;
}

describe('deploy/crds', () => {
  describe('one CRD per watched kind', () => {
    it.each(KUBERNETES_KINDS.map((kind) => [kind.kind, kind] as const))(
      '%s has its plural, scope, version and status subresource',
      (_, kind) => {
        const crd = readCrd(kind);
        expect(at(crd, 'metadata', 'name')).toBe(`${kind.plural}.${kind.group}`);
        expect(at(crd, 'spec', 'group')).toBe(kind.group);
        expect(at(crd, 'spec', 'names', 'kind')).toBe(kind.kind);
        expect(at(crd, 'spec', 'scope')).toBe(kind.namespaced ? 'Namespaced' : 'Cluster');
        expect(at(crd, 'spec', 'versions', 0, 'name')).toBe(kind.version);
        expect(at(crd, 'spec', 'versions', 0, 'subresources')).toEqual({ status: {} });
        const schema = at(crd, 'spec', 'versions', 0, 'schema', 'openAPIV3Schema', 'properties');
        // Ratify's parameters are open-ended; kritis' specs are closed and fully described.
        if (kind.group === RATIFY_GROUP) {
          expect(at(schema, 'spec', 'properties', 'parameters', 'x-kubernetes-preserve-unknown-fields')).toBe(
            true,
          );
        }
        expect(Object.keys(at(schema, 'status', 'properties') as object)).toEqual(
          expect.arrayContaining(['issuccess', 'error', 'brieferror', 'lastfetchedtime']),
        );
      },
    );
  });

  describe('the Helm chart copy', () => {
    it('is identical, file for file', () => {
      const files = readdirSync(CRD_DIR).sort();
      expect(readdirSync(CHART_CRD_DIR).sort()).toEqual(files);
      expect(files).toHaveLength(KUBERNETES_KINDS.length);
      for (const file of files) {
        expect(readFileSync(new URL(file, CHART_CRD_DIR), 'utf8')).toBe(
          readFileSync(new URL(file, CRD_DIR), 'utf8'),
        );
      }
    });
  });
});
