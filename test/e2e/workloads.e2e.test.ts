// Pod-bearing workloads are judged by every image they carry: a Deployment, a CronJob and a Pod with an init
// container, each admitted when all its images are signed and rejected naming the unsigned one otherwise.
import type { PushedManifest } from '../helpers/images.js';
import { startAdmissionBed, type AdmissionBed } from './admission-bed.js';

let bed: AdmissionBed;
let signedApp: PushedManifest;
let signedSidecar: PushedManifest;
let unsigned: PushedManifest;

const namespace = 'workloads';
const constraintName = 'signet-verification-workloads';
const DENIED = 'admission webhook "validation.gatekeeper.sh" denied the request:';

beforeAll(async () => {
  bed = await startAdmissionBed('workloads');
  [signedApp, signedSidecar, unsigned] = await Promise.all([
    bed.pushSigned('shop/app', 'v1'),
    bed.pushSigned('shop/sidecar', 'v1'),
    bed.pushUnsigned('shop/tool', 'v1'),
  ]);
  await bed.applyTemplate('signetverification');
  await bed.createNamespace(namespace);
  await bed.gatekeeper.applyConstraint(
    bed.sampleConstraint('deny', 'signet-verification', { name: constraintName, namespaces: [namespace] }),
  );
}, 600_000);

afterAll(async () => {
  await bed?.stop();
}, 120_000);

interface PodImages {
  readonly containers: readonly string[];
  readonly initContainers?: readonly string[];
}

function podSpec(images: PodImages): object {
  const containers = (list: readonly string[], prefix: string) =>
    list.map((image, i) => ({ name: `${prefix}${i}`, image }));
  return {
    containers: containers(images.containers, 'main'),
    ...(images.initContainers === undefined
      ? {}
      : { initContainers: containers(images.initContainers, 'init') }),
    restartPolicy: 'OnFailure',
  };
}

function deployment(name: string, images: PodImages): object {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { ...podSpec(images), restartPolicy: 'Always' } },
    },
  };
}

function cronJob(name: string, images: PodImages): object {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace },
    spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: podSpec(images) } } } },
  };
}

function pod(name: string, images: PodImages): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: podSpec(images) };
}

const apply = (scenario: string, object: object) =>
  bed.admit(scenario, ['apply', '-f', '-'], { input: JSON.stringify(object) });

function expectDenied(stderr: string, image: string): void {
  expect(stderr).toContain(
    `${DENIED} [${constraintName}] image verification failed for ${image}: signature not found`,
  );
  // Only the unsigned image is named: the signed ones pass.
  expect(stderr).not.toContain(signedApp.reference);
  expect(stderr).not.toContain(signedSidecar.reference);
}

describe('workloads judged by all their images', () => {
  describe('Deployment', () => {
    it('is created when both of its containers are signed', () =>
      bed.explain(async () => {
        const result = await apply(
          'Deployment: all signed',
          deployment('web', { containers: [signedApp.reference, signedSidecar.reference] }),
        );
        expect(result.stdout.trim()).toBe('deployment.apps/web created');
      }));

    it('is rejected when its second container is unsigned', () =>
      bed.explain(async () => {
        const result = await apply(
          'Deployment: one unsigned',
          deployment('web-bad', { containers: [signedApp.reference, unsigned.reference] }),
        );
        expect(result.exitCode).not.toBe(0);
        expectDenied(result.stderr, unsigned.reference);
      }));
  });

  describe('CronJob', () => {
    it('is created when its job template images are signed', () =>
      bed.explain(async () => {
        const result = await apply(
          'CronJob: all signed',
          cronJob('nightly', {
            containers: [signedApp.reference],
            initContainers: [signedSidecar.reference],
          }),
        );
        expect(result.stdout.trim()).toBe('cronjob.batch/nightly created');
      }));

    it('is rejected when its job template has an unsigned init container', () =>
      bed.explain(async () => {
        const result = await apply(
          'CronJob: unsigned init container',
          cronJob('nightly-bad', { containers: [signedApp.reference], initContainers: [unsigned.reference] }),
        );
        expect(result.exitCode).not.toBe(0);
        expectDenied(result.stderr, unsigned.reference);
      }));
  });

  describe('Pod with an init container', () => {
    it('is created when the init container and the container are signed', () =>
      bed.explain(async () => {
        const result = await apply(
          'Pod: signed init container',
          pod('with-init', { containers: [signedApp.reference], initContainers: [signedSidecar.reference] }),
        );
        expect(result.stdout.trim()).toBe('pod/with-init created');
      }));

    it('is rejected when only the init container is unsigned', () =>
      bed.explain(async () => {
        const result = await apply(
          'Pod: unsigned init container',
          pod('with-init-bad', { containers: [signedApp.reference], initContainers: [unsigned.reference] }),
        );
        expect(result.exitCode).not.toBe(0);
        expectDenied(result.stderr, unsigned.reference);
      }));
  });
});
