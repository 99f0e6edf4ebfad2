// What `signet serve` carries: a real signet process on its embedded default (Notation) records every module it
// resolves (test/helpers/record-loaded-modules.ts) until it exits. The heavy families are loaded only when
// configured or when their command runs — Sigstore only for cosign, the Kubernetes client only with
// --config-source kubernetes, Azure SDKs only for a vault, Redis only with --redis-url, the compliance and
// import code only in their commands — and each one kept out is memory every replica saves.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, startProvider } from '../helpers/process.js';

const RECORDER = join(REPO_ROOT, 'test', 'helpers', 'record-loaded-modules.ts');
/** tsx first, so the recorder (TypeScript) can load; signet's own `--import tsx` then finds it registered. */
const RECORDING_NODE_OPTIONS = `--import=tsx --import=${RECORDER}`;

/** Package or source folder → why a default `serve` must not load it. */
const NOT_LOADED: ReadonlyArray<readonly [RegExp, string]> = [
  [/\/node_modules\/@sigstore\//, 'Sigstore (cosign verifiers only)'],
  [/\/node_modules\/@kubernetes\/client-node\//, 'the Kubernetes client (--config-source kubernetes only)'],
  [/\/node_modules\/@azure\//, 'the Azure SDKs (Key Vault providers, ACR workload identity only)'],
  [/\/node_modules\/ioredis\//, 'Redis (--redis-url only)'],
  [/\/node_modules\/pkijs\//, "the Key Vault certificate secrets' PKCS#12 parser"],
  [/\/node_modules\/ajv\//, "assign's parameter validator"],
  [/\/provider\/compliance\/report\//, 'the compliance report (signet report, --compliance-report-interval)'],
  [/\/provider\/compliance\/assign\/(?!record-namespace\.ts)/, 'the assignment code (signet assign)'],
  [/\/provider\/import\//, 'the Kyverno converter (signet import)'],
  // An ESM import of node:http builds its facade, whose WebSocket getters load these (provider/node-http.ts).
  [/^node:internal\/deps\/undici\//, "Node's bundled undici (fetch, WebSocket)"],
  [/^node:http2$/, 'HTTP/2'],
];

describe('signet serve on the embedded default', () => {
  let dir: string;
  let loaded: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signet-serve-modules-'));
    const listFile = join(dir, 'loaded.txt');
    const provider = await startProvider(['--insecure-http', '--host', '127.0.0.1'], {
      NODE_OPTIONS: RECORDING_NODE_OPTIONS,
      SIGNET_LOADED_MODULES_FILE: listFile,
    });
    await provider.stop();
    loaded = (await readFile(listFile, 'utf8'))
      .split('\n')
      .filter((url) => url !== '')
      .map((url) => (url.startsWith('file:') ? fileURLToPath(url) : url));
  }, 60_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('recorded what it loaded (the Notation verifier and the HTTP server among them)', () => {
    expect(loaded.some((path) => path.includes('/provider/verifiers/notation/'))).toBe(true);
    expect(loaded.some((path) => path.includes('/node_modules/express/'))).toBe(true);
  });

  it.each(NOT_LOADED)('does not load %s: %s', (pattern) => {
    expect(loaded.filter((path) => pattern.test(path))).toEqual([]);
  });
});
