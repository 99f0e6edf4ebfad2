// Starts the e2e admission bed for debugging by hand and keeps it running until Ctrl-C:
//   npx tsx test/e2e/bed-shell.ts [template ...]
// It applies the named templates (default: signetverification) and a deny constraint of the sample for the
// `default` namespace, pushes a signed and an unsigned image, and prints how to reach everything.
import { startAdmissionBed } from './admission-bed.js';

const templates = process.argv.slice(2);
const bed = await startAdmissionBed('shell');
for (const template of templates.length > 0 ? templates : ['signetverification'])
  await bed.applyTemplate(template);
if (templates.length === 0) {
  await bed.gatekeeper.applyConstraint(
    bed.sampleConstraint('deny', 'signet-verification', {
      name: 'signet-verification-deny',
      namespaces: ['default'],
    }),
  );
}
const [signed, unsigned] = await Promise.all([
  bed.pushSigned('demo/app', 'signed'),
  bed.pushUnsigned('demo/app', 'unsigned'),
]);

process.stdout.write(`
e2e bed ready in ${Math.round(bed.startupMs)} ms
  export KUBECONFIG=${bed.kube.kubeconfigPath}
  alias kubectl=${bed.kube.kubectlPath}
  kubectl run demo-signed --image=${signed.reference}      # admitted
  kubectl run demo-unsigned --image=${unsigned.reference}  # denied
gatekeeper: webhook ${bed.gatekeeper.webhookUrl}, metrics ${bed.gatekeeper.metricsUrl}, log ${bed.gatekeeper.logPath}
logs: kube-apiserver ${bed.kube.logPaths.apiserver}, etcd ${bed.kube.logPaths.etcd}
signet: ${bed.signet.provider.url} (metrics ${bed.signet.provider.metricsUrl}); registry ${bed.registry.url}
Ctrl-C stops everything and deletes the working directories.
`);

await new Promise<void>((resolve) => process.once('SIGINT', resolve));
await bed.stop();
