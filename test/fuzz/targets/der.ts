import {
  DerError,
  type DerEncoding,
  type DerNode,
  readBitString,
  readBoolean,
  readChildren,
  readDer,
  readInteger,
  readOctetString,
  readOid,
  readSmallInteger,
  readString,
  readTime,
} from '../../../provider/trust/der.js';
import { bounded, expectOnly } from './property.js';

const MAX_NODES = 512;

/** Every typed reader on every node, whatever its tag: each must return or throw DerError. */
function walk(root: DerNode, encoding: DerEncoding): void {
  const pending = [root];
  // Most reads fail by design; without stack traces they cost little.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    walkNodes(pending, encoding);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function walkNodes(pending: DerNode[], encoding: DerEncoding): void {
  for (let seen = 0; pending.length > 0 && seen < MAX_NODES; seen++) {
    const node = pending.pop()!;
    for (const read of [
      readOid,
      readInteger,
      readSmallInteger,
      readBoolean,
      readBitString,
      readOctetString,
      readTime,
      readString,
    ]) {
      try {
        read(node, 'fuzz');
      } catch (error) {
        if (!(error instanceof DerError)) throw error;
      }
    }
    if (node.constructed) pending.push(...readChildren(node, encoding));
  }
}

/** The DER/BER reader throws DerError, which every caller turns into its own SignetError. */
export function fuzz(data: Buffer): void {
  const input = bounded(data);
  for (const encoding of ['der', 'ber'] as const) {
    expectOnly(`readDer(${encoding})`, () => walk(readDer(input, encoding), encoding), [DerError]);
  }
}
