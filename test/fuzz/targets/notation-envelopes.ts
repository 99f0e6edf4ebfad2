import { parseCoseEnvelope } from '../../../provider/verifiers/notation/envelope/cose.js';
import { parseJwsEnvelope } from '../../../provider/verifiers/notation/envelope/jws.js';
import { bounded, expectOnly } from './property.js';

/** Notation signature envelopes: the same bytes as JWS (JSON) and as COSE_Sign1 (CBOR). */
export function fuzz(data: Buffer): void {
  const input = bounded(data);
  expectOnly('parseJwsEnvelope', () => parseJwsEnvelope(input));
  expectOnly('parseCoseEnvelope', () => parseCoseEnvelope(input));
}
