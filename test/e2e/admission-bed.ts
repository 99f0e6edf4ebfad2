// The e2e admission test bed shared by the *.e2e.test.ts files: a real registry, etcd + kube-apiserver, the
// Gatekeeper controller manager and `signet serve` as its provider (mTLS both ways), with a notation signer
// trusted through an inline KeyManagementProvider (seed 003's verify-config shape). signet runs with exactly the
// Helm chart's Deployment wiring (deploy/helm/signet rendered with ci/e2e-bed-values.yaml; see
// test/helpers/chart-signet.ts for the bed's certificates and the path / port rewrite). Each test file starts one bed
// in beforeAll and shares it; every admission call is timed so the report can give Gatekeeper's latency.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { startChartSignet, type ChartSignet } from '../helpers/chart-signet.js';
import {
  startGatekeeper,
  type Gatekeeper,
  type KubeObject,
  type StartGatekeeperOptions,
} from '../helpers/gatekeeper.js';
import { pushImage, type PushedManifest } from '../helpers/images.js';
import {
  startKubeApiserver,
  type KubeApiserver,
  type KubectlOptions,
  type KubectlResult,
} from '../helpers/kube-apiserver.js';
import { createNotationSigner, type NotationSigner } from '../helpers/notation.js';
import { REPO_ROOT } from '../helpers/process.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

/** Provider name Ratify's templates and signet's default constraints use. */
export const VERIFY_PROVIDER = 'ratify-provider';
/** Gatekeeper's timeout for one provider call, and signet's per-request deadline below it. */
export const PROVIDER_TIMEOUT_SECONDS = 5;
/** The chart values file the bed renders signet's Deployment with (Providers at 5 s, deadline 4000 ms, log warn). */
export const BED_VALUES_FILE = 'e2e-bed-values.yaml';

export type Effect = 'deny' | 'dryrun' | 'warn';

export interface AdmissionTiming {
  readonly scenario: string;
  /** Wall time of the kubectl call. */
  readonly kubectlMs: number;
  /**
   * Time Gatekeeper's validating webhook spent on requests during the call (`validation_request_duration_seconds`
   * sum delta): the admission request itself plus the odd background request (leases), which take ~1 ms each.
   */
  readonly gatekeeperValidationMs: number;
  /** Validating webhook requests Gatekeeper served during the call. */
  readonly gatekeeperRequests: number;
  /** The same for Gatekeeper's mutating webhook (`mutation_request_duration_seconds`). */
  readonly gatekeeperMutationMs: number;
  readonly exitCode: number;
}

export interface AdmissionBed {
  readonly kube: KubeApiserver;
  readonly gatekeeper: Gatekeeper;
  /** signet with the chart's wiring: `rendered` is the Deployment, `expectedArgv` its args after the rewrite. */
  readonly signet: ChartSignet;
  readonly registry: TestRegistry;
  readonly signer: NotationSigner;
  /** Milliseconds from start to a bed ready for admission calls. */
  readonly startupMs: number;
  /** Pushes a one-layer image and signs it with notation (referrers API). */
  pushSigned(repo: string, tag: string): Promise<PushedManifest>;
  pushUnsigned(repo: string, tag: string): Promise<PushedManifest>;
  /** Applies templates/<name>/template.yaml unchanged. */
  applyTemplate(name: string): Promise<void>;
  /**
   * A sample constraint from constraints/samples/<effect>/<file>.yaml, renamed and limited to `namespaces` so
   * scenarios in one cluster do not judge each other's namespaces; `parameters` are merged over the sample's.
   */
  sampleConstraint(effect: Effect, file: string, scope: ConstraintScope): KubeObject;
  createNamespace(name: string): Promise<void>;
  /** Runs kubectl as a user would and records its latency under `scenario`. */
  admit(scenario: string, args: readonly string[], options?: KubectlOptions): Promise<KubectlResult>;
  readonly timings: readonly AdmissionTiming[];
  /** Everything useful after a failure: Gatekeeper's and the control plane's log tails and signet's output. */
  diagnostics(): Promise<string>;
  /** Runs a test body; a failure is rethrown with `diagnostics()` appended, so it explains itself. */
  explain<T>(run: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export interface ConstraintScope {
  readonly name: string;
  readonly namespaces: readonly string[];
  readonly parameters?: Readonly<Record<string, unknown>>;
}

const VALIDATION_HISTOGRAM = 'gatekeeper_validation_request_duration_seconds';
const MUTATION_HISTOGRAM = 'gatekeeper_mutation_request_duration_seconds';

export interface AdmissionBedOptions {
  /** Gatekeeper's flags beyond the bed's (e.g. `extraArgs: ['--constraint-violations-limit=20']`). */
  readonly gatekeeper?: StartGatekeeperOptions;
}

export async function startAdmissionBed(
  suite: string,
  options: AdmissionBedOptions = {},
): Promise<AdmissionBed> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), `signet-e2e-${suite}-`));
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const registry = await startRegistry();
    cleanups.push(() => registry.stop());
    const signer = await createNotationSigner(join(dir, 'notation'), 'e2e');
    const kube = await startKubeApiserver();
    cleanups.push(() => kube.stop());
    const gatekeeper = await startGatekeeper(kube, options.gatekeeper);
    cleanups.push(() => gatekeeper.stop());

    // The notation signer's certificate is seeded by the chart (notationCerts → an inline KeyManagementProvider and
    // the notation Verifier in the config file the chart mounts), replacing the fixture of the values file.
    const signet = await startChartSignet(gatekeeper, {
      valuesFiles: [BED_VALUES_FILE],
      values: { notationCerts: [await readFile(signer.certificatePath, 'utf8')] },
      dir: join(dir, 'signet'),
    });
    cleanups.push(() => signet.stop());
    await gatekeeper.applyProvider(
      signet.providerResource(VERIFY_PROVIDER, 'verify', PROVIDER_TIMEOUT_SECONDS),
    );
    const startupMs = performance.now() - started;

    const timings: AdmissionTiming[] = [];
    const bed: AdmissionBed = {
      kube,
      gatekeeper,
      signet,
      registry,
      signer,
      startupMs,
      async pushSigned(repo, tag) {
        const image = await pushImage(registry, repo, tag);
        await signer.sign(image.digestReference);
        return image;
      },
      pushUnsigned: (repo, tag) => pushImage(registry, repo, tag),
      async applyTemplate(name) {
        await gatekeeper.applyTemplate(
          await readFile(join(REPO_ROOT, 'templates', name, 'template.yaml'), 'utf8'),
        );
      },
      sampleConstraint(effect, file, scope) {
        return scopeConstraint(readSample(effect, file), scope);
      },
      async createNamespace(name) {
        await kube.kubectl(['create', 'namespace', name]);
      },
      async admit(scenario, args, options) {
        const before = await gatekeeper.histogram(VALIDATION_HISTOGRAM);
        const mutationBefore = await gatekeeper.histogram(MUTATION_HISTOGRAM);
        const result = await kube.runKubectl(args, options);
        const after = await gatekeeper.histogram(VALIDATION_HISTOGRAM);
        const mutationAfter = await gatekeeper.histogram(MUTATION_HISTOGRAM);
        timings.push({
          scenario,
          kubectlMs: Math.round(result.durationMs),
          gatekeeperValidationMs: Math.round((after.sum - before.sum) * 1000),
          gatekeeperRequests: after.count - before.count,
          gatekeeperMutationMs: Math.round((mutationAfter.sum - mutationBefore.sum) * 1000),
          exitCode: result.exitCode,
        });
        return result;
      },
      timings,
      async diagnostics() {
        return `--- gatekeeper:\n${await gatekeeper.logTail(60)}\n${await kube.logTails(20)}\n--- signet:\n${signet.provider.output().slice(-4_000)}`;
      },
      async explain(run) {
        try {
          return await run();
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(`${message}\n${await bed.diagnostics()}`);
        }
      },
      async stop() {
        const report = { suite, startupMs: Math.round(startupMs), timings };
        await writeFile(join(tmpdir(), `signet-e2e-timings-${suite}.json`), JSON.stringify(report, null, 2));
        for (const cleanup of cleanups.reverse()) await cleanup();
        await rm(dir, { recursive: true, force: true });
      },
    };
    return bed;
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

const sampleCache = new Map<string, KubeObject>();

function readSample(effect: Effect, file: string): KubeObject {
  const path = join(REPO_ROOT, 'constraints', 'samples', effect, `${basename(file, '.yaml')}.yaml`);
  let sample = sampleCache.get(path);
  if (sample === undefined) {
    // Read synchronously once per sample: constraints are small and this keeps the builder synchronous.
    sample = parse(readFileSync(path, 'utf8')) as KubeObject;
    sampleCache.set(path, sample);
  }
  return sample;
}

interface ConstraintSpec {
  readonly enforcementAction?: string;
  readonly match?: Record<string, unknown>;
  readonly parameters?: Record<string, unknown>;
}

/** The sample renamed, matching only `scope.namespaces`, with `scope.parameters` merged over its own. */
export function scopeConstraint(sample: KubeObject, scope: ConstraintScope): KubeObject {
  const spec = (sample.spec ?? {}) as ConstraintSpec;
  return {
    ...sample,
    metadata: { name: scope.name },
    spec: {
      ...spec,
      match: { ...spec.match, namespaces: [...scope.namespaces] },
      parameters: { ...spec.parameters, ...scope.parameters },
    },
  };
}

export interface UnresponsiveServer {
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  stop(): Promise<void>;
}

/** Accepts TCP connections on 127.0.0.1 and never answers: a provider that hangs (Gatekeeper's timeout fires). */
export async function startUnresponsiveServer(): Promise<UnresponsiveServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
