// Ratify's `azurekeyvault` KeyManagementProvider on a real cluster: kube-apiserver → Gatekeeper webhook → signet
// (mTLS) with `--config-source kubernetes` as the chart's ServiceAccount under the chart's RBAC, the seed-shaped
// KeyManagementProvider / Store / Verifier applied by kubectl, the vault's certificates fetched by the official Azure
// SDKs from the loopback Entra ID / Key Vault emulator (Azure Workload Identity's environment, the emulator's CA as
// NODE_EXTRA_CA_CERTS). Images are signed by the real notation CLI with the vault's certificate; a rotation in the
// vault (new version signs, old version disabled) changes Gatekeeper's verdicts within one refresh interval (plus
// Gatekeeper's 3 s external-data cache), without a restart.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VaultCertificateVersion } from '../helpers/azure/azure-emulator.js';
import { pemVaultCertificate, pkcs12VaultCertificate } from '../helpers/azure/vault-secrets.js';
import {
  seedConfigWithVault,
  startWorkloadIdentityVault,
  type WorkloadIdentityVault,
} from '../helpers/azure/workload-identity-vault.js';
import { serveSeedConfig, type SeedSignet } from '../helpers/e2e-seeds.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import { pollUntil, prepareSignetNamespace, readStatus } from '../helpers/k8s-config.js';
import type { KubectlResult } from '../helpers/kube-apiserver.js';
import { createCertificateChain, createChainSigner, type ChainSigner } from '../helpers/openssl-ca.js';
import { startAdmissionBed, type AdmissionBed } from './admission-bed.js';

const RELEASE = 'signet';
/** Where the Kubernetes-sourced signet reads its namespaced resources and the chart's RBAC binds it. */
const SIGNET_NAMESPACE = 'signet-akv';
const NAMESPACE = 'akv';
const CONSTRAINT = 'signet-verification-akv';
const PROVIDER = 'certstore-akv';
const REFRESH_INTERVAL = '2s';
const REFRESH_INTERVAL_MS = 2_000;
/** Gatekeeper's external-data response cache (the bed's `--external-data-provider-response-cache-ttl=3s`). */
const GATEKEEPER_CACHE_MS = 3_000;
/** Slack for one kubectl round trip and a slow shared machine on top of the waits above. */
const SLACK_MS = 5_000;
const START_LIMIT_MS = 60_000;
const DENIED = 'admission webhook "validation.gatekeeper.sh" denied the request:';

let dir: string;
let bed: AdmissionBed;
let identity: WorkloadIdentityVault;
let signet: SeedSignet;
let first: ChainSigner;
let firstVersion: VaultCertificateVersion;

interface VaultObject {
  readonly type: string;
  readonly name: string;
  readonly version: string;
  readonly enabled: boolean;
  readonly error: string | null;
}

interface KmpStatus {
  readonly issuccess?: boolean;
  readonly error?: string;
  readonly properties?: {
    readonly certificates?: readonly { readonly subject: string; readonly sha256: string }[];
    readonly vaultObjects?: readonly VaultObject[];
  };
}

const kmpStatus = async (): Promise<KmpStatus> =>
  await readStatus(bed.kube, 'keymanagementproviders', PROVIDER);

const subjects = (status: KmpStatus): string[] =>
  (status.properties?.certificates ?? []).map((certificate) => certificate.subject);

/** Polls the KeyManagementProvider's status until `condition` holds; resolves with it and the wait in ms. */
async function waitForKmp(
  what: string,
  condition: (status: KmpStatus) => boolean,
  limitMs: number,
): Promise<{ status: KmpStatus; ms: number }> {
  let last: KmpStatus = {};
  const ms = await pollUntil(
    what,
    async () => {
      last = await kmpStatus();
      return condition(last);
    },
    { limitMs, context: () => `last status: ${JSON.stringify(last)}` },
  );
  return { status: last, ms };
}

/** `kubectl run` through the webhook; `dryRun` asks the apiserver (and so Gatekeeper) without persisting. */
function runPod(scenario: string, pod: string, image: string, dryRun = false): Promise<KubectlResult> {
  return bed.admit(scenario, [
    'run',
    pod,
    `--image=${image}`,
    '-n',
    NAMESPACE,
    ...(dryRun ? ['--dry-run=server'] : []),
  ]);
}

/** Polls Gatekeeper's verdict on `image` (server dry runs) until it is `admitted`; resolves with the wait in ms. */
function waitForVerdict(image: string, admitted: boolean, limitMs: number): Promise<number> {
  let last: KubectlResult | undefined;
  return pollUntil(
    `${image} to be ${admitted ? 'admitted' : 'denied'}`,
    async () => {
      last = await runPod(`poll: ${admitted ? 'admit' : 'deny'}`, 'akv-probe', image, true);
      return (last.exitCode === 0) === admitted;
    },
    { limitMs, context: () => `last kubectl: ${JSON.stringify(last ?? {})}` },
  );
}

async function signedImage(repo: string, signer: ChainSigner): Promise<PushedManifest> {
  const image = await pushImage(bed.registry, repo, 'v1');
  await signer.sign(image.digestReference);
  return image;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-e2e-akv-'));
  await mkdir(join(dir, 'azure'));
  identity = await startWorkloadIdentityVault(join(dir, 'azure'));
  bed = await startAdmissionBed('azure-key-vault');
  const kubeconfig = await prepareSignetNamespace(bed.kube, RELEASE, SIGNET_NAMESPACE);

  const chain = await createCertificateChain(dir, 'vault-v1', { key: { $case: 'rsa', bits: 2048 } });
  first = await createChainSigner(join(dir, 'notation-v1'), 'vault-v1', chain);
  firstVersion = identity.emulator.addCertificate(
    'signing',
    await pemVaultCertificate(dir, chain.leaf.keyPath, chain.chainPath),
  );
  // The seed's shape: KeyManagementProvider (azurekeyvault: vaultURI, certificates [{name}], tenantID, clientID),
  // Store and notation Verifier, applied as a user would.
  await bed.kube.kubectl(['apply', '-f', '-'], {
    input: await seedConfigWithVault(identity, [{ name: 'signing' }], REFRESH_INTERVAL),
  });

  // A second signet, reading the cluster's resources, becomes Gatekeeper's `ratify-provider`.
  signet = await serveSeedConfig(bed, undefined, join(dir, 'signet'), {
    extraArgs: ['--config-source', 'kubernetes', '--namespace', SIGNET_NAMESPACE, '--kube-resync', '5'],
    env: { ...identity.env, KUBECONFIG: kubeconfig },
  });
  await bed.applyTemplate('signetverification');
  await bed.createNamespace(NAMESPACE);
  await bed.gatekeeper.applyConstraint(
    bed.sampleConstraint('deny', 'signet-verification', { name: CONSTRAINT, namespaces: [NAMESPACE] }),
  );
}, 600_000);

afterAll(async () => {
  await signet?.stop();
  await bed?.stop();
  await identity?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('Azure Key Vault KeyManagementProvider through Gatekeeper (Kubernetes config source)', () => {
  it('reports success and the certificate inventory on the KeyManagementProvider status', () =>
    signet.explain(async () => {
      const { status } = await waitForKmp('issuccess true', (s) => s.issuccess === true, START_LIMIT_MS);
      expect(status.error).toBeUndefined();
      // The trust material the vault's secret carries besides the signing leaf: its intermediate and root.
      expect(subjects(status)).toEqual([
        'CN=vault-v1-intermediate, O=signet-test, C=US',
        'CN=vault-v1-root, O=signet-test, C=US',
      ]);
      expect(status.properties?.vaultObjects).toEqual([
        expect.objectContaining({
          type: 'certificate',
          name: 'signing',
          version: firstVersion.version,
          enabled: true,
        }),
      ]);
      for (const [resource, name] of [
        ['stores', 'store-oras'],
        ['verifiers', 'verifier-notary-inline'],
      ] as const) {
        await pollUntil(
          `${resource} ${name} issuccess`,
          async () => (await readStatus(bed.kube, resource, name)).issuccess === true,
          { limitMs: START_LIMIT_MS },
        );
      }
    }));

  it('creates the pod of an image signed by the vault certificate and denies an unsigned one', () =>
    signet.explain(async () => {
      const signed = await signedImage('akv/signed', first);
      const unsigned = await pushImage(bed.registry, 'akv/unsigned', 'v1');
      await waitForVerdict(signed.reference, true, START_LIMIT_MS);
      const created = await runPod('vault-signed image', 'akv-signed', signed.reference);
      expect(created.stderr).toBe('');
      expect(created.stdout.trim()).toBe('pod/akv-signed created');

      const denied = await runPod('unsigned image', 'akv-unsigned', unsigned.reference);
      expect(denied.exitCode).not.toBe(0);
      expect(denied.stderr.trim()).toBe(
        `Error from server (Forbidden): ${DENIED} [${CONSTRAINT}] image verification failed for ${unsigned.reference}: signature not found`,
      );
    }));

  it('follows a rotation in the vault within one refresh interval: new version admitted, old version denied', () =>
    signet.explain(async () => {
      const oldImage = await signedImage('akv/old', first);
      const chain = await createCertificateChain(dir, 'vault-v2', { key: { $case: 'ec', curve: 'P-256' } });
      const second = await createChainSigner(join(dir, 'notation-v2'), 'vault-v2', chain);
      const newImage = await signedImage('akv/new', second);
      await waitForVerdict(oldImage.reference, true, START_LIMIT_MS);
      const before = await runPod('before rotation: new version', 'akv-new-early', newImage.reference, true);
      expect(before.exitCode).not.toBe(0);

      const rotated = Date.now();
      const secondVersion = identity.emulator.addCertificate(
        'signing',
        await pkcs12VaultCertificate(dir, chain.leaf.keyPath, chain.chainPath, { encrypted: true }),
      );
      firstVersion.enabled = false;

      // The status shows the new version once signet's refresh fetched it (status writes follow the change).
      const { status } = await waitForKmp(
        `version ${secondVersion.version} in the status`,
        (s) => s.properties?.vaultObjects?.[0]?.version === secondVersion.version,
        REFRESH_INTERVAL_MS + SLACK_MS,
      );
      expect(status.issuccess).toBe(true);
      expect(subjects(status)).toEqual([
        'CN=vault-v2-intermediate, O=signet-test, C=US',
        'CN=vault-v2-root, O=signet-test, C=US',
      ]);
      // Gatekeeper may still answer from its 3 s cache of the previous verdicts.
      const limit = REFRESH_INTERVAL_MS + GATEKEEPER_CACHE_MS + SLACK_MS;
      await waitForVerdict(newImage.reference, true, limit);
      await waitForVerdict(oldImage.reference, false, limit);
      process.stdout.write(`azure-key-vault: rotation → verdicts changed in ${Date.now() - rotated} ms\n`);

      const created = await runPod('after rotation: new version', 'akv-new', newImage.reference);
      expect(created.stderr).toBe('');
      expect(created.stdout.trim()).toBe('pod/akv-new created');
      const denied = await runPod('after rotation: old version', 'akv-old', oldImage.reference);
      expect(denied.exitCode).not.toBe(0);
      expect(denied.stderr).toContain(
        `${DENIED} [${CONSTRAINT}] image verification failed for ${oldImage.reference}`,
      );
    }));
});
