// The shared seed documents (`../shared/seeds` beside the repository, or SIGNET_SEEDS_DIR), read in place, and
// seed 004's Kyverno policy adapted to a test bed and converted by `signet import kyverno`.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from './process.js';
import { runSignetCli, type CliRun } from './signet-cli.js';

/** The path of one seed file; a missing one is an error naming SIGNET_SEEDS_DIR. */
export function seedPath(name: string): string {
  const path = join(process.env.SIGNET_SEEDS_DIR ?? join(REPO_ROOT, '..', 'shared', 'seeds'), name);
  if (!existsSync(path)) throw new Error(`seed ${path} is missing (set SIGNET_SEEDS_DIR to override)`);
  return path;
}

interface KyvernoSeedPolicy {
  readonly spec: {
    readonly rules: readonly {
      readonly verifyImages: {
        imageReferences: string[];
        readonly attestors: readonly {
          readonly entries: readonly {
            readonly keys: { publicKeys: string; rekor?: { ignoreTlog: boolean } };
          }[];
        }[];
      }[];
    }[];
  };
}

/**
 * Seed 004's kyverno-check-image.yaml with a test key (the seed's key has no private half), its image glob
 * `314315960/nginx-demo*` pointed at `imageGlob`, and the transparency log ignored (cosign signs offline in tests).
 */
async function adaptKyvernoSeed(publicKeyPem: string, imageGlob: string): Promise<string> {
  const path = seedPath('kyverno-check-image.yaml');
  const policy = parse(await readFile(path, 'utf8')) as KyvernoSeedPolicy;
  const verifyImages = policy.spec.rules[0]?.verifyImages[0];
  const keys = verifyImages?.attestors[0]?.entries[0]?.keys;
  if (
    verifyImages === undefined ||
    keys === undefined ||
    verifyImages.imageReferences[0] !== '314315960/nginx-demo*'
  )
    throw new Error(`${path} no longer has the shape seed 004 documents`);
  verifyImages.imageReferences = [imageGlob];
  keys.publicKeys = publicKeyPem.trim();
  keys.rekor = { ignoreTlog: true };
  return stringify(policy);
}

export interface ConvertedKyvernoSeed {
  /** `signet import kyverno`'s run (its exit code is the caller's to judge). */
  readonly run: CliRun;
  /** Where it writes signet-config.yaml and constraints.yaml. */
  readonly outDir: string;
}

/** Writes the adapted seed 004 policy into `dir` and runs `signet import kyverno <policy> -o <dir>/converted`. */
export async function convertKyvernoSeed(
  dir: string,
  publicKeyPem: string,
  imageGlob: string,
): Promise<ConvertedKyvernoSeed> {
  const policyPath = join(dir, 'check-image-sign-policy.yaml');
  await writeFile(policyPath, await adaptKyvernoSeed(publicKeyPem, imageGlob));
  const outDir = join(dir, 'converted');
  return { run: await runSignetCli(['import', 'kyverno', policyPath, '-o', outDir]), outDir };
}
