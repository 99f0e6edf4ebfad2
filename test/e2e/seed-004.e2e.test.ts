// Seed 004 (cosign v2 key pair + Kyverno verifyImages) end to end on a real cluster: `signet import kyverno` converts
// the seed's kyverno-check-image.yaml (key replaced by a real `cosign generate-key-pair` ECDSA P-256 key, glob pointed
// at the loopback registry, transparency log ignored as cosign signs offline); signet serves the converted
// configuration as `ratify-provider` and the converted constraint is applied as produced. kubectl → kube-apiserver
// → Gatekeeper → signet (mTLS) → registry; images signed by the real `cosign sign --key --tlog-upload=false`.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushCosignImages } from '../helpers/cosign-images.js';
import { createCosignKeyPair } from '../helpers/cosign.js';
import { serveSeedConfig, type SeedSignet } from '../helpers/e2e-seeds.js';
import type { PushedManifest } from '../helpers/images.js';
import { convertKyvernoSeed } from '../helpers/seeds.js';
import { startAdmissionBed, type AdmissionBed } from './admission-bed.js';

const DENIED = 'admission webhook "validation.gatekeeper.sh" denied the request:';
/** The constraint `signet import kyverno` names after the seed's ClusterPolicy and rule (`check-image`). */
const CONSTRAINT = 'check-image-check-image';

let dir: string;
let bed: AdmissionBed;
let seed: SeedSignet;
let unsigned: PushedManifest;
let signed: PushedManifest;
let otherKey: PushedManifest;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-e2e-seed-004-'));
  bed = await startAdmissionBed('seed-004');
  const [trusted, other] = await Promise.all([
    createCosignKeyPair(join(dir, 'trusted'), 'cosign-generated'),
    createCosignKeyPair(join(dir, 'other'), 'cosign-generated'),
  ]);
  [unsigned, signed, otherKey] = await pushCosignImages(bed.registry, dir, [
    { repository: 'nginx-demo', tag: 'unsigned' },
    { repository: 'nginx-demo', tag: 'signed', signer: trusted },
    { repository: 'nginx-demo', tag: 'otherkey', signer: other },
  ]);

  const { run, outDir: converted } = await convertKyvernoSeed(
    dir,
    await readFile(trusted.publicKeyPath, 'utf8'),
    `${bed.registry.host}/nginx-demo*`,
  );
  if (run.code !== 0) throw new Error(`signet import kyverno failed (${run.code}): ${run.stderr}`);

  seed = await serveSeedConfig(bed, join(converted, 'signet-config.yaml'), join(dir, 'signet'));
  await bed.applyTemplate('signetverification');
  await bed.kube.kubectl(['apply', '-f', join(converted, 'constraints.yaml')]);
  await bed.gatekeeper.waitForConstraintStatus('SignetVerification', CONSTRAINT, (status) =>
    (status.byPod ?? []).some((pod) => pod.id === bed.gatekeeper.podName && pod.enforced === true),
  );
}, 600_000);

afterAll(async () => {
  await seed?.stop();
  await bed?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('seed 004: cosign key signatures under the converted Kyverno policy', () => {
  describe('an unsigned image', () => {
    it('is denied: "image verification failed for <ref>: signature not found"', () =>
      seed.explain(async () => {
        const result = await bed.admit('seed 004: unsigned image', [
          'run',
          'myunsignedapp',
          `--image=${unsigned.reference}`,
        ]);
        expect(result.exitCode).not.toBe(0);
        expect(result.stderr.trim()).toBe(
          `Error from server (Forbidden): ${DENIED} [${CONSTRAINT}] image verification failed for ${unsigned.reference}: signature not found`,
        );
      }));
  });

  describe('an image signed with the policy key', () => {
    it('is created (pod/mysignedapp created)', () =>
      seed.explain(async () => {
        const result = await bed.admit('seed 004: signed image', [
          'run',
          'mysignedapp',
          `--image=${signed.reference}`,
        ]);
        expect(result.stderr).toBe('');
        expect(result.stdout.trim()).toBe('pod/mysignedapp created');
      }));
  });

  describe('an image signed with another key', () => {
    it('is denied: "no matching signatures"', () =>
      seed.explain(async () => {
        const result = await bed.admit('seed 004: image signed with another key', [
          'run',
          'myotherkeyapp',
          `--image=${otherKey.reference}`,
        ]);
        expect(result.exitCode).not.toBe(0);
        expect(result.stderr.trim()).toMatch(
          new RegExp(
            `^Error from server \\(Forbidden\\): ${escape(DENIED)} \\[${CONSTRAINT}\\] image verification failed for ${escape(otherKey.reference)}: no matching signatures: `,
          ),
        );
      }));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
