import { parseProviderRequest } from '../../../provider/server/protocol.js';
import { expectOnly, text } from './property.js';

/** The Gatekeeper ProviderRequest body, as express hands it over after JSON parsing. */
export function fuzz(data: Buffer): void {
  let body: unknown;
  try {
    body = JSON.parse(text(data)) as unknown;
  } catch {
    return;
  }
  expectOnly('parseProviderRequest', () => parseProviderRequest(body, { maxKeys: 100 }));
}
