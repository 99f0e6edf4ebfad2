// Drop-in compatibility: Ratify's own library/default ConstraintTemplate and sample constraint, read unchanged
// from Ratify's Go module, evaluated by the real Gatekeeper against signet (provider ratify-provider), give the
// same decisions as signet's SignetVerification template on the same images.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { goModuleDir, type KubeObject } from '../helpers/gatekeeper.js';
import type { PushedManifest } from '../helpers/images.js';
import { startAdmissionBed, type AdmissionBed } from './admission-bed.js';

/** The Ratify release whose library is the compatibility target (its latest v1). */
const RATIFY_MODULE = 'github.com/ratify-project/ratify';
const RATIFY_VERSION = 'v1.4.0';

let bed: AdmissionBed;
let signed: PushedManifest;
let unsigned: PushedManifest;
/** Ratify's sample constraint: RatifyVerification `ratify-constraint`, deny, namespace `default`. */
let ratifyConstraint: KubeObject;

const ratifyNamespace = 'default';
const signetNamespace = 'signet-template';
const DENIED = 'admission webhook "validation.gatekeeper.sh" denied the request:';

beforeAll(async () => {
  bed = await startAdmissionBed('ratify-library');
  const library = join(await goModuleDir(RATIFY_MODULE, RATIFY_VERSION), 'library', 'default');
  ratifyConstraint = parse(await readFile(join(library, 'samples', 'constraint.yaml'), 'utf8')) as KubeObject;
  [signed, unsigned] = await Promise.all([
    bed.pushSigned('ratify/app', 'signed'),
    bed.pushUnsigned('ratify/app', 'unsigned'),
  ]);
  await bed.gatekeeper.applyTemplate(await readFile(join(library, 'template.yaml'), 'utf8'));
  await bed.gatekeeper.applyConstraint(ratifyConstraint);
  await bed.applyTemplate('signetverification');
  await bed.createNamespace(signetNamespace);
  await bed.gatekeeper.applyConstraint(
    bed.sampleConstraint('deny', 'signet-verification', {
      name: 'signet-verification-deny',
      namespaces: [signetNamespace],
    }),
  );
}, 600_000);

afterAll(async () => {
  await bed?.stop();
}, 120_000);

function podArgs(name: string, namespace: string, image: string, initImage?: string): string[] {
  if (initImage === undefined) return ['run', name, `--image=${image}`, '-n', namespace];
  const overrides = {
    spec: { initContainers: [{ name: 'init', image: initImage }], containers: [{ name, image }] },
  };
  return ['run', name, `--image=${image}`, '-n', namespace, `--overrides=${JSON.stringify(overrides)}`];
}

describe("Ratify's library/default template against signet", () => {
  it('is applied unchanged: kind RatifyVerification, provider ratify-provider', () => {
    expect(ratifyConstraint.kind).toBe('RatifyVerification');
    expect(ratifyConstraint.metadata.name).toBe('ratify-constraint');
  });

  describe.each([
    ['a signed image', 'signed', () => signed.reference, undefined, true],
    ['an unsigned image', 'unsigned', () => unsigned.reference, undefined, false],
    [
      'a signed image with an unsigned init container',
      'unsigned-init',
      () => signed.reference,
      () => unsigned.reference,
      false,
    ],
  ] as const)('%s', (_case, name, image, initImage, admitted) => {
    it(`is ${admitted ? 'admitted' : 'rejected'} by both templates`, () =>
      bed.explain(async () => {
        const ratify = await bed.admit(
          `ratify template: ${name}`,
          podArgs(name, ratifyNamespace, image(), initImage?.()),
        );
        const signet = await bed.admit(
          `signet template: ${name}`,
          podArgs(name, signetNamespace, image(), initImage?.()),
        );
        expect({ ratify: ratify.exitCode === 0, signet: signet.exitCode === 0 }).toEqual({
          ratify: admitted,
          signet: admitted,
        });
        if (admitted) {
          expect(ratify.stdout.trim()).toBe(`pod/${name} created`);
          return;
        }
        const rejected = initImage?.() ?? image();
        // Ratify's message: "Time=<timestamp>, failed to verify the artifact: <key>, trace-id: <id>".
        expect(ratify.stderr).toMatch(
          new RegExp(
            `${DENIED} \\[ratify-constraint\\] Time=\\S+, failed to verify the artifact: ${rejected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, trace-id: \\S+`,
          ),
        );
        expect(signet.stderr).toContain(
          `[signet-verification-deny] image verification failed for ${rejected}: signature not found`,
        );
      }));
  });
});
