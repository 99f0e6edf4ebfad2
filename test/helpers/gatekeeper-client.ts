// Calls the provider as Gatekeeper does: a ProviderRequest POSTed over HTTPS with a client certificate.
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KeyPair } from './pki.js';

export interface ProviderItem {
  readonly key: string;
  readonly value?: {
    readonly isSuccess?: boolean;
    readonly verifierReports?: readonly Record<string, unknown>[];
    readonly traceID?: string;
  } & Record<string, unknown>;
  readonly error?: string;
}

export interface ProviderAnswer {
  readonly status: number;
  readonly body: {
    readonly apiVersion?: string;
    readonly kind?: string;
    readonly response?: {
      readonly idempotent?: boolean;
      readonly items?: readonly ProviderItem[];
      readonly systemError?: string;
    };
  };
}

export interface ClientTls {
  readonly ca: string;
  readonly client: KeyPair;
}

/** POSTs `{apiVersion, kind: ProviderRequest, request: {keys}}` to `url` (https with `tls`, else plain http). */
export async function callProvider(
  url: string,
  keys: readonly string[],
  tls?: ClientTls,
): Promise<ProviderAnswer> {
  const body = JSON.stringify({
    apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
    kind: 'ProviderRequest',
    request: { keys },
  });
  const tlsOptions =
    tls === undefined
      ? {}
      : {
          ca: await readFile(tls.ca),
          cert: await readFile(tls.client.cert),
          key: await readFile(tls.client.key),
        };
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        timeout: 15_000,
        agent: false,
        ...tlsOptions,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as ProviderAnswer['body'] });
          } catch {
            reject(
              new Error(
                `provider answered HTTP ${res.statusCode ?? 0} with a body that is not JSON: ${text.slice(0, 200)}`,
              ),
            );
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in 15 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The one item the provider at `url` answers for `key`; an answer without it fails with its systemError. */
export async function callProviderForKey(url: string, key: string, tls?: ClientTls): Promise<ProviderItem> {
  const answer = await callProvider(url, [key], tls);
  const item = answer.body.response?.items?.[0];
  if (item === undefined)
    throw new Error(`no item for ${key}: ${answer.body.response?.systemError ?? 'no systemError'}`);
  return item;
}
