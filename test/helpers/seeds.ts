// The seed documents and their configs (test/seeds, copied unchanged from the product documents), and
// seed 004's Kyverno policy adapted to a test bed and converted by `signet import kyverno`.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT } from './process.js';
import { runSignetCli, type CliRun } from './signet-cli.js';

/** Where the seed documents and configs live inside the repository. */
export const SEEDS_DIR = join(REPO_ROOT, 'test', 'seeds');

/** The path of one seed file; a missing one is an error. */
export function seedPath(name: string): string {
  const path = join(SEEDS_DIR, name);
  if (!existsSync(path)) throw new Error(`seed ${path} is missing`);
  return path;
}

/**
 * A seed config (`verify-config-kmp.yaml` or `verify-config-certificatestore.yaml`) with its inline certificate
 * replaced by `certificatePem` (the test's own CA: Ratify's sample CA has no public private key) and nothing else
 * changed, as YAML text.
 */
export async function seedConfigWithCertificate(name: string, certificatePem: string): Promise<string> {
  const path = seedPath(name);
  const documents = parseAllDocuments(await readFile(path, 'utf8'));
  const provider = documents.find((document) =>
    ['KeyManagementProvider', 'CertificateStore'].includes(String(document.get('kind'))),
  );
  if (provider?.getIn(['spec', 'parameters', 'value']) === undefined)
    throw new Error(`${path} no longer has an inline certificate provider`);
  provider.setIn(['spec', 'parameters', 'value'], certificatePem);
  return documents.map((document) => document.toString()).join('---\n');
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
