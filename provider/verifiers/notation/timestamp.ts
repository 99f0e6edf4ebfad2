import {
  checkSignatureFrom,
  DerError,
  EKU,
  findSigningCertificate,
  isWithinValidity,
  sameCertificate,
  TimestampError,
  UnsupportedAlgorithmError,
  verifySignedAttributes,
  verifyWithAlgorithm,
  type Certificate,
  type SignedToken,
  type SignerInfo,
} from '../../trust/index.js';
import { findChainProblem } from './chain.js';

/**
 * notation's checks of an RFC 3161 timestamp token (parsed by `trust/rfc3161.ts`): the CMS signature must verify and
 * the TSA certificate must chain to a trusted `tsa` root at the timestamp's time with only the timeStamping EKU.
 */

const MAX_CHAIN_DEPTH = 10;

/**
 * tspclient's SignedToken.Verify with notation's options: the first signer that verifies wins;
 * returns its TSA chain, leaf first, ending at a certificate from `roots`.
 */
export function verifySignedToken(
  token: SignedToken,
  roots: readonly Certificate[],
  at: Date,
): Certificate[] {
  if (token.signerInfos.length === 0)
    throw new TimestampError('failed to verify signed token: signerInfo not found');
  let lastError = 'failed to verify signed token';
  for (const signerInfo of token.signerInfos) {
    try {
      const signer = findSigningCertificate(token, signerInfo);
      const chain = verifySigner(token, signerInfo, signer, roots, at);
      const eku = signer.extKeyUsage;
      if (eku === undefined || eku.oids.length !== 1 || eku.oids[0] !== EKU.timeStamping) {
        throw new TimestampError(
          'signing certificate must have and only have ExtKeyUsageTimeStamping as extended key usage',
        );
      }
      if (!eku.critical)
        throw new TimestampError('signing certificate extended key usage extension must be set as critical');
      return chain;
    } catch (error) {
      if (!(error instanceof TimestampError) && !(error instanceof DerError)) throw error;
      lastError = `failed to verify signed token: ${error.message}`;
    }
  }
  throw new TimestampError(lastError);
}

function verifySigner(
  token: SignedToken,
  signerInfo: SignerInfo,
  signer: Certificate,
  roots: readonly Certificate[],
  at: Date,
): Certificate[] {
  if (signerInfo.version !== 1) {
    throw new TimestampError(
      `invalid signer info version: only version 1 is supported; got ${signerInfo.version}`,
    );
  }
  const chain = buildTimestampingChain(signer, token.certificates, roots, at);
  const signedContent = signerInfo.signedAttributesDer ?? token.content;
  let verified: boolean;
  try {
    verified = verifyWithAlgorithm(
      signerInfo.signatureAlgorithm,
      requireKey(signer),
      signedContent,
      signerInfo.signature,
      signerInfo.digestAlgorithm.oid,
    );
  } catch (error) {
    if (error instanceof UnsupportedAlgorithmError) throw new TimestampError(error.message);
    throw new TimestampError(
      `signature verification failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!verified)
    throw new TimestampError(
      `crypto/${signer.publicKeySpec.$case === 'ec' ? 'ecdsa' : 'rsa'}: verification error`,
    );
  verifySignedAttributes(token, signerInfo, chain);
  return chain;
}

function requireKey(certificate: Certificate): NonNullable<Certificate['publicKey']> {
  if (certificate.publicKey === undefined) throw new TimestampError('x509: unsupported public key algorithm');
  return certificate.publicKey;
}

/**
 * Go's x509 Verify as tspclient uses it: from the TSA certificate through the token's certificates
 * to a trusted root, each certificate valid at `at`, issuers allowed to sign, path lengths
 * respected and the chain's EKUs permitting timestamping. Then the Notary Project timestamping
 * certificate requirements on the chain found.
 */
function buildTimestampingChain(
  leaf: Certificate,
  intermediates: readonly Certificate[],
  roots: readonly Certificate[],
  at: Date,
): Certificate[] {
  if (roots.length === 0) throw new TimestampError('x509: certificate signed by unknown authority');
  if (leaf.unhandledCriticalExtensions.length > 0)
    throw new TimestampError('x509: unhandled critical extension');
  if (!isWithinValidity(leaf, at)) throw new TimestampError(expiredMessage(leaf, at));
  let problem: string | undefined;
  const extend = (chain: Certificate[]): Certificate[] | undefined => {
    const current = chain[chain.length - 1];
    if (current === undefined) return undefined;
    if (roots.some((root) => sameCertificate(root, current))) return chain;
    if (chain.length > MAX_CHAIN_DEPTH) return undefined;
    for (const candidate of [...roots, ...intermediates]) {
      if (chain.some((member) => sameCertificate(member, candidate))) continue;
      if (!Buffer.from(candidate.subjectDer).equals(Buffer.from(current.issuerDer))) continue;
      if (!checkSignatureFrom(current, candidate).ok) continue;
      const isRoot = roots.some((root) => sameCertificate(root, candidate));
      const candidateProblem = issuerProblem(candidate, chain, at, isRoot);
      if (candidateProblem !== undefined) {
        problem = candidateProblem;
        continue;
      }
      const found = extend([...chain, candidate]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const chain = extend([leaf]);
  if (chain === undefined)
    throw new TimestampError(problem ?? 'x509: certificate signed by unknown authority');
  if (!ekusPermitTimestamping(chain))
    throw new TimestampError('x509: certificate specifies an incompatible key usage');
  const chainProblem = findChainProblem(chain, 'timestamping');
  if (chainProblem !== undefined)
    throw new TimestampError(
      `failed to validate the timestamping certificate chain with error: ${chainProblem}`,
    );
  return chain;
}

function issuerProblem(
  candidate: Certificate,
  chainBelow: readonly Certificate[],
  at: Date,
  isRoot: boolean,
): string | undefined {
  if (!isWithinValidity(candidate, at)) return expiredMessage(candidate, at);
  if (!isRoot && candidate.basicConstraints?.ca !== true)
    return 'x509: a certificate in the chain is not authorized to sign other certificates';
  const pathLen = candidate.basicConstraints?.pathLen;
  if (pathLen !== undefined && chainBelow.length - 1 > pathLen)
    return 'x509: too many intermediates for path length constraint';
  return undefined;
}

function ekusPermitTimestamping(chain: readonly Certificate[]): boolean {
  return chain.every((certificate) => {
    const oids = certificate.extKeyUsage?.oids;
    return (
      oids === undefined || oids.length === 0 || oids.includes(EKU.any) || oids.includes(EKU.timeStamping)
    );
  });
}

function expiredMessage(certificate: Certificate, at: Date): string {
  const relation =
    at.getTime() < certificate.notBefore.getTime()
      ? `is before ${certificate.notBefore.toISOString()}`
      : `is after ${certificate.notAfter.toISOString()}`;
  return `x509: certificate has expired or is not yet valid: current time ${at.toISOString()} ${relation}`;
}
