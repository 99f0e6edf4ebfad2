// Kubernetes-native configuration on a real control plane (etcd + kube-apiserver): Ratify's resources
// applied with kubectl, signet serve --config-source kubernetes as its own process authenticated as the
// chart's ServiceAccount bound only by the chart's RBAC, images signed by the real notation CLI.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import {
  notationVerifier,
  pollUntil,
  prepareSignetNamespace,
  ratifyResource,
  readStatus,
  secretManifest,
  seedPath,
  startSignetOnKubernetes,
} from '../helpers/k8s-config.js';
import { startKubeApiserver, type KubeApiserver } from '../helpers/kube-apiserver.js';
import { createNotationSigner, type NotationSigner } from '../helpers/notation.js';
import type { StartedProvider } from '../helpers/process.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { seedConfigWithCertificate } from '../helpers/seeds.js';
import { toolsBinDir } from '../helpers/tools.js';

const VERIFY = '/ratify/gatekeeper/v1/verify';
const RELEASE = 'signet';
const NAMESPACE = 'signet-system';
const WAIT_LIMIT_MS = 30_000;
/** Seconds between the controller's resyncs (rebuild from cache, statuses re-checked). */
const RESYNC_SECONDS = 5;

let dir: string;
let api: KubeApiserver;
let registry: TestRegistry;
let provider: StartedProvider;
let signerA: NotationSigner;
let signerB: NotationSigner;
let certificateA: string;
let certificateB: string;
let imageA: PushedManifest;
let imageB: PushedManifest;
let unsigned: PushedManifest;
/** signet's HOME, where the tests' docker credential helper keeps its store. */
let helperHome: string;
/** kubectl apply → verdict change, per scenario, written to the test output for the report. */
const timings: Record<string, number> = {};

const sep = '---\n';

async function verdict(key: string): Promise<ProviderItem> {
  const answer = await callProvider(`${provider.url}${VERIFY}`, [key]);
  const item = answer.body.response?.items?.[0];
  if (item === undefined) throw new Error(`no item for ${key}: ${JSON.stringify(answer.body)}`);
  return item;
}

async function isAllowed(key: string): Promise<boolean> {
  const answer = await callProvider(`${provider.url}${VERIFY}`, [key]);
  return answer.body.response?.items?.[0]?.value?.isSuccess === true;
}

/** Polls until `condition` holds; resolves with the milliseconds it took, fails naming `what`. */
function waitFor(what: string, condition: () => Promise<boolean>, limitMs = WAIT_LIMIT_MS): Promise<number> {
  return pollUntil(what, condition, {
    limitMs,
    context: () => `signet output:\n${provider?.output().slice(-4000) ?? ''}`,
  });
}

async function apply(manifest: string): Promise<void> {
  await api.kubectl(['apply', '-f', '-'], { input: manifest });
}

async function waitForStatus(
  resource: string,
  name: string,
  namespace: string | undefined,
  condition: (status: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  await waitFor(`status of ${resource} ${name} (last: ${JSON.stringify(last)})`, async () => {
    last = await readStatus(api, resource, name, namespace);
    return condition(last);
  });
  return last;
}

const signerProvider = (secretName: string): string =>
  ratifyResource(
    'KeyManagementProvider',
    { name: 'signer-certs' },
    {
      type: 'inline',
      parameters: {
        contentType: 'certificate',
        valueFrom: { secretKeyRef: { name: secretName, key: 'ca.crt' } },
      },
    },
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-k8s-config-'));
  // One at a time, so that afterAll stops whichever started when the other fails.
  registry = await startRegistry();
  api = await startKubeApiserver();
  signerA = await createNotationSigner(join(dir, 'a'), 'signer-a');
  signerB = await createNotationSigner(join(dir, 'b'), 'signer-b');
  certificateA = await readFile(signerA.certificatePath, 'utf8');
  certificateB = await readFile(signerB.certificatePath, 'utf8');
  [imageA, imageB, unsigned] = await Promise.all([
    pushImage(registry, 'app/a', 'v1'),
    pushImage(registry, 'app/b', 'v1'),
    pushImage(registry, 'app/unsigned', 'v1'),
  ]);
  await signerA.sign(imageA.digestReference);
  await signerB.sign(imageB.digestReference);

  const kubeconfig = await prepareSignetNamespace(api, RELEASE, NAMESPACE, ['team-a']);

  // The AKS seed, unchanged, then what makes it verify the test signer: its certificate in a Secret.
  await api.kubectl(['apply', '-f', seedPath('verify-config-kmp.yaml')]);
  await apply(
    secretManifest(NAMESPACE, 'signer-ca', { 'ca.crt': certificateA }) +
      sep +
      signerProvider('signer-ca') +
      sep +
      notationVerifier('Verifier', { name: 'verifier-notation' }, ['signer-certs']),
  );
  // The tests' docker credential helper on PATH, its store in the HOME signet runs with (k8Secrets' credHelpers).
  helperHome = join(dir, 'helper-home');
  await mkdir(helperHome);
  provider = await startSignetOnKubernetes(kubeconfig, NAMESPACE, RESYNC_SECONDS, {
    HOME: helperHome,
    PATH: `${toolsBinDir()}:${process.env.PATH ?? ''}`,
  });
}, 300_000);

afterAll(async () => {
  process.stdout.write(
    `k8s-config timings (ms, kubectl apply → verdict change): ${JSON.stringify(timings)}\n`,
  );
  if (dir !== undefined)
    await writeFile(join(tmpdir(), 'signet-k8s-config-timings.json'), JSON.stringify(timings));
  await provider?.stop();
  await Promise.all([api?.stop(), registry?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('Kubernetes configuration source', () => {
  describe('the AKS seeds applied unchanged', () => {
    it('reports success on the KeyManagementProvider and Store, with the certificate inventory', async () => {
      const kmp = await waitForStatus(
        'keymanagementproviders',
        'certstore-inline',
        undefined,
        (s) => s.issuccess === true,
      );
      expect(kmp.error).toBeUndefined();
      expect(kmp.lastfetchedtime).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/));
      const properties = kmp.properties as { certificates: { subject: string; sha256: string }[] };
      expect(properties.certificates).toHaveLength(1);
      expect(properties.certificates[0]?.subject).toContain('CN=Ratify Sample');
      const store = await waitForStatus('stores', 'store-oras', undefined, (s) => s.issuccess === true);
      expect(store.error).toBeUndefined();
    });

    it("accepts the seed's Verifier (strict, any identity) and records no Warning Event", async () => {
      const status = await waitForStatus(
        'verifiers',
        'verifier-notary-inline',
        undefined,
        (s) => s.issuccess === true,
      );
      expect(status.error).toBeUndefined();
      const { stdout } = await api.kubectl([
        'get',
        'events',
        '-A',
        '--field-selector',
        'involvedObject.name=verifier-notary-inline',
        '-o',
        'json',
      ]);
      const events = (JSON.parse(stdout) as { items: { type: string }[] }).items;
      expect(events.filter((event) => event.type === 'Warning')).toEqual([]);
      // Ratify's sample CA signed none of the test images: its verifier denies the test signer's image.
      expect(await isAllowed(imageA.reference)).toBe(false);
    });

    it('with the test CA in place of the sample CA, allows the signed image', async () => {
      await apply(await seedConfigWithCertificate('verify-config-kmp.yaml', certificateA));
      timings.seedWithTestCa = await waitFor('the seed-shaped config to allow image A', () =>
        isAllowed(imageA.reference),
      );
    });

    it('verifies the image signed by the trusted signer and denies the others', async () => {
      await waitForStatus('verifiers', 'verifier-notation', undefined, (s) => s.issuccess === true);
      expect(await isAllowed(imageA.reference)).toBe(true);
      expect(await isAllowed(imageB.reference)).toBe(false);
      const denied = await verdict(unsigned.reference);
      expect(denied.value?.isSuccess).toBe(false);
      expect(denied.value?.verifierReports?.[0]?.message).toBe(
        `image verification failed for ${unsigned.reference}: signature not found`,
      );
    });

    it('takes the CertificateStore seed unchanged too', async () => {
      await api.kubectl(['apply', '-n', 'default', '-f', seedPath('verify-config-certificatestore.yaml')]);
      const status = await waitForStatus(
        'certificatestores',
        'certstore-inline',
        'default',
        (s) => s.issuccess === true,
      );
      const properties = status.properties as { certificates: { subject: string }[] };
      expect(properties.certificates[0]?.subject).toContain('CN=Ratify Sample');
      expect(await isAllowed(imageA.reference)).toBe(true);
      // The seed's Verifier goes, so that the tests below judge by the test's own Verifier alone.
      await api.kubectl(['delete', 'verifier', 'verifier-notary-inline']);
      await waitFor(
        'one verifier report per image',
        async () => (await verdict(imageA.reference)).value?.verifierReports?.length === 1,
      );
    });
  });

  describe('an invalid resource', () => {
    it('gets a precise status error while verification keeps the last good configuration', async () => {
      await apply(
        notationVerifier('Verifier', { name: 'verifier-notation' }, ['signer-certs'], { version: '2.0' }),
      );
      const status = await waitForStatus(
        'verifiers',
        'verifier-notation',
        undefined,
        (s) => s.issuccess === false,
      );
      expect(status.error).toBe('spec.parameters.trustPolicyDoc.version: must be "1.0"');
      expect(status.brieferror).toBe('spec.parameters.trustPolicyDoc...');
      expect(await isAllowed(imageA.reference)).toBe(true);

      await apply(notationVerifier('Verifier', { name: 'verifier-notation' }, ['signer-certs']));
      const fixed = await waitForStatus(
        'verifiers',
        'verifier-notation',
        undefined,
        (s) => s.issuccess === true,
      );
      expect(fixed.error).toBeUndefined();
    });
  });

  describe('a rotated certificate Secret', () => {
    it('changes verdicts without restart, within one resync', async () => {
      const before = (await readStatus(api, 'keymanagementproviders', 'signer-certs')).properties;
      await apply(secretManifest(NAMESPACE, 'signer-ca', { 'ca.crt': certificateB }));
      timings.secretRotation = await waitFor(
        'image B to verify after rotation',
        () => isAllowed(imageB.reference),
        RESYNC_SECONDS * 1000,
      );
      expect(await isAllowed(imageA.reference)).toBe(false);
      const after = await waitForStatus(
        'keymanagementproviders',
        'signer-certs',
        undefined,
        (s) => JSON.stringify(s.properties) !== JSON.stringify(before),
      );
      expect(after.issuccess).toBe(true);
    });
  });

  describe('a deleted Verifier', () => {
    it('stops its checks', async () => {
      await apply(
        notationVerifier('Verifier', { name: 'verifier-extra' }, ['signer-certs'], {
          specName: 'notation-extra',
        }),
      );
      const names = async (): Promise<string[]> =>
        ((await verdict(imageB.reference)).value?.verifierReports ?? []).map((report) => String(report.name));
      timings.verifierAdded = await waitFor('the extra verifier to report', async () =>
        (await names()).includes('notation-extra'),
      );
      await api.kubectl(['delete', 'verifiers', 'verifier-extra']);
      timings.verifierDeleted = await waitFor(
        'the extra verifier to stop reporting',
        async () => !(await names()).includes('notation-extra'),
      );
      expect(await names()).toContain('notation');
    });
  });

  describe('a NamespacedVerifier', () => {
    it('applies to keys of its namespace only', async () => {
      await apply(
        ratifyResource(
          'NamespacedKeyManagementProvider',
          { name: 'team-certs', namespace: 'team-a' },
          {
            type: 'inline',
            parameters: { contentType: 'certificate', value: certificateA },
          },
        ) +
          sep +
          notationVerifier('NamespacedVerifier', { name: 'team-notation', namespace: 'team-a' }, [
            'team-a/team-certs',
          ]),
      );
      timings.namespacedVerifier = await waitFor('team-a to trust signer A only', () =>
        isAllowed(`[team-a]${imageA.reference}`),
      );
      expect(await isAllowed(`[team-a]${imageB.reference}`)).toBe(false);
      // Other namespaces and keys without a namespace keep the cluster-wide Verifier (signer B since the rotation).
      expect(await isAllowed(`[team-b]${imageB.reference}`)).toBe(true);
      expect(await isAllowed(`[team-b]${imageA.reference}`)).toBe(false);
      expect(await isAllowed(imageB.reference)).toBe(true);
    });
  });

  describe("Ratify's k8Secrets auth provider", () => {
    it('pulls from a registry with credentials from a docker config Secret', async () => {
      const privateRegistry = await startRegistry({ auth: 'basic' });
      try {
        const image = await pushImage(privateRegistry, 'app/private', 'v1');
        // notation reads registry credentials from these variables (runTool passes the environment on).
        process.env.NOTATION_USERNAME = privateRegistry.username;
        process.env.NOTATION_PASSWORD = privateRegistry.password;
        try {
          // Signer B: trusted cluster-wide since the rotation above.
          await signerB.sign(image.digestReference);
        } finally {
          delete process.env.NOTATION_USERNAME;
          delete process.env.NOTATION_PASSWORD;
        }
        // Without credentials the image cannot be judged: a transient failure, left out for Gatekeeper to retry.
        const anonymous = await callProvider(`${provider.url}${VERIFY}`, [image.reference]);
        expect(anonymous.body.response?.systemError).toContain('REGISTRY_UNAUTHORIZED');

        await apply(
          secretManifest(
            NAMESPACE,
            'registry-pull',
            { '.dockerconfigjson': await readFile(privateRegistry.dockerConfigPath, 'utf8') },
            'kubernetes.io/dockerconfigjson',
          ) +
            sep +
            ratifyResource(
              'Store',
              { name: 'store-oras' },
              {
                name: 'oras',
                parameters: {
                  authProvider: { name: 'k8Secrets', secrets: [{ secretName: 'registry-pull' }] },
                },
              },
            ),
        );
        timings.registryCredentialsFromSecret = await waitFor('the private image to verify', () =>
          isAllowed(image.reference),
        );
        const store = await waitForStatus('stores', 'store-oras', undefined, (s) => s.issuccess === true);
        expect(JSON.stringify(store)).not.toContain(privateRegistry.password ?? 'no password');

        // Without the auth provider the credentials are gone again (the verdict cache follows the generation) ...
        await apply(ratifyResource('Store', { name: 'store-oras' }, { name: 'oras' }));
        await waitFor('the credentials to be dropped', async () => !(await isAllowed(image.reference)));
        // ... and come back through a ServiceAccount's imagePullSecrets (Ratify's serviceAccountName).
        await apply(
          stringify({
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: { name: 'registry-puller', namespace: NAMESPACE },
            imagePullSecrets: [{ name: 'registry-pull' }],
          }) +
            sep +
            ratifyResource(
              'Store',
              { name: 'store-oras' },
              {
                name: 'oras',
                parameters: { authProvider: { name: 'k8Secrets', serviceAccountName: 'registry-puller' } },
              },
            ),
        );
        timings.registryCredentialsFromServiceAccount = await waitFor(
          'the private image to verify again',
          () => isAllowed(image.reference),
        );

        // A docker config Secret may name a credential helper instead of holding the secret (credHelpers): the
        // helper (test/tools/credential-helper, upstream credentials.Serve) answers from signet's HOME.
        await apply(ratifyResource('Store', { name: 'store-oras' }, { name: 'oras' }));
        await waitFor('the credentials to be dropped again', async () => !(await isAllowed(image.reference)));
        await writeFile(
          join(helperHome, 'signet-test-helper.json'),
          JSON.stringify({
            servers: {
              [privateRegistry.host]: {
                Username: privateRegistry.username,
                Secret: privateRegistry.password,
              },
            },
          }),
        );
        await apply(
          secretManifest(
            NAMESPACE,
            'registry-helper',
            {
              '.dockerconfigjson': JSON.stringify({ credHelpers: { [privateRegistry.host]: 'signet-test' } }),
            },
            'kubernetes.io/dockerconfigjson',
          ) +
            sep +
            ratifyResource(
              'Store',
              { name: 'store-oras' },
              {
                name: 'oras',
                parameters: {
                  authProvider: { name: 'k8Secrets', secrets: [{ secretName: 'registry-helper' }] },
                },
              },
            ),
        );
        timings.registryCredentialsFromHelper = await waitFor(
          'the private image to verify through the credential helper',
          () => isAllowed(image.reference),
        );
      } finally {
        await privateRegistry.stop();
      }
    });
  });

  describe('an API server restart mid-watch', () => {
    it('is survived: the controller reconnects and follows later changes', async () => {
      await api.restart();
      const started = Date.now();
      await apply(secretManifest(NAMESPACE, 'signer-ca', { 'ca.crt': certificateA }));
      await waitFor('signer A to be trusted again after the restart', () => isAllowed(imageA.reference));
      timings.afterApiserverRestart = Date.now() - started;
      expect(await isAllowed(imageB.reference)).toBe(false);
    });
  });
});
