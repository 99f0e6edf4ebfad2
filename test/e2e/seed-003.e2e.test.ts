// Seed 003 (AKS Image Integrity) end to end on a real cluster: kube-apiserver → Gatekeeper webhook → signet
// (mTLS) → registry, with the SignetVerification template and the sample constraints of each effect, and
// signet unreachable or hanging (fail closed); and that the bed's signet runs with the Helm chart's wiring.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rewriteChartArgs } from '../helpers/chart-signet.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { freePort, SIGNET_FROM_SOURCE } from '../helpers/process.js';
import type { PushedManifest } from '../helpers/images.js';
import type { KubectlResult } from '../helpers/kube-apiserver.js';
import {
  PROVIDER_TIMEOUT_SECONDS,
  startAdmissionBed,
  startUnresponsiveServer,
  type AdmissionBed,
  type ConstraintScope,
  type Effect,
  type UnresponsiveServer,
} from './admission-bed.js';

let bed: AdmissionBed;
let signed: PushedManifest;
let unsigned: PushedManifest;
let hanging: UnresponsiveServer;

const DENIED = 'admission webhook "validation.gatekeeper.sh" denied the request:';

/** Creates `namespace` under the sample SignetVerification constraint `name` with `effect`. */
async function guardNamespace(
  namespace: string,
  effect: Effect,
  name: string,
  parameters?: ConstraintScope['parameters'],
): Promise<void> {
  await bed.createNamespace(namespace);
  await bed.gatekeeper.applyConstraint(
    bed.sampleConstraint(effect, 'signet-verification', {
      name,
      namespaces: [namespace],
      ...(parameters === undefined ? {} : { parameters }),
    }),
  );
}

/** `kubectl run <pod> --image=<image> -n <namespace>` through the webhook, timed as `scenario`. */
function runPod(scenario: string, pod: string, image: string, namespace: string): Promise<KubectlResult> {
  return bed.admit(scenario, ['run', pod, `--image=${image}`, '-n', namespace]);
}

beforeAll(async () => {
  bed = await startAdmissionBed('seed-003');
  [signed, unsigned] = await Promise.all([
    bed.pushSigned('deislabs/ratify/notary-image', 'signed'),
    bed.pushUnsigned('deislabs/ratify/notary-image', 'unsigned'),
  ]);
  await bed.applyTemplate('signetverification');
  hanging = await startUnresponsiveServer();
}, 600_000);

afterAll(async () => {
  await hanging?.stop();
  await bed?.stop();
}, 120_000);

describe('seed 003: notation-signed images through Gatekeeper and signet', () => {
  describe('deny', () => {
    const namespace = 'seed003-deny';
    beforeAll(async () => {
      await guardNamespace(namespace, 'deny', 'signet-verification-deny');
    });

    it('creates the pod of a notation-signed image (kubectl run demo-signed)', () =>
      bed.explain(async () => {
        const result = await runPod('deny: signed image', 'demo-signed', signed.reference, namespace);
        expect(result.stderr).toBe('');
        expect(result.stdout.trim()).toBe('pod/demo-signed created');
      }));

    it('rejects an unsigned image naming the image and the reason', () =>
      bed.explain(async () => {
        const result = await runPod('deny: unsigned image', 'demo-unsigned', unsigned.reference, namespace);
        expect(result.exitCode).not.toBe(0);
        expect(result.stderr.trim()).toBe(
          `Error from server (Forbidden): ${DENIED} [signet-verification-deny] image verification failed for ${unsigned.reference}: signature not found`,
        );
      }));
  });

  describe('registry unavailable (transient, fail closed, not cached)', () => {
    const namespace = 'seed003-transient';
    let proxy: FaultProxy;
    beforeAll(async () => {
      proxy = await startFaultProxy(bed.registry.url);
      await guardNamespace(namespace, 'deny', 'signet-verification-transient');
    });
    afterAll(() => proxy?.stop());

    it('rejects while the registry fails, then admits at once when it is back (Gatekeeper cached no verdict)', () =>
      bed.explain(async () => {
        const image = signed.reference.replace(bed.registry.host, proxy.host);
        proxy.setFault({ $case: 'status', code: 503 });
        const failing = await runPod('registry 503: signed image', 'while-down', image, namespace);
        expect(failing.exitCode).not.toBe(0);
        expect(failing.stderr).toContain(
          `${DENIED} [signet-verification-transient] external data provider ratify-provider reported a system error:`,
        );
        expect(failing.stderr).toContain(
          `[signet-verification-transient] image verification failed for ${image}: no result from external data provider ratify-provider`,
        );

        proxy.setFault({ $case: 'none' });
        proxy.clearRequests();
        const recovered = await runPod('registry back: signed image', 'after-recovery', image, namespace);
        expect(recovered.stdout.trim()).toBe('pod/after-recovery created');
        // Gatekeeper asked the provider again, which went to the registry again (no cached failure anywhere): a
        // failure replayed from a cache would have reached no registry.
        expect(proxy.requests.filter((request) => request.status === 200).length).toBeGreaterThan(0);
      }));
  });

  describe('dryrun (audit)', () => {
    const namespace = 'seed003-audit';
    beforeAll(async () => {
      await guardNamespace(namespace, 'dryrun', 'signet-verification-dryrun');
    });

    it('creates the pod of an unsigned image and audit lists the violation in the constraint status', () =>
      bed.explain(async () => {
        const result = await runPod('dryrun: unsigned image', 'demo-unsigned', unsigned.reference, namespace);
        expect(result.stdout.trim()).toBe('pod/demo-unsigned created');
        const status = await bed.gatekeeper.waitForConstraintStatus(
          'SignetVerification',
          'signet-verification-dryrun',
          (s) => (s.violations ?? []).some((v) => v.name === 'demo-unsigned'),
          90_000,
        );
        expect(status.totalViolations).toBe(1);
        expect(status.violations).toEqual([
          {
            enforcementAction: 'dryrun',
            group: '',
            kind: 'Pod',
            name: 'demo-unsigned',
            namespace,
            version: 'v1',
            message: `image verification failed for ${unsigned.reference}: signature not found`,
          },
        ]);
      }));
  });

  describe('warn', () => {
    const namespace = 'seed003-warn';
    beforeAll(async () => {
      await guardNamespace(namespace, 'warn', 'signet-verification-warn');
    });

    it('creates the pod of an unsigned image with a warning naming the image and the reason', () =>
      bed.explain(async () => {
        const result = await runPod('warn: unsigned image', 'demo-unsigned', unsigned.reference, namespace);
        expect(result.stdout.trim()).toBe('pod/demo-unsigned created');
        expect(result.stderr.trim()).toBe(
          `Warning: [signet-verification-warn] image verification failed for ${unsigned.reference}: signature not found`,
        );
      }));
  });

  describe('provider unavailable (fail closed)', () => {
    it('rejects when nothing listens at the provider URL', () =>
      bed.explain(async () => {
        const namespace = 'seed003-unreachable';
        const url = `https://127.0.0.1:${await freePort()}/ratify/gatekeeper/v1/verify`;
        await bed.gatekeeper.applyProvider(
          bed.signet.providerResourceAt('signet-unreachable', url, PROVIDER_TIMEOUT_SECONDS),
        );
        await guardNamespace(namespace, 'deny', 'signet-verification-unreachable', {
          provider: 'signet-unreachable',
        });
        const result = await runPod(
          'provider unreachable: signed image',
          'demo-signed',
          signed.reference,
          namespace,
        );
        expect(result.exitCode).not.toBe(0);
        expect(result.stderr).toContain(
          `${DENIED} [signet-verification-unreachable] external data provider signet-unreachable reported a system error:`,
        );
        expect(result.stderr).toContain('connection refused');
        expect(result.stderr).toContain(
          `[signet-verification-unreachable] image verification failed for ${signed.reference}: no result from external data provider signet-unreachable`,
        );
      }));

    it('rejects when the provider does not answer within the Provider timeout', () =>
      bed.explain(async () => {
        const namespace = 'seed003-hanging';
        await bed.gatekeeper.applyProvider(
          bed.signet.providerResourceAt('signet-hanging', `${hanging.url}/ratify/gatekeeper/v1/verify`, 2),
        );
        await guardNamespace(namespace, 'deny', 'signet-verification-hanging', {
          provider: 'signet-hanging',
        });
        const result = await runPod(
          'provider hanging: signed image',
          'demo-signed',
          signed.reference,
          namespace,
        );
        expect(result.exitCode).not.toBe(0);
        expect(result.stderr).toContain(
          `${DENIED} [signet-verification-hanging] external data provider signet-hanging reported a system error:`,
        );
        expect(result.stderr).toMatch(/deadline exceeded|Timeout/i);
        expect(result.durationMs).toBeGreaterThanOrEqual(2_000);
      }));
  });
});

describe('the bed runs signet with the Helm chart wiring', () => {
  it("starts signet with the rendered Deployment's args, only paths, ports and --host rewritten", async () => {
    const { rendered, rewrite, expectedArgv, provider } = bed.signet;
    // The process's real argv (/proc), after node's own arguments: `node --import tsx provider/cli.ts <signet args>`.
    const cmdline = (await readFile(`/proc/${provider.process.pid}/cmdline`, 'utf8')).split('\0');
    if (cmdline.at(-1) === '') cmdline.pop();
    expect(cmdline.slice(1, 1 + SIGNET_FROM_SOURCE.length)).toEqual([...SIGNET_FROM_SOURCE]);
    const argv = cmdline.slice(1 + SIGNET_FROM_SOURCE.length);
    expect(argv).toEqual(expectedArgv);
    expect(argv).toEqual(rewriteChartArgs(rendered.args, rewrite));

    // The rewrite table, checked argument by argument: the same flags in the same order, a value changed only
    // where it was a mounted path (now the host copy of that mount) or a fixed port, and --host appended.
    expect(rendered.command).toEqual([]);
    expect(rendered.args[0]).toBe('serve');
    expect(argv.slice(rendered.args.length)).toEqual(['--host=127.0.0.1']);
    const mountPaths = [...rewrite.paths.keys()];
    rendered.args.forEach((arg, index) => {
      const actual = argv[index] as string;
      const [flag, value] = arg.split(/=(.*)/s) as [string, string | undefined];
      if (flag === '--port') return expect(actual).toBe(`--port=${rewrite.port}`);
      if (flag === '--metrics-port') return expect(actual).toBe(`--metrics-port=${rewrite.metricsPort}`);
      const mount = mountPaths.find((m) => value !== undefined && value.startsWith(`${m}/`));
      if (mount === undefined) return expect(actual).toBe(arg);
      return expect(actual).toBe(
        `${flag}=${join(rewrite.paths.get(mount) as string, value!.slice(mount.length + 1))}`,
      );
    });
    // The chart's mount paths that the rendered args name, and the files the bed wrote for them.
    expect(rendered.args).toEqual(
      expect.arrayContaining([
        '--tls-cert=/etc/signet/tls/tls.crt',
        '--tls-key=/etc/signet/tls/tls.key',
        '--client-ca=/etc/signet/client-ca/ca.crt',
        '--config=/etc/signet/config/config.yaml',
        '--deadline-ms=4000',
        '--log-level=warn',
      ]),
    );
    const configFile = rendered.files.find((f) => f.path === '/etc/signet/config/config.yaml');
    expect(configFile?.content).toContain(JSON.stringify(await readFile(bed.signer.certificatePath, 'utf8')));
    expect(
      await readFile(join(rewrite.paths.get('/etc/signet/config') as string, 'config.yaml'), 'utf8'),
    ).toBe(configFile?.content);
    expect(await readFile(join(rewrite.paths.get('/etc/signet/client-ca') as string, 'ca.crt'), 'utf8')).toBe(
      await readFile(bed.gatekeeper.ca.cert, 'utf8'),
    );
  });
});
