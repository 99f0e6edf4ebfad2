import { SignetError } from '../../errors.js';
import {
  ASN1_TAG,
  isContext,
  isUniversal,
  parseCertificate,
  readChildren,
  readDer,
  type Certificate,
  type DerNode,
} from '../../trust/index.js';
import type { SigstorePolicy } from './sigstore.types.js';

const SUBJECT_ALT_NAME_OID = '2.5.29.17';
/** Fulcio's OIDC issuer extensions: v1 holds raw bytes, v2 a DER UTF8String (preferred when present). */
export const FULCIO_ISSUER_V1_OID = '1.3.6.1.4.1.57264.1.1';
export const FULCIO_ISSUER_V2_OID = '1.3.6.1.4.1.57264.1.8';

const GENERAL_NAME = {
  otherName: 0,
  rfc822Name: 1,
  dNSName: 2,
  uniformResourceIdentifier: 6,
  iPAddress: 7,
} as const;

/** The signer facts identity policies judge. */
export interface CertificateIdentity {
  readonly subjects: readonly string[];
  readonly issuer: string | undefined;
}

function ipToString(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2)
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** otherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY } — Fulcio puts a UTF8String there. */
function otherNameValue(name: DerNode): string | undefined {
  const wrapped = readChildren(name)[1];
  const inner = wrapped === undefined || !isContext(wrapped, 0) ? undefined : readChildren(wrapped)[0];
  if (inner === undefined || !isUniversal(inner, ASN1_TAG.UTF8_STRING)) return undefined;
  return Buffer.from(inner.contents).toString('utf8');
}

function subjectAlternativeNames(certificate: Certificate): string[] {
  const extension = certificate.extensions.find((candidate) => candidate.oid === SUBJECT_ALT_NAME_OID);
  if (extension === undefined) return [];
  const names: string[] = [];
  for (const name of readChildren(readDer(extension.value))) {
    if (name.tagClass !== 'context') continue;
    switch (name.tagNumber) {
      case GENERAL_NAME.rfc822Name:
      case GENERAL_NAME.dNSName:
      case GENERAL_NAME.uniformResourceIdentifier:
        names.push(Buffer.from(name.contents).toString('utf8'));
        break;
      case GENERAL_NAME.iPAddress:
        names.push(ipToString(name.contents));
        break;
      case GENERAL_NAME.otherName: {
        const value = otherNameValue(name);
        if (value !== undefined) names.push(value);
        break;
      }
      default:
        break;
    }
  }
  return names;
}

function fulcioIssuer(certificate: Certificate): string | undefined {
  const v2 = certificate.extensions.find((extension) => extension.oid === FULCIO_ISSUER_V2_OID);
  if (v2 !== undefined) {
    const node = readDer(v2.value);
    return isUniversal(node, ASN1_TAG.UTF8_STRING) ? Buffer.from(node.contents).toString('utf8') : undefined;
  }
  const v1 = certificate.extensions.find((extension) => extension.oid === FULCIO_ISSUER_V1_OID);
  return v1 === undefined ? undefined : Buffer.from(v1.value).toString('utf8');
}

/** Reads the SANs and OIDC issuer of a (Fulcio) signing certificate. */
export function toCertificateIdentity(certificateDer: Uint8Array): CertificateIdentity {
  const certificate = parseCertificate(certificateDer);
  return { subjects: subjectAlternativeNames(certificate), issuer: fulcioIssuer(certificate) };
}

/** Compiles a policy pattern anchored at both ends, as DESIGN.md requires. */
export function toAnchoredRegExp(pattern: string, field: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (error) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: `${field} is not a valid regular expression: ${pattern}`,
      details: { field },
      cause: error,
    });
  }
}

function identityFailure(
  image: string | undefined,
  reason: string,
  details: Record<string, string>,
): SignetError {
  return new SignetError('IDENTITY_MISMATCH', {
    stage: 'verify',
    image,
    reason,
    remediation:
      'Sign with the identity and OIDC issuer the trust policy names, or fix certificateIdentity / certificateOIDCIssuer.',
    details,
  });
}

/** A keyless policy must constrain both who and which issuer, as cosign insists. */
export function assertKeylessPolicy(policy: SigstorePolicy): void {
  const missing: string[] = [];
  if (policy.certificateIdentity === undefined && policy.certificateIdentityRegExp === undefined)
    missing.push('certificateIdentity or certificateIdentityRegExp');
  if (policy.certificateOIDCIssuer === undefined && policy.certificateOIDCIssuerRegExp === undefined)
    missing.push('certificateOIDCIssuer or certificateOIDCIssuerRegExp');
  if (missing.length > 0) {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'config',
      reason: `keyless verification needs ${missing.join(' and ')}`,
      details: { missing: missing.join(', ') },
    });
  }
}

/**
 * cosign's identity rules: the subject matches when any SAN equals `certificateIdentity` / matches
 * `certificateIdentityRegExp`; the issuer when the Fulcio issuer extension does. Every given constraint must hold.
 */
export function verifyCertificateIdentity(
  identity: CertificateIdentity,
  policy: SigstorePolicy,
  image?: string,
): void {
  assertKeylessPolicy(policy);
  const subjects = identity.subjects.join(', ') || '(none)';
  const {
    certificateIdentity,
    certificateIdentityRegExp,
    certificateOIDCIssuer,
    certificateOIDCIssuerRegExp,
  } = policy;
  if (certificateIdentity !== undefined && !identity.subjects.includes(certificateIdentity)) {
    throw identityFailure(image, `identity: certificate subject ${subjects} is not ${certificateIdentity}`, {
      subjects,
      expected: certificateIdentity,
    });
  }
  if (certificateIdentityRegExp !== undefined) {
    const pattern = toAnchoredRegExp(certificateIdentityRegExp, 'certificateIdentityRegExp');
    if (!identity.subjects.some((subject) => pattern.test(subject))) {
      throw identityFailure(
        image,
        `identity: certificate subject ${subjects} does not match ${certificateIdentityRegExp}`,
        {
          subjects,
          expected: certificateIdentityRegExp,
        },
      );
    }
  }
  const issuer = identity.issuer ?? '(none)';
  if (certificateOIDCIssuer !== undefined && identity.issuer !== certificateOIDCIssuer) {
    throw identityFailure(
      image,
      `issuer: certificate OIDC issuer ${issuer} is not ${certificateOIDCIssuer}`,
      {
        issuer,
        expected: certificateOIDCIssuer,
      },
    );
  }
  if (certificateOIDCIssuerRegExp !== undefined) {
    const pattern = toAnchoredRegExp(certificateOIDCIssuerRegExp, 'certificateOIDCIssuerRegExp');
    if (identity.issuer === undefined || !pattern.test(identity.issuer)) {
      throw identityFailure(
        image,
        `issuer: certificate OIDC issuer ${issuer} does not match ${certificateOIDCIssuerRegExp}`,
        {
          issuer,
          expected: certificateOIDCIssuerRegExp,
        },
      );
    }
  }
}
