// Certificate chains root → intermediate → leaf made by the real openssl CLI, for code signing with the
// real notation CLI: every key type notation supports, optional OCSP/CRL locations, and a way to hand the
// key and chain to notation (its local signing-key list).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runTool } from './tools.js';

const execFileAsync = promisify(execFile);

export type KeySpec =
  | { readonly $case: 'rsa'; readonly bits: 2048 | 3072 | 4096 }
  | { readonly $case: 'ec'; readonly curve: 'P-256' | 'P-384' | 'P-521' };

export const KEY_SPECS: readonly KeySpec[] = [
  { $case: 'rsa', bits: 2048 },
  { $case: 'rsa', bits: 3072 },
  { $case: 'rsa', bits: 4096 },
  { $case: 'ec', curve: 'P-256' },
  { $case: 'ec', curve: 'P-384' },
  { $case: 'ec', curve: 'P-521' },
];

export function keySpecName(spec: KeySpec): string {
  return spec.$case === 'rsa' ? `RSA-${spec.bits}` : `EC-${spec.curve}`;
}

export interface IssuedCertificate {
  readonly certPath: string;
  readonly keyPath: string;
  /** Subject as given to openssl (`/CN=…/O=…`). */
  readonly subject: string;
  /** Serial number, lower-case hex without prefix. */
  readonly serial: string;
}

export interface CertificateChain {
  readonly root: IssuedCertificate;
  readonly intermediate: IssuedCertificate;
  readonly leaf: IssuedCertificate;
  /** PEM file: leaf, intermediate, root (notation's `certPath` order). */
  readonly chainPath: string;
  /** Directory holding the chain's keys, certificates and CA databases. */
  readonly dir: string;
}

export interface ChainOptions {
  readonly key: KeySpec;
  /** EKU of the leaf (default codeSigning). */
  readonly leafExtendedKeyUsage?: 'codeSigning' | 'serverAuth';
  /** keyUsage of the leaf as openssl writes it (default `critical,digitalSignature`); null leaves it out. */
  readonly leafKeyUsage?: string | null;
  /** Authority Information Access OCSP URL written into the leaf. */
  readonly ocspUrl?: string;
  /** CRL distribution point written into the leaf. */
  readonly crlUrl?: string;
  /** Leaf validity; default: from an hour ago for 2 days. */
  readonly leafValidity?: { readonly notBefore: Date; readonly notAfter: Date };
}

export async function openssl(args: readonly string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync('openssl', args, { cwd, encoding: 'utf8', timeout: 120_000 });
    return stdout;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('tests need the openssl CLI: install it with `apt-get install openssl`');
    }
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args.join(' ')} failed: ${stderr.trim() || String(error)}`);
  }
}

function keyArgs(spec: KeySpec): string[] {
  return spec.$case === 'rsa'
    ? ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${spec.bits}`]
    : ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${spec.curve}`];
}

function caDirOf(issuerCertPath: string): string {
  return issuerCertPath.replace(/\.crt$/, '-ca');
}

/** The openssl `ca` configuration and database of the certificates `issuerCertPath` issues; made on first use. */
async function caDatabase(issuerCertPath: string): Promise<string> {
  const caDir = caDirOf(issuerCertPath);
  const configPath = join(caDir, 'openssl.cnf');
  try {
    await access(configPath);
    return configPath;
  } catch {
    // first certificate of this issuer
  }
  await mkdir(caDir, { recursive: true });
  await writeFile(join(caDir, 'index.txt'), '');
  await writeFile(join(caDir, 'index.txt.attr'), 'unique_subject = no\n');
  await writeFile(
    configPath,
    `[ca]\ndefault_ca = issuing\n[issuing]\ndatabase = ${join(caDir, 'index.txt')}\nserial = ${join(caDir, 'serial')}\n` +
      `new_certs_dir = ${caDir}\ndefault_md = sha256\ndefault_crl_days = 1\npolicy = any\nunique_subject = no\ncopy_extensions = none\n` +
      `[any]\ncommonName = supplied\norganizationName = optional\ncountryName = optional\n`,
  );
  return configPath;
}

/** openssl `ca`/`x509` time format: YYYYMMDDHHMMSSZ. */
function toOpensslTime(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

const CA_EXTENSIONS = [
  'basicConstraints=critical,CA:TRUE',
  'keyUsage=critical,keyCertSign,cRLSign',
  'subjectKeyIdentifier=hash',
];
const INTERMEDIATE_EXTENSIONS = [
  'basicConstraints=critical,CA:TRUE,pathlen:0',
  'keyUsage=critical,keyCertSign,cRLSign',
  'subjectKeyIdentifier=hash',
];

async function issueCertificate(
  dir: string,
  name: string,
  spec: KeySpec,
  extensions: readonly string[],
  issuer: IssuedCertificate | undefined,
  validity: { readonly notBefore: Date; readonly notAfter: Date },
): Promise<IssuedCertificate> {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.crt`);
  const subject = `/CN=${name}/O=signet-test/C=US`;
  const serial = randomBytes(8).toString('hex').replace(/^0/, '1');
  await openssl(['genpkey', ...keyArgs(spec), '-out', keyPath], dir);
  await openssl(['req', '-new', '-key', keyPath, '-subj', subject, '-out', join(dir, `${name}.csr`)], dir);
  const extensionsPath = join(dir, `${name}.ext`);
  await writeFile(
    extensionsPath,
    `${[...extensions, ...(issuer === undefined ? [] : ['authorityKeyIdentifier=keyid'])].join('\n')}\n`,
  );
  // `x509 -req` cannot set both validity ends; `openssl ca` can, and its database (one per issuer) is
  // what `openssl ocsp -index` answers from and `openssl ca -revoke/-gencrl` update.
  const signer = issuer ?? { certPath, keyPath };
  const caConfig = await caDatabase(issuer === undefined ? certPath : issuer.certPath);
  await writeFile(join(caDirOf(issuer === undefined ? certPath : issuer.certPath), 'serial'), `${serial}\n`);
  await openssl(
    [
      'ca',
      '-batch',
      '-config',
      caConfig,
      ...(issuer === undefined ? ['-selfsign'] : ['-cert', signer.certPath]),
      '-keyfile',
      signer.keyPath,
      '-in',
      join(dir, `${name}.csr`),
      '-startdate',
      toOpensslTime(validity.notBefore),
      '-enddate',
      toOpensslTime(validity.notAfter),
      '-extfile',
      extensionsPath,
      '-notext',
      '-out',
      certPath,
    ],
    dir,
  );
  return { certPath, keyPath, subject, serial };
}

/** A fresh root → intermediate → leaf chain under `dir`, every key of `options.key`'s type. */
export async function createCertificateChain(
  dir: string,
  name: string,
  options: ChainOptions,
): Promise<CertificateChain> {
  const chainDir = join(dir, name);
  await mkdir(chainDir, { recursive: true });
  const now = Date.now();
  const caValidity = { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 30 * 86_400_000) };
  const root = await issueCertificate(
    chainDir,
    `${name}-root`,
    options.key,
    CA_EXTENSIONS,
    undefined,
    caValidity,
  );
  const intermediate = await issueCertificate(
    chainDir,
    `${name}-intermediate`,
    options.key,
    INTERMEDIATE_EXTENSIONS,
    root,
    caValidity,
  );
  const leaf = await issueLeaf({ root, intermediate, dir: chainDir }, `${name}-leaf`, options);
  const chainPath = join(chainDir, `${name}-chain.pem`);
  const pems = await Promise.all([leaf, intermediate, root].map((c) => readFile(c.certPath, 'utf8')));
  await writeFile(chainPath, pems.join(''));
  return { root, intermediate, leaf, chainPath, dir: chainDir };
}

/** Another leaf from a chain's intermediate (same key type), with its own chain file. */
export async function issueLeaf(
  chain: Pick<CertificateChain, 'root' | 'intermediate' | 'dir'>,
  name: string,
  options: ChainOptions,
): Promise<IssuedCertificate & { readonly chainPath: string }> {
  const now = Date.now();
  const keyUsage = options.leafKeyUsage === undefined ? 'critical,digitalSignature' : options.leafKeyUsage;
  const leafExtensions = [
    'basicConstraints=CA:FALSE',
    ...(keyUsage === null ? [] : [`keyUsage=${keyUsage}`]),
    `extendedKeyUsage=${options.leafExtendedKeyUsage ?? 'codeSigning'}`,
    'subjectKeyIdentifier=hash',
    ...(options.ocspUrl === undefined ? [] : [`authorityInfoAccess=OCSP;URI:${options.ocspUrl}`]),
    ...(options.crlUrl === undefined ? [] : [`crlDistributionPoints=URI:${options.crlUrl}`]),
  ];
  const leaf = await issueCertificate(
    chain.dir,
    name,
    options.key,
    leafExtensions,
    chain.intermediate,
    options.leafValidity ?? {
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + 2 * 86_400_000),
    },
  );
  const chainPath = join(chain.dir, `${name}-chain.pem`);
  const pems = await Promise.all(
    [leaf, chain.intermediate, chain.root].map((c) => readFile(c.certPath, 'utf8')),
  );
  await writeFile(chainPath, pems.join(''));
  return { ...leaf, chainPath };
}

/** A delegated OCSP responder certificate (EKU OCSPSigning) issued by the chain's intermediate. */
export async function issueOcspResponder(chain: CertificateChain, key: KeySpec): Promise<IssuedCertificate> {
  const now = Date.now();
  return issueCertificate(
    chain.dir,
    'ocsp-responder',
    key,
    ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=OCSPSigning'],
    chain.intermediate,
    { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 2 * 86_400_000) },
  );
}

/** The intermediate's `openssl ca` index file (what `openssl ocsp -index` reads). */
export function intermediateIndexPath(chain: CertificateChain): string {
  return join(caDirOf(chain.intermediate.certPath), 'index.txt');
}

/** Marks a certificate the intermediate issued as revoked in its database. */
export async function revokeCertificate(
  chain: CertificateChain,
  certificate: IssuedCertificate,
): Promise<void> {
  const config = await caDatabase(chain.intermediate.certPath);
  await openssl(
    [
      'ca',
      '-config',
      config,
      '-cert',
      chain.intermediate.certPath,
      '-keyfile',
      chain.intermediate.keyPath,
      '-revoke',
      certificate.certPath,
    ],
    chain.dir,
  );
}

/** A DER CRL of the intermediate's database, signed by the intermediate, valid for a day. */
export async function createCrl(chain: CertificateChain): Promise<Buffer> {
  const config = await caDatabase(chain.intermediate.certPath);
  const pemPath = join(chain.dir, 'intermediate.crl.pem');
  const derPath = join(chain.dir, 'intermediate.crl');
  await openssl(
    [
      'ca',
      '-config',
      config,
      '-cert',
      chain.intermediate.certPath,
      '-keyfile',
      chain.intermediate.keyPath,
      '-gencrl',
      '-crldays',
      '1',
      '-out',
      pemPath,
    ],
    chain.dir,
  );
  await openssl(['crl', '-in', pemPath, '-outform', 'DER', '-out', derPath], chain.dir);
  return readFile(derPath);
}

export interface ChainSigner {
  sign(
    reference: string,
    options?: { format?: 'jws' | 'cose'; referrersApi?: boolean; extraArgs?: readonly string[] },
  ): Promise<void>;
}

/**
 * Registers the chain's leaf key with notation under `configHome` (notation's local signing-key list,
 * `signingkeys.json`, which `notation key add` only fills for plugin keys) and signs with it.
 */
export async function createChainSigner(
  configHome: string,
  name: string,
  chain: { readonly leaf: Pick<IssuedCertificate, 'keyPath'>; readonly chainPath: string },
): Promise<ChainSigner> {
  const notationDir = join(configHome, 'notation');
  await mkdir(notationDir, { recursive: true });
  const listPath = join(notationDir, 'signingkeys.json');
  let list: { default?: string; keys: Array<{ name: string; keyPath: string; certPath: string }> };
  try {
    list = JSON.parse(await readFile(listPath, 'utf8')) as typeof list;
  } catch {
    list = { keys: [] };
  }
  list.keys = [
    ...list.keys.filter((key) => key.name !== name),
    { name, keyPath: chain.leaf.keyPath, certPath: chain.chainPath },
  ];
  await writeFile(listPath, JSON.stringify(list, null, 2));
  const env = { XDG_CONFIG_HOME: configHome };
  return {
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
          ...(options.extraArgs ?? []),
          reference,
        ],
        { env },
      );
    },
  };
}

/**
 * Answers one DER OCSP request with the real `openssl ocsp` responder logic for the chain's intermediate (its
 * database), signed by a delegated responder certificate, nextUpdate a day ahead (notation treats a response
 * without one as expired). OpenSSL 3.0's `ocsp -port` binds every interface, so tests serve this answer from
 * their own loopback HTTP server instead.
 */
export async function answerOcspRequest(
  chain: CertificateChain,
  responder: IssuedCertificate,
  request: Uint8Array,
): Promise<Buffer> {
  const id = randomBytes(6).toString('hex');
  const requestPath = join(chain.dir, `ocsp-${id}.req`);
  const responsePath = join(chain.dir, `ocsp-${id}.resp`);
  await writeFile(requestPath, request);
  await openssl(
    [
      'ocsp',
      '-index',
      intermediateIndexPath(chain),
      '-reqin',
      requestPath,
      '-respout',
      responsePath,
      '-rsigner',
      responder.certPath,
      '-rkey',
      responder.keyPath,
      '-CA',
      chain.intermediate.certPath,
      '-ndays',
      '1',
    ],
    chain.dir,
  );
  return readFile(responsePath);
}
