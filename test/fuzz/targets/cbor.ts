import { CborError, decodeCbor } from '../../../provider/verifiers/notation/envelope/cbor.js';
import { bounded, expectOnly } from './property.js';

/** The CBOR decoder throws CborError, which parseCoseEnvelope turns into SIGNATURE_INVALID. */
export function fuzz(data: Buffer): void {
  const input = bounded(data);
  expectOnly('decodeCbor', () => decodeCbor(input), [CborError]);
}
