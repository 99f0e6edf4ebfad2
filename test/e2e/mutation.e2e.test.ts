// Tag → digest pinning: Gatekeeper's Assign mutators of constraints/mutation/ call signet's mutate endpoint
// (Provider ratify-mutation-provider) before validation, so the digest SignetVerification judged is the one stored
// in the object the kubelet would run; an image signet cannot resolve is rejected (failurePolicy Fail).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../helpers/gatekeeper.js';
import type { PushedManifest } from '../helpers/images.js';
import { REPO_ROOT } from '../helpers/process.js';
import { PROVIDER_TIMEOUT_SECONDS, startAdmissionBed, type AdmissionBed } from './admission-bed.js';

let bed: AdmissionBed;
let signed: PushedManifest;
let signedInit: PushedManifest;
let unsigned: PushedManifest;

const namespace = 'mutation';
const MUTATION_PROVIDER = 'ratify-mutation-provider';

/** The Assign mutators of constraints/mutation/, limited to this suite's namespace. */
async function pinDigestMutators(): Promise<KubeObject[]> {
  const text = await readFile(join(REPO_ROOT, 'constraints', 'mutation', 'signet-pin-digest.yaml'), 'utf8');
  return parseAllDocuments(text).map((document) => {
    const mutator = document.toJS() as KubeObject & { spec: { match: Record<string, unknown> } };
    return {
      ...mutator,
      spec: { ...mutator.spec, match: { ...mutator.spec.match, namespaces: [namespace] } },
    };
  });
}

beforeAll(async () => {
  bed = await startAdmissionBed('mutation');
  [signed, signedInit, unsigned] = await Promise.all([
    bed.pushSigned('pin/app', 'v1'),
    bed.pushSigned('pin/init', 'v1'),
    bed.pushUnsigned('pin/unsigned', 'v1'),
  ]);
  await bed.gatekeeper.applyProvider(
    bed.signet.providerResource(MUTATION_PROVIDER, 'mutate', PROVIDER_TIMEOUT_SECONDS),
  );
  for (const mutator of await pinDigestMutators()) await bed.gatekeeper.applyMutator(mutator);
  await bed.applyTemplate('signetverification');
  await bed.createNamespace(namespace);
  await bed.gatekeeper.applyConstraint(
    bed.sampleConstraint('deny', 'signet-verification', {
      name: 'signet-verification-deny',
      namespaces: [namespace],
    }),
  );
}, 600_000);

afterAll(async () => {
  await bed?.stop();
}, 120_000);

async function storedImages(resource: string, path: string): Promise<string> {
  const { stdout } = await bed.kube.kubectl(['get', resource, '-n', namespace, '-o', `jsonpath=${path}`]);
  return stdout;
}

describe('tag → digest pinning with Gatekeeper Assign and signet', () => {
  it('stores the digest signet resolved for a signed tag', () =>
    bed.explain(async () => {
      const result = await bed.admit('mutation: signed tag', [
        'run',
        'pinned',
        `--image=${signed.reference}`,
        '-n',
        namespace,
      ]);
      expect(result.stdout.trim()).toBe('pod/pinned created');
      expect(await storedImages('pod/pinned', '{.spec.containers[0].image}')).toBe(signed.digestReference);
    }));

  it('pins the containers and init containers of a Deployment', () =>
    bed.explain(async () => {
      const labels = { app: 'pinned-web' };
      const deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'pinned-web', namespace },
        spec: {
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              initContainers: [{ name: 'init', image: signedInit.reference }],
              containers: [{ name: 'app', image: signed.reference }],
            },
          },
        },
      };
      const result = await bed.admit('mutation: Deployment', ['apply', '-f', '-'], {
        input: JSON.stringify(deployment),
      });
      expect(result.stdout.trim()).toBe('deployment.apps/pinned-web created');
      const images = await storedImages(
        'deployment/pinned-web',
        '{.spec.template.spec.initContainers[0].image} {.spec.template.spec.containers[0].image}',
      );
      expect(images).toBe(`${signedInit.digestReference} ${signed.digestReference}`);
    }));

  it('judges the pinned digest: an unsigned tag is rejected naming its digest', () =>
    bed.explain(async () => {
      const result = await bed.admit('mutation: unsigned tag', [
        'run',
        'unsigned',
        `--image=${unsigned.reference}`,
        '-n',
        namespace,
      ]);
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain(
        `[signet-verification-deny] image verification failed for ${unsigned.digestReference}: signature not found`,
      );
    }));

  it('rejects an image signet cannot resolve (failurePolicy Fail)', () =>
    bed.explain(async () => {
      const missing = `${bed.registry.host}/pin/app:does-not-exist`;
      const result = await bed.admit('mutation: unknown tag', [
        'run',
        'missing',
        `--image=${missing}`,
        '-n',
        namespace,
      ]);
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain(
        'admission webhook "mutation.gatekeeper.sh" denied the request: failed to resolve external data placeholders: ' +
          `failed to validate external data response from provider ${MUTATION_PROVIDER}: non-empty system error:`,
      );
      expect(result.stderr).toContain(
        `REGISTRY_NOT_FOUND (resolve): image verification failed for ${missing}`,
      );
    }));
});
