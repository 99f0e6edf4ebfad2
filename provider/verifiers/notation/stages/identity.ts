import type { SignetError } from '../../../errors.js';
import type { Certificate } from '../../../trust/index.js';
import {
  DistinguishedNameError,
  formatDistinguishedNames,
  isSubsetDn,
  parseDistinguishedName,
  type DistinguishedName,
} from '../distinguished-name.js';
import type { TrustPolicyStatement } from '../trust-policy.js';
import { stageFailure } from './stage-failure.js';

/**
 * notation's trusted identity check (part of authenticity): `*` trusts any signer; otherwise the
 * leaf certificate's subject, read as notation reads it (Go's string form, parsed as RFC 4514),
 * must contain every attribute of one `x509.subject` identity with the same value.
 */
export function verifyTrustedIdentity(
  leaf: Certificate,
  statement: TrustPolicyStatement,
): SignetError | undefined {
  const identities = statement.trustedIdentities;
  if (identities.$case === 'any') return undefined;
  if (identities.x509Subjects.length === 0) {
    return stageFailure(
      'IDENTITY_MISMATCH',
      'authenticity',
      `no x509 trusted identities are configured in the trust policy ${JSON.stringify(statement.name)}`,
    );
  }
  let subject: DistinguishedName;
  try {
    subject = parseDistinguishedName(leaf.subject);
  } catch (error) {
    if (!(error instanceof DistinguishedNameError)) throw error;
    return stageFailure(
      'IDENTITY_MISMATCH',
      'authenticity',
      `error while parsing the certificate subject from the digital signature. error : ${JSON.stringify(error.message)}`,
      error,
    );
  }
  if (identities.x509Subjects.some((identity) => isSubsetDn(identity.name, subject))) return undefined;
  const names = identities.x509Subjects.map((identity) => identity.name);
  return stageFailure(
    'IDENTITY_MISMATCH',
    'authenticity',
    `signing certificate from the digital signature does not match the X.509 trusted identities ${formatDistinguishedNames(names)} defined in the trust policy ${JSON.stringify(statement.name)}`,
  );
}
