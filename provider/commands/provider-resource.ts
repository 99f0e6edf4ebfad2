// `signet provider-resource`: the Gatekeeper Provider resource that points at signet.
import { Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { DEFAULT_PROTOCOL_OPTIONS, toProviderResource } from '../server/index.js';
import { integer } from './options.js';

export interface ProviderResourceCommandOptions {
  readonly name: string;
  readonly url: string;
  readonly caFile: string;
  readonly timeout: number;
}

/** Prints the Gatekeeper Provider resource for signet, its caBundle taken from the CA that issued signet's serving certificate. */
export async function providerResourceCommand(options: ProviderResourceCommandOptions): Promise<void> {
  const resource = toProviderResource({
    name: options.name,
    url: options.url,
    timeoutSeconds: options.timeout,
    caBundlePem: await readFile(options.caFile, 'utf8'),
  });
  // JSON is valid YAML and leaves kubectl nothing to reinterpret (YAML 1.1 booleans).
  process.stdout.write(`${JSON.stringify(resource, null, 2)}\n`);
}

export function addProviderResourceCommand(program: Command): void {
  program
    .command('provider-resource')
    .description(
      'print the Gatekeeper Provider resource (externaldata.gatekeeper.sh/v1beta1) that points at signet, for kubectl apply -f -',
    )
    .requiredOption(
      '--url <url>',
      'https URL of the verify (or mutate) endpoint, e.g. https://signet.signet-system:6001/ratify/gatekeeper/v1/verify',
    )
    .requiredOption(
      '--ca-file <file>',
      "PEM of the CA that issued signet's serving certificate (becomes spec.caBundle)",
    )
    .option('--name <name>', 'Provider name that templates reference', DEFAULT_PROTOCOL_OPTIONS.providerName)
    .addOption(
      new Option('--timeout <seconds>', "Gatekeeper's timeout per call; keep signet's --deadline-ms below it")
        .argParser(integer(1, 30))
        .default(5),
    )
    .action((options: ProviderResourceCommandOptions) => providerResourceCommand(options));
}
