import { parseImageKey } from '../../../provider/reference/parse-key.js';
import { parseImageReference } from '../../../provider/reference/parse-reference.js';
import { expectOnly, text } from './property.js';

export function fuzz(data: Buffer): void {
  const input = text(data);
  expectOnly('parseImageReference', () => parseImageReference(input));
  expectOnly('parseImageKey', () => parseImageKey(input));
}
