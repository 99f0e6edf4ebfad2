// `npm run manifests`: renders deploy/manifests/signet.yaml from the Helm chart (deploy/helm/signet) with
// deploy/manifests/values.yaml into namespace gatekeeper-system, CRDs included, hooks left out. The chart test
// (test/integration/helm-chart.int.test.ts) checks that the committed file equals a fresh rendering.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { helmTemplate } from '../helpers/chart-deployment.js';
import { REPO_ROOT } from '../helpers/process.js';

export const MANIFESTS_DIR = join(REPO_ROOT, 'deploy', 'manifests');
export const PLAIN_MANIFEST = join(MANIFESTS_DIR, 'signet.yaml');
export const PLAIN_MANIFEST_NAMESPACE = 'gatekeeper-system';

const HEADER = `# signet: plain Kubernetes manifests rendered from the Helm chart deploy/helm/signet with
# deploy/manifests/values.yaml (release "signet", namespace ${PLAIN_MANIFEST_NAMESPACE}). Do not edit: run \`npm run manifests\`.
#
# Before applying (Gatekeeper installed, so ${PLAIN_MANIFEST_NAMESPACE} and its CA Secret gatekeeper-webhook-server-cert exist):
#   1. Serving certificate for signet.${PLAIN_MANIFEST_NAMESPACE} (and .svc, .svc.cluster.local) with its CA:
#        kubectl -n ${PLAIN_MANIFEST_NAMESPACE} create secret generic signet-tls \\
#          --from-file=tls.crt --from-file=tls.key --from-file=ca.crt
#   2. kubectl apply --server-side -f deploy/manifests/signet.yaml
#   3. The Gatekeeper Providers, trusting that CA:
#        signet provider-resource --name ratify-provider --ca-file ca.crt \\
#          --url https://signet.${PLAIN_MANIFEST_NAMESPACE}:6001/ratify/gatekeeper/v1/verify --timeout 3 | kubectl apply -f -
#        signet provider-resource --name ratify-mutation-provider --ca-file ca.crt \\
#          --url https://signet.${PLAIN_MANIFEST_NAMESPACE}:6001/ratify/gatekeeper/v1/mutate --timeout 3 | kubectl apply -f -
# The image (ghcr.io/signet/signet) is a placeholder: point the Deployment at the signet image you build.
`;

export async function renderPlainManifests(): Promise<string> {
  const rendered = await helmTemplate({
    release: 'signet',
    namespace: PLAIN_MANIFEST_NAMESPACE,
    valuesFiles: [join(MANIFESTS_DIR, 'values.yaml')],
    includeCrds: true,
    noHooks: true,
  });
  return HEADER + rendered;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(PLAIN_MANIFEST, await renderPlainManifests());
  process.stdout.write(`wrote ${PLAIN_MANIFEST}\n`);
}
