// Signs images with the real notation CLI, with its own configuration directory per signer.
import { join } from 'node:path';
import { runTool } from './tools.js';

export interface NotationSigner {
  /** The test certificate (self-signed, RSA) that verifies this signer's signatures: a trust store file. */
  readonly certificatePath: string;
  /** Its private key (PEM), for signing in the same form without the CLI (bench/images.ts). */
  readonly keyPath: string;
  sign(
    reference: string,
    options?: {
      format?: 'jws' | 'cose';
      referrersApi?: boolean;
      /** A docker config directory with the registry's credentials (`TestRegistry.dockerConfigDir`). */
      dockerConfigDir?: string;
    },
  ): Promise<void>;
}

/** A signer with a fresh `notation cert generate-test` key named `name`, configured under `configHome`. */
export async function createNotationSigner(configHome: string, name: string): Promise<NotationSigner> {
  const env = { XDG_CONFIG_HOME: configHome };
  await runTool('notation', ['cert', 'generate-test', '--default', name], { env });
  return {
    certificatePath: join(configHome, 'notation', 'localkeys', `${name}.crt`),
    keyPath: join(configHome, 'notation', 'localkeys', `${name}.key`),
    async sign(reference, options = {}) {
      await runTool(
        'notation',
        [
          'sign',
          '--insecure-registry',
          '--key',
          name,
          '--signature-format',
          options.format ?? 'jws',
          `--force-referrers-tag=${options.referrersApi === false ? 'true' : 'false'}`,
          reference,
        ],
        {
          env:
            options.dockerConfigDir === undefined ? env : { ...env, DOCKER_CONFIG: options.dockerConfigDir },
        },
      );
    },
  };
}
