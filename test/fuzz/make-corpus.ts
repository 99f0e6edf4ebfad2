/**
 * Writes the seed corpora under test/fuzz/corpus/<target>/ from test/vectors/data and a few inputs made here.
 * Run with `tsx test/fuzz/make-corpus.ts` after changing it; the fuzzers only read these seeds.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const vectors = path.join(here, '..', 'vectors', 'data');
const digest = `sha256:${'a'.repeat(64)}`;

function vector(file: string): Buffer {
  return readFileSync(path.join(vectors, file));
}

/** A DER certificate from a PEM one. */
function der(pem: Buffer): Buffer {
  return Buffer.from(pem.toString('latin1').replace(/-----[^-]+-----|\s/g, ''), 'base64');
}

const bundleV03 = JSON.parse(vector('sigstore-js/tests/bundles/bundleV03-dsse.sigstore').toString()) as {
  dsseEnvelope: unknown;
};

export const SEEDS: Readonly<Record<string, readonly (string | Buffer)[]>> = {
  reference: [
    'nginx',
    'docker.io/library/nginx:1.25',
    `ghcr.io/org/app@${digest}`,
    `localhost:5000/a/b:v1@${digest}`,
    '[::1]:5000/repo:tag',
    `[default]registry.example/team/app:1.0@${digest}`,
  ],
  'notation-envelopes': [
    vector('notation-go/verifier/testdata/timestamp/sigEnv/jwsWithTimestamp.sig'),
    vector('notation-go/verifier/testdata/timestamp/sigEnv/coseWithTimestamp.sig'),
  ],
  cbor: [vector('notation-go/verifier/testdata/timestamp/sigEnv/coseWithTimestamp.sig')],
  'cosign-payloads': [
    vector('sigstore-js/tests/bundles/bundleV03-dsse.sigstore'),
    vector('sigstore-js/tests/bundles/bundleV01-intoto-with-proof.sigstore'),
    vector(
      'sigstore-conformance/test/assets/bundle-verify/managed-key-and-trusted-root/bundle.sigstore.json',
    ),
    vector('sigstore-js/tests/bundles/statement.json'),
    JSON.stringify(bundleV03.dsseEnvelope),
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': 'registry.example/app' },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  ],
  timestamp: [
    vector('tspclient-go/testdata/TimeStampToken.p7s'),
    vector('tspclient-go/testdata/TimeStampTokenWithSigningCertificateV1.p7s'),
  ],
  der: [
    der(vector('tspclient-go/testdata/GlobalSignRootCA.crt')),
    vector('tspclient-go/internal/cms/testdata/TimeStampToken.p7s'),
  ],
  config: [
    readFileSync(path.join(here, '..', '..', 'provider', 'config', 'default-config.yaml')),
    vector('notation-e2e/test/e2e/testdata/config/trustpolicies/trustpolicy.json'),
    vector('notation-e2e/test/e2e/testdata/config/trustpolicies/multiple_trusted_identity_trustpolicy.json'),
  ],
  'provider-request': [
    JSON.stringify({
      apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
      kind: 'ProviderRequest',
      request: { keys: ['nginx', `[ns]ghcr.io/org/app@${digest}`] },
    }),
    JSON.stringify({
      apiVersion: 'externaldata.gatekeeper.sh/v1alpha1',
      kind: 'ProviderRequest',
      request: {},
    }),
  ],
};

export function writeCorpus(root = path.join(here, 'corpus')): void {
  for (const [target, seeds] of Object.entries(SEEDS)) {
    const dir = path.join(root, target);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const seed of seeds) {
      const bytes = typeof seed === 'string' ? Buffer.from(seed) : seed;
      writeFileSync(path.join(dir, createHash('sha256').update(bytes).digest('hex').slice(0, 16)), bytes);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) writeCorpus();
