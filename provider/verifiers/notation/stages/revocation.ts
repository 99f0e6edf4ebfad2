import type { SignetError } from '../../../errors.js';
import type { Certificate } from '../../../trust/index.js';
import { stageFailure } from './stage-failure.js';

/** Per-certificate revocation status, as notation-core-go's revocation results name them. */
export type RevocationStatus = 'ok' | 'nonRevokable' | 'revoked' | 'unknown';

export interface CertificateRevocationResult {
  readonly status: RevocationStatus;
  /** Why the status is what it is (responder errors, CRL problems); for logs and messages. */
  readonly detail?: string;
}

export interface RevocationRequest {
  /** Leaf first, ending at the root. */
  readonly chain: readonly Certificate[];
  readonly purpose: 'codeSigning' | 'timestamping';
  /** The authentic signing time (signingAuthority scheme), when there is one. */
  readonly authenticSigningTime: Date | undefined;
  readonly signal?: AbortSignal;
}

/**
 * Checks revocation (OCSP, then CRL) of a certificate chain. Implementations do the network I/O,
 * caching and timeouts; they return one result per certificate, in chain order, and throw only
 * when the check itself could not be made.
 */
export interface RevocationChecker {
  check(request: RevocationRequest): Promise<readonly CertificateRevocationResult[]>;
}

/**
 * notation's revocation validation over a chain: any revoked certificate revokes the signature;
 * otherwise any certificate whose status is unknown makes the result unknown; a chain is good
 * only when every certificate is ok or has no revocation information.
 */
export async function verifyChainRevocation(
  checker: RevocationChecker,
  request: RevocationRequest,
): Promise<SignetError | undefined> {
  const what = request.purpose === 'timestamping' ? 'timestamping certificate' : 'signing certificate';
  let results: readonly CertificateRevocationResult[];
  try {
    results = await checker.check(request);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return stageFailure(
      'REVOCATION_UNAVAILABLE',
      'revocation',
      `unable to check revocation status, err: ${reason}`,
      error,
    );
  }
  if (results.length !== request.chain.length) {
    return stageFailure(
      'REVOCATION_UNAVAILABLE',
      'revocation',
      'unable to check revocation status, err: the checker returned a result per certificate count that does not match the chain',
    );
  }
  const revoked = results.findIndex((result) => result.status === 'revoked');
  if (revoked >= 0) {
    return stageFailure(
      'REVOKED',
      'revocation',
      `${what} with subject ${JSON.stringify(request.chain[revoked]?.subject ?? '')} is revoked`,
    );
  }
  // notation walks root → leaf and reports the last problem it meets, i.e. the one nearest the leaf.
  const unknown = results.findIndex((result) => result.status === 'unknown');
  if (unknown >= 0) {
    return stageFailure(
      'REVOCATION_UNAVAILABLE',
      'revocation',
      `${what} with subject ${JSON.stringify(request.chain[unknown]?.subject ?? '')} revocation status is unknown`,
    );
  }
  return undefined;
}
