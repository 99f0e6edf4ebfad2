// Seed 001 (ACK kritis-validation-hook) end to end on a real cluster: an RSA-2048 "KMS" key is an attestor
// (AttestationAuthority) and a GenericAttestationPolicy enables verification in one namespace; signet serves those
// kritis resources as `ratify-provider`, beside a Ratify cosign Verifier for the registry (what other namespaces
// use). One SignetVerification constraint with `namespacedKeys: true` covers the namespaces. The seed's kubectl
// commands are run as documented: tag and unattested digest denied with kritis' wording, attested digest created,
// the other namespace judged by the cosign Verifier only. A third namespace adds the SignetDigestOnly template
// (tags refused in Rego, same wording). Images signed by the real cosign v2 CLI, offline.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushCosignImages } from '../helpers/cosign-images.js';
import { createCosignKeyPair } from '../helpers/cosign.js';
import { serveSeedConfig, type SeedSignet } from '../helpers/e2e-seeds.js';
import type { PushedManifest } from '../helpers/images.js';
import { genericAttestationPolicy, kritisConfig } from '../helpers/kritis.js';
import { COSIGN_STORE, cosignVerifier } from '../helpers/ratify-config.js';
import { startAdmissionBed, type AdmissionBed } from './admission-bed.js';

// kubectl v1.36's `create deployment` words a rejection "error: failed to create deployment: …" where the seed's
// older kubectl printed "Error from server: …"; the admission message after it is the seed's.
const DENIED =
  'error: failed to create deployment: admission webhook "validation.gatekeeper.sh" denied the request:';
const CONSTRAINT = 'signet-verification-seed-001';
const DIGEST_ONLY_CONSTRAINT = 'signet-digest-only-seed-001';
/** The namespace with the attestation policy (the seed's "default"). */
const ATTESTED_NS = 'seed001-kritis';
/** The attestation policy again, with a SignetDigestOnly constraint as well. */
const DIGEST_ONLY_NS = 'seed001-digest-only';
const OTHER_NS = 'seed001-other';

let dir: string;
let bed: AdmissionBed;
let seed: SeedSignet;
let attested: PushedManifest;
let unattested: PushedManifest;
let strangerSigned: PushedManifest;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-e2e-seed-001-'));
  bed = await startAdmissionBed('seed-001');
  const [kms, stranger] = await Promise.all([
    createCosignKeyPair(join(dir, 'kms'), 'rsa-2048'),
    createCosignKeyPair(join(dir, 'stranger'), 'rsa-2048'),
  ]);
  [attested, unattested, strangerSigned] = await pushCosignImages(bed.registry, dir, [
    { repository: 'kritis-demo/alpine', tag: '3.11', signer: kms },
    { repository: 'kritis-demo/unsigned', tag: '3.11' },
    { repository: 'kritis-demo/stranger', tag: '3.11', signer: stranger },
  ]);

  const configPath = join(dir, 'seed-001-config.yaml');
  const kritis = kritisConfig({
    authorityName: 'demo-aa',
    publicKeyPem: await readFile(kms.publicKeyPath, 'utf8'),
    publicKeyId: '4a2ef103-5aa3-4220-kms-key-id',
    policyName: 'demo-gap',
    policyNamespace: ATTESTED_NS,
  });
  // The Ratify side of the configuration: a cosign Verifier trusting the KMS key for this registry.
  const ratify = cosignVerifier([
    {
      name: 'test-registry',
      scopes: [`${bed.registry.host}/*`],
      keys: [{ file: kms.publicKeyPath }],
      tLogVerify: false,
    },
  ]);
  await writeFile(
    configPath,
    `${COSIGN_STORE}---\n${ratify}---\n${kritis}---\n${genericAttestationPolicy('demo-gap', 'demo-aa', DIGEST_ONLY_NS)}`,
  );
  seed = await serveSeedConfig(bed, configPath, join(dir, 'signet'));

  await Promise.all([bed.applyTemplate('signetverification'), bed.applyTemplate('signetdigestonly')]);
  await Promise.all(
    [ATTESTED_NS, DIGEST_ONLY_NS, OTHER_NS].map((namespace) => bed.createNamespace(namespace)),
  );
  await Promise.all([
    bed.gatekeeper.applyConstraint(
      bed.sampleConstraint('deny', 'signet-verification', {
        name: CONSTRAINT,
        namespaces: [ATTESTED_NS, DIGEST_ONLY_NS, OTHER_NS],
        parameters: { namespacedKeys: true },
      }),
    ),
    bed.gatekeeper.applyConstraint(
      bed.sampleConstraint('deny', 'signet-digest-only', {
        name: DIGEST_ONLY_CONSTRAINT,
        namespaces: [DIGEST_ONLY_NS],
      }),
    ),
  ]);
}, 600_000);

afterAll(async () => {
  await seed?.stop();
  await bed?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 120_000);

/** `kubectl -n <ns> create deployment <name> --image=<image> -- sleep 10`, as the seed runs it. */
function createDeployment(scenario: string, namespace: string, name: string, image: string) {
  return bed.admit(scenario, [
    '-n',
    namespace,
    'create',
    'deployment',
    name,
    `--image=${image}`,
    '--',
    'sleep',
    '10',
  ]);
}

function deniedAs(image: string, constraint = CONSTRAINT): string {
  return `${DENIED} [${constraint}] image ${image} is not attested`;
}

describe('seed 001: kritis attestation policy in its namespace', () => {
  describe('a tag reference', () => {
    it('is denied: "image alpine:3.11 is not attested" (the seed\'s command, no registry asked)', () =>
      seed.explain(async () => {
        const result = await createDeployment(
          'seed 001: tag reference alpine:3.11',
          ATTESTED_NS,
          'not-sign',
          'alpine:3.11',
        );
        expect(result.exitCode).not.toBe(0);
        expect(result.stderr.trim()).toBe(deniedAs('alpine:3.11'));
      }));

    it('is denied even when the tag names an attested image', () =>
      seed.explain(async () => {
        const result = await createDeployment(
          'seed 001: tag reference of the attested image',
          ATTESTED_NS,
          'not-sign',
          attested.reference,
        );
        expect(result.exitCode).not.toBe(0);
        expect(result.stderr.trim()).toBe(deniedAs(attested.reference));
      }));
  });

  describe('a digest reference without an attestation', () => {
    it('is denied: "image <ref@digest> is not attested"', () =>
      seed.explain(async () => {
        const result = await createDeployment(
          'seed 001: unattested digest',
          ATTESTED_NS,
          'not-sign',
          unattested.digestReference,
        );
        expect(result.exitCode).not.toBe(0);
        expect(result.stderr.trim()).toBe(deniedAs(unattested.digestReference));
      }));
  });

  describe('a digest reference signed by a key that is not the attestor', () => {
    it('is denied: "image <ref@digest> is not attested"', () =>
      seed.explain(async () => {
        const result = await createDeployment(
          'seed 001: digest signed by another key',
          ATTESTED_NS,
          'not-sign',
          strangerSigned.digestReference,
        );
        expect(result.exitCode).not.toBe(0);
        expect(result.stderr.trim()).toBe(deniedAs(strangerSigned.digestReference));
      }));
  });

  describe('a digest reference attested by the KMS key', () => {
    it('is created (deployment.apps/is-signed created)', () =>
      seed.explain(async () => {
        const result = await createDeployment(
          'seed 001: attested digest',
          ATTESTED_NS,
          'is-signed',
          attested.digestReference,
        );
        expect(result.stderr).toBe('');
        expect(result.stdout.trim()).toBe('deployment.apps/is-signed created');
      }));
  });
});

describe('seed 001: a namespace without an attestation policy is unaffected', () => {
  describe('a tag reference of the cosign-signed image', () => {
    it('is created: the cosign Verifier judges it, not the attestor', () =>
      seed.explain(async () => {
        const result = await createDeployment(
          'seed 001: other namespace, signed tag',
          OTHER_NS,
          'not-sign',
          attested.reference,
        );
        expect(result.stderr).toBe('');
        expect(result.stdout.trim()).toBe('deployment.apps/not-sign created');
      }));
  });

  describe('an unsigned tag reference', () => {
    it("is still denied by the same constraint, in Ratify's wording", () =>
      seed.explain(async () => {
        const result = await createDeployment(
          'seed 001: other namespace, unsigned tag',
          OTHER_NS,
          'unsigned',
          unattested.reference,
        );
        expect(result.exitCode).not.toBe(0);
        expect(result.stderr.trim()).toBe(
          `${DENIED} [${CONSTRAINT}] image verification failed for ${unattested.reference}: signature not found`,
        );
      }));
  });
});

describe('seed 001: the attestation policy with a SignetDigestOnly constraint', () => {
  describe('a tag reference', () => {
    it('is denied by both constraints with the same kritis wording', () =>
      seed.explain(async () => {
        const result = await createDeployment(
          'seed 001: digest-only, tag reference',
          DIGEST_ONLY_NS,
          'not-sign',
          'alpine:3.11',
        );
        expect(result.exitCode).not.toBe(0);
        // Gatekeeper joins one line per violated constraint; their order is not part of its contract.
        const [first, ...rest] = result.stderr.trim().split('\n');
        expect(first?.startsWith(`${DENIED} [`)).toBe(true);
        expect([first?.slice(DENIED.length + 1), ...rest].sort()).toEqual([
          `[${DIGEST_ONLY_CONSTRAINT}] image alpine:3.11 is not attested`,
          `[${CONSTRAINT}] image alpine:3.11 is not attested`,
        ]);
      }));
  });

  describe('a digest reference attested by the KMS key', () => {
    it('is created', () =>
      seed.explain(async () => {
        const result = await createDeployment(
          'seed 001: digest-only, attested digest',
          DIGEST_ONLY_NS,
          'is-signed',
          attested.digestReference,
        );
        expect(result.stderr).toBe('');
        expect(result.stdout.trim()).toBe('deployment.apps/is-signed created');
      }));
  });
});
