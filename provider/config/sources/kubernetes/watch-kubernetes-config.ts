import { SignetError } from '../../../errors.js';
import { KubernetesConfigController } from './config-controller.js';
import type { KubernetesConfigWatcher, WatchKubernetesConfigOptions } from './kubernetes-source.types.js';

/**
 * Watches Ratify's configuration kinds, kritis' attestation kinds (and Secrets in signet's namespace) and publishes a snapshot
 * whenever they make a different configuration. Rejected resources are skipped, reported in their
 * `status` and by a Warning Event; the rest still apply. Resolves once the first complete listing
 * was built (or after `initialSyncTimeoutMs`, leaving signet not ready until it arrives).
 */
export async function watchKubernetesConfig(
  options: WatchKubernetesConfigOptions,
): Promise<KubernetesConfigWatcher> {
  if (options.kubeConfig.getCurrentCluster() === null) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: 'no Kubernetes cluster is configured (in-cluster service account or KUBECONFIG)',
    });
  }
  const controller = new KubernetesConfigController(options);
  controller.start();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    controller.firstBuildDone,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.initialSyncTimeoutMs ?? 15_000);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  return controller;
}
