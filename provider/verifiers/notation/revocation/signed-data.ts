import {
  readAlgorithmIdentifier,
  UnsupportedAlgorithmError,
  verifyWithAlgorithm,
  type Certificate,
  type DerNode,
} from '../../../trust/index.js';

/** Whether `signer`'s key verifies a signature (algorithm node + BIT STRING node) over `tbs`; a reason when not. */
export function findSignatureProblem(
  tbs: Uint8Array,
  algorithmNode: DerNode | undefined,
  signatureNode: DerNode | undefined,
  signer: Certificate,
  what: string,
): string | undefined {
  if (signer.publicKey === undefined) return `${what}: the signer's public key type is not supported`;
  if (signatureNode === undefined || signatureNode.contents[0] !== 0) return `${what}: malformed signature`;
  try {
    const algorithm = readAlgorithmIdentifier(algorithmNode, `${what} signature algorithm`);
    return verifyWithAlgorithm(algorithm, signer.publicKey, tbs, signatureNode.contents.subarray(1))
      ? undefined
      : `${what} is not signed by ${JSON.stringify(signer.subject)}`;
  } catch (error) {
    if (error instanceof UnsupportedAlgorithmError) return `${what}: ${error.message}`;
    throw error;
  }
}
