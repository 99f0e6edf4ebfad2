// Workloads of every pod-bearing kind running one image, as the compliance report's tests and benchmark create them.

function podSpec(image: string) {
  return { containers: [{ name: 'main', image }], restartPolicy: 'Always' };
}

/** The pod-bearing kinds a compliance report covers. */
export const POD_BEARING_KINDS = [
  'Pod',
  'ReplicationController',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
] as const;

/** A workload of `kind` running `image`, with the pod template's labels where the kind has one. */
export function workload(
  kind: string,
  name: string,
  image: string,
  namespace: string,
  labels: Record<string, string> = {},
) {
  const metadata = { name, namespace, labels };
  const template = { metadata: { labels: { app: name } }, spec: podSpec(image) };
  const selector = { matchLabels: { app: name } };
  switch (kind) {
    case 'Pod':
      return { apiVersion: 'v1', kind, metadata, spec: podSpec(image) };
    case 'ReplicationController':
      return { apiVersion: 'v1', kind, metadata, spec: { selector: { app: name }, template } };
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { selector, template } };
    case 'StatefulSet':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { selector, serviceName: name, template } };
    case 'Job':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata,
        spec: { template: { spec: { ...podSpec(image), restartPolicy: 'Never' } } },
      };
    case 'CronJob':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata,
        spec: {
          schedule: '*/5 * * * *',
          jobTemplate: { spec: { template: { spec: { ...podSpec(image), restartPolicy: 'Never' } } } },
        },
      };
    default:
      throw new Error(`no workload template for ${kind}`);
  }
}
