import { parseSignedToken, readTstInfo, TimestampError } from '../../../provider/trust/index.js';
import { bounded, expectOnly } from './property.js';

/**
 * RFC 3161 timestamp tokens (CMS SignedData). The parser throws TimestampError, which the notation timestamp
 * stage turns into SIGNATURE_INVALID.
 */
export function fuzz(data: Buffer): void {
  const input = bounded(data);
  expectOnly('parseSignedToken/readTstInfo', () => readTstInfo(parseSignedToken(input)), [TimestampError]);
}
