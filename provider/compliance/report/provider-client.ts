// signet's own evaluation for the report: the keys the audit cannot settle, sent to the provider's Gatekeeper
// endpoint (`POST /ratify/gatekeeper/v1/verify`) exactly as Gatekeeper sends them, over mutual TLS with a client
// certificate the provider's --client-ca trusts. So the answer comes from the running provider's configuration,
// pipeline and verdict cache, and a report never loads trust material of its own. Batches are small and few at a
// time (the provider answers OVERLOADED past its --max-in-flight); keys left unanswered (transient) are retried.
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { SignetError } from '../../errors.js';
import { parseProviderResponse, type KeyAnswer } from './provider-answer.js';

export type KeyEvaluator = (keys: readonly string[]) => Promise<Map<string, KeyAnswer>>;

export interface ProviderClientOptions {
  /** The verify endpoint, e.g. https://signet.signet-system:9443/ratify/gatekeeper/v1/verify. */
  readonly url: string;
  /** CA bundle of the provider's serving certificate (PEM file). */
  readonly caFile: string;
  /** Client certificate and key (PEM files) issued by a CA in the provider's --client-ca. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Keys per request (default 25). */
  readonly batchSize?: number;
  /** Requests in flight (default 2: 50 keys, below the provider's default --max-in-flight of 64). */
  readonly concurrency?: number;
  /** Per request (default 30 s). */
  readonly timeoutMs?: number;
  /** Extra rounds for keys left unanswered by a transient failure (default 2). */
  readonly retries?: number;
}

const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

function unavailable(url: string, reason: string): SignetError {
  return new SignetError('INTERNAL', {
    stage: 'report',
    reason: `evaluating through the provider at ${url}: ${reason}`,
    remediation: 'Check --provider-url, the provider CA and the client certificate the provider trusts.',
  });
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: `cannot read the ${what} ${path}: ${(error as Error).message}`,
    });
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** One ProviderRequest → its parsed answers; a failed exchange answers every key `unanswered`. */
function post(
  agent: Agent,
  url: URL,
  keys: readonly string[],
  timeoutMs: number,
): Promise<Map<string, KeyAnswer>> {
  const body = JSON.stringify({
    apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
    kind: 'ProviderRequest',
    request: { keys },
  });
  const failAll = (reason: string): Map<string, KeyAnswer> =>
    new Map(keys.map((key) => [key, { $case: 'unanswered', reason }]));
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            resolve(failAll(`the provider's answer exceeds ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => resolve(failAll(`reading the provider's answer: ${error.message}`)));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            resolve(
              failAll(`the provider answered HTTP ${res.statusCode ?? 0} with a body that is not JSON`),
            );
            return;
          }
          resolve(parseProviderResponse(parsed, keys));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (error) => resolve(failAll(`request failed: ${error.message}`)));
    req.end(body);
  });
}

/** An evaluator that asks the provider's verify endpoint; its agent is closed by `close()`. */
export async function createProviderEvaluator(
  options: ProviderClientOptions,
): Promise<{ evaluate: KeyEvaluator; close(): void }> {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw unavailable(options.url, 'not a URL');
  }
  if (url.protocol !== 'https:') throw unavailable(options.url, 'the provider is reached over https only');
  const concurrency = options.concurrency ?? 2;
  const agent = new Agent({
    ca: await readPem(options.caFile, 'provider CA bundle'),
    cert: await readPem(options.certFile, 'client certificate'),
    key: await readPem(options.keyFile, 'client key'),
    keepAlive: true,
    maxSockets: concurrency,
  });
  const batchSize = Math.max(1, options.batchSize ?? 25);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = options.retries ?? 2;
  const evaluate: KeyEvaluator = async (keys) => {
    const answers = new Map<string, KeyAnswer>();
    let pending = [...new Set(keys)];
    for (let round = 0; round <= retries && pending.length > 0; round += 1) {
      const batches: string[][] = [];
      for (let i = 0; i < pending.length; i += batchSize) batches.push(pending.slice(i, i + batchSize));
      await forEachBounded(batches, concurrency, async (batch) => {
        for (const [key, answer] of await post(agent, url, batch, timeoutMs)) answers.set(key, answer);
      });
      pending = pending.filter((key) => answers.get(key)?.$case === 'unanswered');
    }
    return answers;
  };
  return { evaluate, close: () => agent.destroy() };
}
