// Seeds 001 (kritis attestor) and 004 (cosign key + Kyverno policy) on the e2e admission bed. The bed's own signet
// trusts its notation signer only; these seeds need their own configuration, so a second `signet serve` (same
// mTLS setup, Gatekeeper's client certificate) serves it and the bed's `ratify-provider` Provider is repointed at
// it: constraints written for `ratify-provider` (e.g. those `signet import kyverno` produces) apply unchanged.
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { PROVIDER_TIMEOUT_SECONDS, VERIFY_PROVIDER, type AdmissionBed } from '../e2e/admission-bed.js';
import {
  startSignetForGatekeeper,
  type SignetForGatekeeper,
  type StartSignetForGatekeeperOptions,
} from './gatekeeper.js';

/** signet's per-request deadline, below the Provider timeout (as the bed's own signet). */
const SIGNET_DEADLINE_MS = 4_000;
const PROVIDER_SWITCH_TIMEOUT_MS = 60_000;

export interface SeedSignet {
  readonly signet: SignetForGatekeeper;
  /** Runs a test body; a failure carries the bed's diagnostics and this signet's output. */
  explain<T>(run: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

interface ProviderState {
  readonly metadata?: { readonly generation?: number };
  readonly status?: {
    readonly byPod?: readonly { id?: string; active?: boolean; observedGeneration?: number }[];
  };
}

/**
 * Serves `configPath` (or, with `--config-source` in `options.extraArgs`, another configuration source) with a
 * second signet and repoints the bed's `ratify-provider` at it, waiting until
 * Gatekeeper reports the new Provider generation active (the bed's applyProvider would see the old one active).
 */
export async function serveSeedConfig(
  bed: AdmissionBed,
  configPath: string | undefined,
  dir: string,
  options: Pick<StartSignetForGatekeeperOptions, 'extraArgs' | 'env'> = {},
): Promise<SeedSignet> {
  const signet = await startSignetForGatekeeper(bed.gatekeeper, {
    ...(configPath === undefined ? {} : { configPath }),
    dir,
    extraArgs: [
      '--deadline-ms',
      String(SIGNET_DEADLINE_MS),
      '--log-level',
      'warn',
      ...(options.extraArgs ?? []),
    ],
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  try {
    await bed.kube.kubectl(['apply', '-f', '-'], {
      input: stringify(signet.providerResource(VERIFY_PROVIDER, 'verify', PROVIDER_TIMEOUT_SECONDS)),
    });
    const deadline = Date.now() + PROVIDER_SWITCH_TIMEOUT_MS;
    let last = 'not read yet';
    for (;;) {
      const state = JSON.parse(
        (
          await bed.kube.kubectl([
            'get',
            'providers.externaldata.gatekeeper.sh',
            VERIFY_PROVIDER,
            '-o',
            'json',
          ])
        ).stdout,
      ) as ProviderState;
      const generation = state.metadata?.generation;
      const ours = state.status?.byPod?.find((pod) => pod.id === bed.gatekeeper.podName);
      if (generation !== undefined && ours?.active === true && ours.observedGeneration === generation) break;
      last = JSON.stringify(state.status ?? {});
      if (Date.now() > deadline)
        throw new Error(
          `Provider ${VERIFY_PROVIDER} generation ${generation ?? '?'} not active after ${PROVIDER_SWITCH_TIMEOUT_MS} ms: ${last}`,
        );
      await sleep(250);
    }
  } catch (error) {
    await signet.stop();
    throw error;
  }
  return {
    signet,
    async explain(run) {
      try {
        return await run();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(
          `${message}\n${await bed.diagnostics()}\n--- seed signet:\n${signet.provider.output().slice(-4_000)}`,
        );
      }
    },
    stop: () => signet.stop(),
  };
}
