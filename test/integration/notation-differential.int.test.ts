// Differential test: every case is judged by the real `notation verify` and by a real signet process, both with
// the same trust policy document and trust store; they must agree, and agree with the expected verdict.
// Images live in a real olareg registry; signatures come from the notation CLI (or, where notation refuses to
// sign, a hand-made JWS); tampered envelopes are fetched back with oras, modified here and attached anew.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { callProvider } from '../helpers/gatekeeper-client.js';
import { createNotationSigner, type NotationSigner } from '../helpers/notation.js';
import { pushImage, pushWithJwsSignature, type PushedManifest } from '../helpers/images.js';
import {
  createJwsEnvelope,
  fetchNotationEnvelope,
  notationVerify,
  writeNotationTrust,
  type TrustPolicyStatement,
} from '../helpers/notation-verify.js';
import {
  answerOcspRequest,
  createCertificateChain,
  createChainSigner,
  createCrl,
  issueLeaf,
  issueOcspResponder,
  revokeCertificate,
  type CertificateChain,
  type ChainSigner,
  type IssuedCertificate,
} from '../helpers/openssl-ca.js';
import { startProvider, type StartedProvider } from '../helpers/process.js';
import { notationConfig } from '../helpers/ratify-config.js';
import { startRevocationServer, type RevocationServer } from '../helpers/revocation-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { runTool } from '../helpers/tools.js';
import { startTsa, type TestTsa } from '../helpers/tsa.js';

const KEY = { $case: 'ec', curve: 'P-256' } as const;
const DAY_MS = 86_400_000;
/** Lifetime of the timestamped leaf: long enough to sign with, short enough to outlive during setup. */
const SHORT_LIVED_MS = 8_000;

type PolicyName = 'main' | 'scoped';

interface DifferentialCase {
  readonly name: string;
  readonly policy: PolicyName;
  readonly expected: 'pass' | 'fail';
  /** What signet's report must name when the case fails, so both verdicts come from the intended check. */
  readonly reason?: RegExp;
  /** The image to judge, signed (or not) as the case needs. */
  readonly image: () => Promise<PushedManifest>;
}

let dir: string;
let registry: TestRegistry;
let revocationServer: RevocationServer | undefined;
let chain: CertificateChain;
let signer: ChainSigner;
let strangerSigner: ChainSigner;
/** `notation cert generate-test` key: its subject has the C, ST and O that x509.subject identities need. */
let testKeySigner: NotationSigner;
const TEST_KEY_SUBJECT = 'CN=signet-identity,O=Notary,L=Seattle,ST=WA,C=US';
const leaves = new Map<string, IssuedCertificate & { readonly chainPath: string }>();
const homes: Record<PolicyName, string> = { main: '', scoped: '' };
const providers: Partial<Record<PolicyName, StartedProvider>> = {};
const images = new Map<string, PushedManifest>();
let counter = 0;
let tsa: TestTsa | undefined;
/** Signed through the TSA by a leaf that expires during setup. */
let timestampedImage: PushedManifest;

function leaf(name: string): IssuedCertificate & { readonly chainPath: string } {
  const found = leaves.get(name);
  if (found === undefined) throw new Error(`no leaf ${name}`);
  return found;
}

function statement(
  name: string,
  registryScopes: readonly string[],
  level: string,
  trustedIdentities: readonly string[] = ['*'],
  trustStores: readonly string[] = ['ca:certs'],
): TrustPolicyStatement {
  // notation rejects a skip statement that names trust stores or identities.
  if (level === 'skip') return { name, registryScopes, signatureVerification: { level } };
  return { name, registryScopes, signatureVerification: { level }, trustStores, trustedIdentities };
}

async function signed(repository: string, extraArgs: readonly string[] = []): Promise<PushedManifest> {
  const image = await pushImage(registry, repository, 'v1');
  await signer.sign(image.digestReference, { extraArgs });
  return image;
}

async function signedByTestKey(repository: string): Promise<PushedManifest> {
  const image = await pushImage(registry, repository, 'v1');
  await testKeySigner.sign(image.digestReference);
  return image;
}

async function signedByLeaf(
  name: string,
  repository: string,
  extraArgs: readonly string[] = [],
): Promise<PushedManifest> {
  const issued = leaf(name);
  const leafSigner = await createChainSigner(join(dir, 'signing-home'), name, {
    leaf: issued,
    chainPath: issued.chainPath,
  });
  const image = await pushImage(registry, repository, 'v1');
  await leafSigner.sign(image.digestReference, { extraArgs });
  return image;
}

/** notation's own envelope for `image`, made on a copy of it in a scratch repository (same digest). */
async function notationEnvelopeOf(image: PushedManifest): Promise<Record<string, unknown>> {
  counter += 1;
  const copy = `${registry.host}/scratch/copy-${counter}@${image.digest}`;
  await runTool('crane', [
    'copy',
    image.digestReference,
    `${registry.host}/scratch/copy-${counter}:v1`,
    '--insecure',
  ]);
  await signer.sign(copy);
  return JSON.parse((await fetchNotationEnvelope(registry, copy)).toString('utf8')) as Record<
    string,
    unknown
  >;
}

function field(envelope: Record<string, unknown>, name: string): string {
  const value = envelope[name];
  if (typeof value !== 'string') throw new Error(`envelope has no ${name}`);
  return value;
}

async function signetVerdict(
  policy: PolicyName,
  reference: string,
): Promise<{ verified: boolean; output: string }> {
  const provider = providers[policy];
  if (provider === undefined) throw new Error(`${policy} provider not started`);
  const answer = await callProvider(`${provider.url}/ratify/gatekeeper/v1/verify`, [reference]);
  const item = answer.body.response?.items?.[0];
  if (item === undefined)
    return { verified: false, output: `systemError: ${answer.body.response?.systemError ?? ''}` };
  return {
    verified: item.value?.isSuccess === true,
    output: JSON.stringify(item.value?.verifierReports ?? []),
  };
}

const cases: readonly DifferentialCase[] = [
  { name: 'valid signature', policy: 'main', expected: 'pass', image: () => signed('valid/app') },
  {
    name: 'hand-made JWS by a valid codeSigning leaf (control for the hand-made cases)',
    policy: 'main',
    expected: 'pass',
    image: () =>
      pushWithJwsSignature(registry, 'handmade/control', (image) =>
        createJwsEnvelope(chain, chain.leaf, image),
      ),
  },
  {
    name: 'tampered signature bytes',
    policy: 'main',
    expected: 'fail',
    reason: /integrity.*signature is invalid/,
    image: () =>
      pushWithJwsSignature(registry, 'tampered/signature', async (image) => {
        const envelope = await notationEnvelopeOf(image);
        const signature = Buffer.from(field(envelope, 'signature'), 'base64url');
        signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 0x01;
        return JSON.stringify({ ...envelope, signature: signature.toString('base64url') });
      }),
  },
  {
    name: 'tampered payload',
    policy: 'main',
    expected: 'fail',
    reason: /integrity.*signature is invalid/,
    image: () =>
      pushWithJwsSignature(registry, 'tampered/payload', async (image) => {
        const envelope = await notationEnvelopeOf(image);
        const payload = JSON.parse(Buffer.from(field(envelope, 'payload'), 'base64url').toString('utf8')) as {
          targetArtifact: Record<string, unknown>;
        };
        payload.targetArtifact.annotations = { tampered: 'yes' };
        return JSON.stringify({
          ...envelope,
          payload: Buffer.from(JSON.stringify(payload)).toString('base64url'),
        });
      }),
  },
  {
    name: "another image's signature copied over",
    policy: 'main',
    expected: 'fail',
    reason: /integrity.*content descriptor mismatch/,
    image: async () => {
      const original = await signed('copied/original');
      const envelope = await fetchNotationEnvelope(registry, original.digestReference);
      return pushWithJwsSignature(registry, 'copied/target', () =>
        Promise.resolve(envelope.toString('utf8')),
      );
    },
  },
  {
    name: 'signer chain not in the trust store',
    policy: 'main',
    expected: 'fail',
    reason: /authenticity.*does not contain any trusted certificate/,
    image: async () => {
      const image = await pushImage(registry, 'stranger/app', 'v1');
      await strangerSigner.sign(image.digestReference);
      return image;
    },
  },
  {
    name: 'trusted identity matches (x509.subject)',
    policy: 'main',
    expected: 'pass',
    image: () => signedByTestKey('identity/match'),
  },
  {
    name: 'identity mismatch (x509.subject)',
    policy: 'main',
    expected: 'fail',
    reason: /authenticity.*does not match the X\.509 trusted identities/,
    image: () => signedByTestKey('identity/mismatch'),
  },
  {
    name: 'x509.subject identity, leaf subject without ST (notation cannot parse it as an identity)',
    policy: 'main',
    expected: 'fail',
    reason: /authenticity.*parsing the certificate subject/,
    image: () => signed('identity/no-st'),
  },
  ...(['strict', 'permissive', 'audit', 'skip'] as const).map((level) => ({
    name: `expired signature (--expiry 1s) at level ${level}`,
    policy: 'main' as const,
    expected: level === 'strict' ? ('fail' as const) : ('pass' as const),
    ...(level === 'strict' ? { reason: /expiry.*has expired/ } : {}),
    image: () => signed(`levels/${level}`, ['--expiry', '1s']),
  })),
  {
    name: 'scope mismatch (no statement names the repository)',
    policy: 'scoped',
    expected: 'fail',
    reason: /no applicable (oci )?trust policy/,
    image: () => signed('unscoped/app'),
  },
  {
    name: 'expired leaf, no timestamp',
    policy: 'main',
    expected: 'fail',
    reason: /authenticTimestamp.*after certificate/,
    image: () =>
      pushWithJwsSignature(registry, 'leaf/expired', (image) =>
        createJwsEnvelope(chain, leaf('expired'), image, { signingTime: new Date(Date.now() - 2 * DAY_MS) }),
      ),
  },
  {
    name: 'expired leaf, timestamped inside its validity by a trusted TSA',
    policy: 'main',
    expected: 'pass',
    image: () => Promise.resolve(timestampedImage),
  },
  {
    name: 'not-yet-valid leaf',
    policy: 'main',
    expected: 'fail',
    reason: /authenticTimestamp.*before certificate/,
    image: () =>
      pushWithJwsSignature(registry, 'leaf/not-yet-valid', (image) =>
        createJwsEnvelope(chain, leaf('not-yet-valid'), image),
      ),
  },
  {
    name: 'leaf with EKU serverAuth only',
    policy: 'main',
    expected: 'fail',
    reason: /certificate-chain is invalid/,
    image: () =>
      pushWithJwsSignature(registry, 'leaf/server-auth', (image) =>
        createJwsEnvelope(chain, leaf('server-auth'), image),
      ),
  },
  ...(['no-key-usage', 'wrong-key-usage', 'non-critical-key-usage'] as const).map((name) => ({
    name: `leaf with ${name.replaceAll('-', ' ')}`,
    policy: 'main' as const,
    expected: 'fail' as const,
    reason: /certificate-chain is invalid/,
    image: () =>
      pushWithJwsSignature(registry, `leaf/${name}`, (image) => createJwsEnvelope(chain, leaf(name), image)),
  })),
  {
    name: 'leaf revoked at its OCSP responder',
    policy: 'main',
    expected: 'fail',
    reason: /revocation.*revoked/,
    image: () => signedByLeaf('revoked-ocsp', 'leaf/revoked-ocsp'),
  },
  {
    name: 'leaf revoked in its CRL',
    policy: 'main',
    expected: 'fail',
    reason: /revocation.*revoked/,
    image: () => signedByLeaf('revoked', 'leaf/revoked'),
  },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signet-notation-differential-'));
  revocationServer = await startRevocationServer();
  registry = await startRegistry();

  chain = await createCertificateChain(dir, 'trusted', { key: KEY });
  const stranger = await createCertificateChain(dir, 'stranger', { key: KEY });
  tsa = await startTsa(dir);
  // Issued and used first: it must expire before the tests run, without a long wait.
  const shortLivedUntil = Date.now() + SHORT_LIVED_MS;
  leaves.set(
    'short-lived',
    await issueLeaf(chain, 'short-lived', {
      key: KEY,
      leafValidity: { notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(shortLivedUntil) },
    }),
  );
  timestampedImage = await signedByLeaf('short-lived', 'timestamp/expired-leaf', [
    '--timestamp-url',
    tsa.url,
    '--timestamp-root-cert',
    tsa.rootPath,
  ]);
  const now = Date.now();
  const leafOptions = {
    expired: {
      key: KEY,
      leafValidity: { notBefore: new Date(now - 3 * DAY_MS), notAfter: new Date(now - DAY_MS) },
    },
    'not-yet-valid': {
      key: KEY,
      leafValidity: { notBefore: new Date(now + DAY_MS), notAfter: new Date(now + 2 * DAY_MS) },
    },
    'server-auth': { key: KEY, leafExtendedKeyUsage: 'serverAuth' as const },
    'no-key-usage': { key: KEY, leafKeyUsage: null },
    'wrong-key-usage': { key: KEY, leafKeyUsage: 'critical,keyEncipherment' },
    'non-critical-key-usage': { key: KEY, leafKeyUsage: 'digitalSignature' },
    revoked: { key: KEY, crlUrl: revocationServer.crlUrl },
    'revoked-ocsp': { key: KEY, ocspUrl: revocationServer.ocspUrl },
  };
  for (const [name, options] of Object.entries(leafOptions)) {
    leaves.set(name, await issueLeaf(chain, name, options));
  }
  await revokeCertificate(chain, leaf('revoked'));
  await revokeCertificate(chain, leaf('revoked-ocsp'));
  revocationServer.setCrl(await createCrl(chain));
  const responder = await issueOcspResponder(chain, KEY);
  revocationServer.setOcspAnswerer((request) => answerOcspRequest(chain, responder, request));
  const signingHome = join(dir, 'signing-home');
  signer = await createChainSigner(signingHome, 'trusted', chain);
  strangerSigner = await createChainSigner(signingHome, 'stranger', stranger);
  testKeySigner = await createNotationSigner(join(dir, 'test-key-home'), 'signet-identity');

  const host = registry.host;
  const policies: Record<PolicyName, TrustPolicyStatement[]> = {
    main: [
      statement('default', ['*'], 'strict'),
      ...['permissive', 'audit', 'skip'].map((level) => statement(level, [`${host}/levels/${level}`], level)),
      statement('timestamp', [`${host}/timestamp/expired-leaf`], 'strict', ['*'], ['ca:certs', 'tsa:stamps']),
      statement('identity-match', [`${host}/identity/match`], 'strict', [
        `x509.subject: ${TEST_KEY_SUBJECT}`,
      ]),
      statement('identity-mismatch', [`${host}/identity/mismatch`], 'strict', [
        'x509.subject: CN=someone-else,O=Notary,L=Seattle,ST=WA,C=US',
      ]),
      statement('identity-no-st', [`${host}/identity/no-st`], 'strict', [
        'x509.subject: CN=trusted-leaf,O=signet-test,ST=WA,C=US',
      ]),
    ],
    scoped: [statement('elsewhere', [`${host}/elsewhere/app`], 'strict')],
  };
  // One `ca` store: the openssl chain's root and the self-signed test key's certificate.
  const root = (
    await Promise.all(
      [chain.root.certPath, testKeySigner.certificatePath].map((path) => readFile(path, 'utf8')),
    )
  ).join('');
  const tsaRoot = await readFile(tsa.rootPath, 'utf8');
  await Promise.all(
    (['main', 'scoped'] as const).map(async (policy) => {
      homes[policy] = join(dir, `verify-${policy}`);
      await writeNotationTrust(homes[policy], { 'ca:certs': root, 'tsa:stamps': tsaRoot }, policies[policy]);
      const configPath = join(dir, `config-${policy}.yaml`);
      await writeFile(
        configPath,
        notationConfig({
          trust: { $case: 'inline', certificatePem: root },
          tsaCertificatePem: tsaRoot,
          trustPolicies: policies[policy],
        }),
      );
      providers[policy] = await startProvider([
        '--insecure-http',
        '--config',
        configPath,
        '--log-level',
        'warn',
      ]);
    }),
  );

  for (const differentialCase of cases) images.set(differentialCase.name, await differentialCase.image());
  // The `--expiry 1s` signatures and the short-lived leaf must have expired for both verifiers.
  await sleep(Math.max(1_500, shortLivedUntil + 1_000 - Date.now()));
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(providers).map((provider) => provider.stop()));
  await revocationServer?.stop();
  await tsa?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('notation verify and signet agree', () => {
  describe.each(cases.map((c) => [c.name, c] as const))('%s', (_name, differentialCase) => {
    it(`both ${differentialCase.expected}`, async () => {
      const image = images.get(differentialCase.name);
      if (image === undefined) throw new Error(`case ${differentialCase.name} has no image`);
      const [notation, signet] = await Promise.all([
        notationVerify(homes[differentialCase.policy], image.digestReference),
        signetVerdict(differentialCase.policy, image.digestReference),
      ]);
      const verdict = (verified: boolean) => (verified ? 'pass' : 'fail');
      const verdicts = { notation: verdict(notation.verified), signet: verdict(signet.verified) };
      if (verdicts.notation !== differentialCase.expected || verdicts.signet !== differentialCase.expected) {
        throw new Error(
          `expected both to ${differentialCase.expected}, got ${JSON.stringify(verdicts)}\nnotation: ${notation.output}\nsignet: ${signet.output}`,
        );
      }
      expect(verdicts).toEqual({ notation: differentialCase.expected, signet: differentialCase.expected });
      if (differentialCase.reason !== undefined) expect(signet.output).toMatch(differentialCase.reason);
    }, 30_000);
  });
});
