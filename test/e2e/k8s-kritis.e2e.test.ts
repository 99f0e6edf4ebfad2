// kritis' AttestationAuthority and GenericAttestationPolicy (seed 001) through the Kubernetes configuration
// source on a real control plane (etcd + kube-apiserver): applied with kubectl, read by `signet serve
// --config-source kubernetes` running as the chart's ServiceAccount under the chart's RBAC only, images
// signed by the real cosign CLI with an RSA-2048 key (`cosign sign --key --tlog-upload=false`).
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosignSign, createCosignKeyPair, type CosignKeyPair } from '../helpers/cosign.js';
import { callProvider, type ProviderItem } from '../helpers/gatekeeper-client.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import {
  kritisResource,
  pollUntil,
  prepareSignetNamespace,
  ratifyResource,
  readStatus,
  secretManifest,
  startSignetOnKubernetes,
} from '../helpers/k8s-config.js';
import { startKubeApiserver, type KubeApiserver } from '../helpers/kube-apiserver.js';
import type { StartedProvider } from '../helpers/process.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const VERIFY = '/ratify/gatekeeper/v1/verify';
const RELEASE = 'signet';
const NAMESPACE = 'signet-system';
/** The namespace the GenericAttestationPolicy guards. */
const GUARDED = 'team-kritis';
const WAIT_LIMIT_MS = 30_000;
const RESYNC_SECONDS = 5;
const sep = '---\n';

let dir: string;
let api: KubeApiserver;
let registry: TestRegistry;
let provider: StartedProvider;
let kms: CosignKeyPair;
let stranger: CosignKeyPair;
let kmsPem: string;
let strangerPem: string;
let signed: PushedManifest;
let unsigned: PushedManifest;
/** kubectl apply → verdict change, per scenario, written to the test output for the report. */
const timings: Record<string, number> = {};

async function verdict(key: string): Promise<ProviderItem> {
  const answer = await callProvider(`${provider.url}${VERIFY}`, [key]);
  const item = answer.body.response?.items?.[0];
  if (item === undefined) throw new Error(`no item for ${key}: ${JSON.stringify(answer.body)}`);
  return item;
}

async function reportNames(key: string): Promise<string[]> {
  return ((await verdict(key)).value?.verifierReports ?? []).map((report) => String(report.name));
}

function waitFor(what: string, condition: () => Promise<boolean>, limitMs = WAIT_LIMIT_MS): Promise<number> {
  return pollUntil(what, condition, {
    limitMs,
    context: () => `signet output:\n${provider?.output().slice(-4000) ?? ''}`,
  });
}

async function waitForStatus(
  resource: string,
  name: string,
  namespace: string | undefined,
  condition: (status: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  await waitFor(`status of ${resource} ${name}`, async () => {
    last = await readStatus(api, resource, name, namespace);
    return condition(last);
  });
  return last;
}

async function apply(manifest: string): Promise<void> {
  await api.kubectl(['apply', '-f', '-'], { input: manifest });
}

function spkiSha256(pem: string): string {
  return createHash('sha256')
    .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** ACK's form (seed 001): the PEM key base64-encoded in publicKeyData. */
const authority = (name: string, pem: string): string =>
  kritisResource(
    'AttestationAuthority',
    { name },
    {
      noteReference: `namespaces/${name}`,
      publicKeyData: Buffer.from(pem).toString('base64'),
      publicKeyId: 'kms-key-id',
    },
  );

const policy = kritisResource(
  'GenericAttestationPolicy',
  { name: 'demo-gap', namespace: GUARDED },
  { attestationAuthorityNames: ['demo-aa'] },
);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-k8s-kritis-'));
  registry = await startRegistry();
  api = await startKubeApiserver();
  [kms, stranger] = await Promise.all([
    createCosignKeyPair(join(dir, 'kms'), 'rsa-2048'),
    createCosignKeyPair(join(dir, 'stranger'), 'rsa-2048'),
  ]);
  kmsPem = await readFile(kms.publicKeyPath, 'utf8');
  strangerPem = await readFile(stranger.publicKeyPath, 'utf8');
  [signed, unsigned] = await Promise.all([
    pushImage(registry, 'kritis-demo/alpine', '3.11'),
    pushImage(registry, 'kritis-demo/unsigned', '3.11'),
  ]);
  await cosignSign(registry, kms, signed.digestReference, dir);

  const kubeconfig = await prepareSignetNamespace(api, RELEASE, NAMESPACE, [GUARDED]);

  // The Ratify configuration in force everywhere: a cosign Verifier trusting the same KMS key.
  await apply(
    ratifyResource('Store', { name: 'store-oras' }, { name: 'oras', parameters: { cosignEnabled: true } }) +
      sep +
      ratifyResource(
        'KeyManagementProvider',
        { name: 'kms-key' },
        { type: 'inline', parameters: { contentType: 'key', value: kmsPem } },
      ) +
      sep +
      ratifyResource(
        'Verifier',
        { name: 'verifier-cosign' },
        {
          name: 'cosign',
          artifactTypes: 'application/vnd.dev.cosign.artifact.sig.v1+json',
          parameters: {
            trustPolicies: [
              { name: 'default', scopes: ['*'], keys: [{ provider: 'kms-key' }], tLogVerify: false },
            ],
          },
        },
      ),
  );
  provider = await startSignetOnKubernetes(kubeconfig, NAMESPACE, RESYNC_SECONDS);
}, 300_000);

afterAll(async () => {
  process.stdout.write(
    `k8s-kritis timings (ms, kubectl apply → verdict change): ${JSON.stringify(timings)}\n`,
  );
  if (dir !== undefined)
    await writeFile(join(tmpdir(), 'signet-k8s-kritis-timings.json'), JSON.stringify(timings));
  await provider?.stop();
  await Promise.all([api?.stop(), registry?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('kritis resources on the Kubernetes source', () => {
  describe('before any kritis resource', () => {
    it('verifies a tag reference in the namespace with the Ratify cosign Verifier alone', async () => {
      await waitFor(
        'the cosign Verifier to admit the signed tag',
        async () => (await verdict(`[${GUARDED}]${signed.reference}`)).value?.isSuccess === true,
      );
      expect(await reportNames(`[${GUARDED}]${signed.reference}`)).toEqual(['cosign']);
    });
  });

  describe('an AttestationAuthority and a GenericAttestationPolicy applied with kubectl', () => {
    it('report success in status; the authority lists its RSA key', async () => {
      const started = Date.now();
      await apply(authority('demo-aa', kmsPem) + sep + policy);
      const tagKey = `[${GUARDED}]${signed.reference}`;
      await waitFor(
        'the tag reference to be refused',
        async () => (await verdict(tagKey)).value?.isSuccess === false,
      );
      timings.policyApplied = Date.now() - started;

      const aa = await waitForStatus(
        'attestationauthorities',
        'demo-aa',
        undefined,
        (s) => s.issuccess === true,
      );
      expect(aa.error).toBeUndefined();
      expect(aa.lastfetchedtime).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/));
      expect(aa.properties).toEqual({
        certificates: [],
        keys: [{ algorithm: 'rsa', sha256: spkiSha256(kmsPem) }],
      });
      const gap = await waitForStatus(
        'genericattestationpolicies',
        'demo-gap',
        GUARDED,
        (s) => s.issuccess === true,
      );
      expect(gap.error).toBeUndefined();
    });

    it('admits the signed digest reference in the policy namespace, attested by the authority', async () => {
      const item = await verdict(`[${GUARDED}]${signed.digestReference}`);
      expect(item.value?.isSuccess).toBe(true);
      expect(item.value?.verifierReports).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            isSuccess: true,
            name: 'demo-aa',
            type: 'attestor',
            extensions: expect.objectContaining({
              attestationAuthority: 'demo-aa',
              keyId: 'kms-key-id',
              keyAlgorithm: 'RSA 2048',
            }) as unknown,
          }),
          expect.objectContaining({ isSuccess: true, name: 'cosign' }),
        ]),
      );
    });

    it('refuses a tag reference: "image <ref> is not attested"', async () => {
      const item = await verdict(`[${GUARDED}]${signed.reference}`);
      expect(item.value?.isSuccess).toBe(false);
      expect(item.value?.verifierReports?.[0]?.message).toBe(`image ${signed.reference} is not attested`);
    });

    it('refuses an unsigned digest reference with the same wording', async () => {
      const item = await verdict(`[${GUARDED}]${unsigned.digestReference}`);
      expect(item.value?.isSuccess).toBe(false);
      expect(item.value?.verifierReports?.[0]?.message).toBe(
        `image ${unsigned.digestReference} is not attested`,
      );
    });

    it('leaves other namespaces and keys without a namespace unaffected', async () => {
      expect(await reportNames(`[other]${signed.reference}`)).toEqual(['cosign']);
      expect((await verdict(`[other]${signed.reference}`)).value?.isSuccess).toBe(true);
      expect((await verdict(signed.reference)).value?.isSuccess).toBe(true);
    });
  });

  describe('an AttestationAuthority with an invalid key', () => {
    it('gets a precise status error and a Warning Event; the policy in force is unchanged', async () => {
      await apply(
        kritisResource(
          'AttestationAuthority',
          { name: 'broken-aa' },
          {
            noteReference: 'namespaces/broken-aa',
            publicKeys: [
              {
                keyId: 'kms-key-id',
                keyType: 'PKIX',
                pkixPublicKey: { publicKeyPem: kmsPem, signatureAlgorithm: 'RSA_SIGN_PKCS1_4096_SHA256' },
              },
            ],
          },
        ),
      );
      const status = await waitForStatus(
        'attestationauthorities',
        'broken-aa',
        undefined,
        (s) => s.issuccess === false,
      );
      expect(status.error).toBe(
        'spec.publicKeys[0].pkixPublicKey.signatureAlgorithm: RSA_SIGN_PKCS1_4096_SHA256 does not fit the key (rsa 2048 bits)',
      );
      expect(status.brieferror).toBe('spec.publicKeys[0].pkixPublicK...');
      const { stdout } = await api.kubectl([
        'get',
        'events',
        '-A',
        '--field-selector',
        'involvedObject.name=broken-aa',
        '-o',
        'json',
      ]);
      const events = (JSON.parse(stdout) as { items: { reason: string; type: string; message: string }[] })
        .items;
      expect(events).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            reason: 'ConfigurationRejected',
            type: 'Warning',
            message: status.error,
          }),
        ]),
      );
      expect((await verdict(`[${GUARDED}]${signed.digestReference}`)).value?.isSuccess).toBe(true);
      expect((await verdict(`[${GUARDED}]${signed.reference}`)).value?.isSuccess).toBe(false);
    });
  });

  describe("the policy's own AttestationAuthority rewritten with an invalid key", () => {
    it('is rejected while the policy stays in force: the namespace fails closed', async () => {
      const started = Date.now();
      await apply(authority('demo-aa', 'not a key'));
      await waitFor(
        'the signed digest to be refused',
        async () => (await verdict(`[${GUARDED}]${signed.digestReference}`)).value?.isSuccess === false,
      );
      timings.authorityBroken = Date.now() - started;
      const status = await waitForStatus(
        'attestationauthorities',
        'demo-aa',
        undefined,
        (s) => s.issuccess === false,
      );
      expect(status.error).toBe(
        'spec.publicKeyData: must be a base64-encoded PEM public key (the decoded value is not PEM)',
      );
      expect(status.properties).toBeUndefined();
      const item = await verdict(`[${GUARDED}]${signed.digestReference}`);
      expect(item.value?.verifierReports?.[0]?.message).toBe(
        `image ${signed.digestReference} is not attested`,
      );
      const gap = await readStatus(api, 'genericattestationpolicies', 'demo-gap', GUARDED);
      expect(gap.issuccess).toBe(true);
      expect((await verdict(`[other]${signed.reference}`)).value?.isSuccess).toBe(true);
    });
  });

  describe("the authority's key in a Secret (valueFrom.secretKeyRef)", () => {
    it('is read from the Secret, and a rotation of the Secret changes the verdict', async () => {
      await apply(
        secretManifest(NAMESPACE, 'kms-public-key', { 'key.pem': kmsPem }) +
          sep +
          kritisResource(
            'AttestationAuthority',
            { name: 'demo-aa' },
            {
              noteReference: 'namespaces/demo-aa',
              publicKeyId: 'kms-key-id',
              valueFrom: { secretKeyRef: { name: 'kms-public-key', key: 'key.pem' } },
            },
          ),
      );
      await waitForStatus(
        'attestationauthorities',
        'demo-aa',
        undefined,
        (s) => s.issuccess === true && JSON.stringify(s.properties).includes(spkiSha256(kmsPem)),
      );
      expect((await verdict(`[${GUARDED}]${signed.digestReference}`)).value?.isSuccess).toBe(true);

      const started = Date.now();
      await apply(secretManifest(NAMESPACE, 'kms-public-key', { 'key.pem': strangerPem }));
      await waitFor(
        'the rotated key to stop attesting the image',
        async () => (await verdict(`[${GUARDED}]${signed.digestReference}`)).value?.isSuccess === false,
      );
      timings.authorityKeyRotated = Date.now() - started;
      const item = await verdict(`[${GUARDED}]${signed.digestReference}`);
      expect(item.value?.verifierReports?.[0]?.message).toBe(
        `image ${signed.digestReference} is not attested`,
      );
      await waitForStatus('attestationauthorities', 'demo-aa', undefined, (s) =>
        JSON.stringify(s.properties).includes(spkiSha256(strangerPem)),
      );
    });
  });

  describe('the GenericAttestationPolicy deleted', () => {
    it('leaves the namespace to the Ratify Verifier again', async () => {
      const started = Date.now();
      await api.kubectl(['delete', 'genericattestationpolicies', 'demo-gap', '-n', GUARDED]);
      await waitFor(
        'the tag reference to be admitted again',
        async () => (await verdict(`[${GUARDED}]${signed.reference}`)).value?.isSuccess === true,
      );
      timings.policyDeleted = Date.now() - started;
      expect(await reportNames(`[${GUARDED}]${signed.reference}`)).toEqual(['cosign']);
      expect(await reportNames(`[${GUARDED}]${signed.digestReference}`)).toEqual(['cosign']);
    });
  });
});
