import { EKU, isIssuedBy, isSignedBy, KEY_USAGE, type Certificate } from '../../trust/index.js';

export type ChainPurpose = 'codeSigning' | 'timestamping';

/**
 * EKUs a code signing leaf must not carry: the specification's list (anyExtendedKeyUsage,
 * serverAuth, clientAuth, emailProtection, timeStamping) plus OCSPSigning, which notation adds.
 */
const CODE_SIGNING_FORBIDDEN_EKUS: readonly { oid: string; name: string }[] = [
  { oid: EKU.any, name: 'Any' },
  { oid: EKU.serverAuth, name: 'ServerAuth' },
  { oid: EKU.clientAuth, name: 'ClientAuth' },
  { oid: EKU.emailProtection, name: 'EmailProtection' },
  { oid: EKU.timeStamping, name: 'Timestamping' },
  { oid: EKU.ocspSigning, name: 'OCSPSigning' },
];

const LEAF_FORBIDDEN_KEY_USAGES: readonly [number, string][] = [
  [KEY_USAGE.keyEncipherment, 'KeyEncipherment'],
  [KEY_USAGE.dataEncipherment, 'DataEncipherment'],
  [KEY_USAGE.keyAgreement, 'KeyAgreement'],
  [KEY_USAGE.keyCertSign, 'CertSign'],
  [KEY_USAGE.cRLSign, 'CRLSign'],
  [KEY_USAGE.encipherOnly, 'EncipherOnly'],
  [KEY_USAGE.decipherOnly, 'DecipherOnly'],
];

/**
 * The Notary Project certificate requirements (signature-specification "Certificate
 * Requirements"), written out rather than delegated to a path builder: building a chain is not
 * validating it. Order is leaf → root; the last certificate must be a self-signed root; each
 * certificate must be issued (name and signature) by the next; CA certificates need
 * basicConstraints cA, keyUsage keyCertSign and a path length that allows the certificates below;
 * the leaf needs a critical keyUsage with digitalSignature only and a purpose-specific EKU.
 * Returns the first problem, worded as notation-core-go words it, or undefined.
 */
export function findChainProblem(chain: readonly Certificate[], purpose: ChainPurpose): string | undefined {
  const leaf = chain[0];
  if (leaf === undefined) return 'certificate chain must contain at least one certificate';

  if (chain.length === 1) {
    if (!isSignedBy(leaf, leaf.publicKey).ok)
      return `invalid self-signed certificate. subject: ${quote(leaf.subject)}`;
    if (!sameName(leaf.subjectDer, leaf.issuerDer)) {
      return `invalid self-signed certificate. subject: ${quote(leaf.subject)}. Error: issuer(${leaf.issuer}) and subject(${leaf.subject}) are not the same`;
    }
    const leafProblem = leafCertificateProblem(leaf, purpose);
    return leafProblem === undefined ? undefined : `invalid self-signed certificate. Error: ${leafProblem}`;
  }

  for (const [index, certificate] of chain.entries()) {
    const parent = chain[index + 1];
    if (parent === undefined) {
      const selfSigned = isIssuedBy(certificate, certificate);
      if (!selfSigned.ok) {
        return `root certificate with subject ${quote(certificate.subject)} is invalid or not self-signed. Certificate chain must end with a valid self-signed root certificate${selfSigned.reason === undefined ? '' : `. Error: ${selfSigned.reason}`}`;
      }
    } else {
      if (isIssuedBy(certificate, certificate).ok) {
        return index === 0
          ? `leaf certificate with subject ${quote(certificate.subject)} is self-signed. Certificate chain must not contain self-signed leaf certificate`
          : `intermediate certificate with subject ${quote(certificate.subject)} is self-signed. Certificate chain must not contain self-signed intermediate certificate`;
      }
      const issued = isIssuedBy(certificate, parent);
      if (!issued.ok) {
        return `certificate with subject ${quote(certificate.subject)} is not issued by ${quote(parent.subject)}${issued.reason === undefined ? '' : `. Error: ${issued.reason}`}`;
      }
    }
    const problem =
      index === 0
        ? leafCertificateProblem(certificate, purpose)
        : caCertificateProblem(certificate, index - 1, purpose);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function caCertificateProblem(
  certificate: Certificate,
  expectedPathLength: number,
  purpose: ChainPurpose,
): string | undefined {
  const constraints = certificate.basicConstraints;
  if (constraints === undefined || !constraints.ca) {
    return `certificate with subject ${quote(certificate.subject)}: ca field in basic constraints must be present, critical, and set to true`;
  }
  if (constraints.pathLen !== undefined && constraints.pathLen < expectedPathLength) {
    return `certificate with subject ${quote(certificate.subject)}: expected path length of ${expectedPathLength} but certificate has path length ${constraints.pathLen} instead`;
  }
  const keyUsageProblem = keyUsagePresenceProblem(certificate, purpose);
  if (keyUsageProblem !== undefined) return keyUsageProblem;
  if (((certificate.keyUsage?.bits ?? 0) & KEY_USAGE.keyCertSign) === 0) {
    return `certificate with subject ${quote(certificate.subject)}: key usage must have the bit positions for key cert sign set`;
  }
  return undefined;
}

function leafCertificateProblem(certificate: Certificate, purpose: ChainPurpose): string | undefined {
  if (certificate.basicConstraints?.ca === true) {
    return `certificate with subject ${quote(certificate.subject)}: if the basic constraints extension is present, the ca field must be set to false`;
  }
  const keyUsageProblem = keyUsagePresenceProblem(certificate, purpose);
  if (keyUsageProblem !== undefined) return keyUsageProblem;
  const bits = certificate.keyUsage?.bits ?? 0;
  if ((bits & KEY_USAGE.digitalSignature) === 0) {
    return `the certificate with subject ${quote(certificate.subject)} is invalid. The key usage must have the bit positions for "Digital Signature" set`;
  }
  const extra = LEAF_FORBIDDEN_KEY_USAGES.filter(([bit]) => (bits & bit) !== 0).map(
    ([, name]) => `"${name}"`,
  );
  if (extra.length > 0) {
    return `the certificate with subject ${quote(certificate.subject)} is invalid. The key usage must be "Digital Signature" only, but found ${extra.join(', ')}`;
  }
  const ekuProblem =
    purpose === 'codeSigning' ? codeSigningEkuProblem(certificate) : timestampingEkuProblem(certificate);
  if (ekuProblem !== undefined) return ekuProblem;
  return keySizeProblem(certificate);
}

/** Code signing certificates need a critical keyUsage; notation does not require it for timestamping ones. */
function keyUsagePresenceProblem(certificate: Certificate, purpose: ChainPurpose): string | undefined {
  if (certificate.keyUsage === undefined)
    return `certificate with subject ${quote(certificate.subject)}: key usage extension must be present`;
  if (purpose === 'codeSigning' && !certificate.keyUsage.critical) {
    return `certificate with subject ${quote(certificate.subject)}: key usage extension must be marked critical`;
  }
  return undefined;
}

function codeSigningEkuProblem(certificate: Certificate): string | undefined {
  const oids = certificate.extKeyUsage?.oids ?? [];
  const forbidden = CODE_SIGNING_FORBIDDEN_EKUS.find((eku) => oids.includes(eku.oid));
  if (forbidden === undefined) return undefined;
  return `certificate with subject ${quote(certificate.subject)}: extended key usage must not contain ${forbidden.name} eku`;
}

/** RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, in a critical extension. */
function timestampingEkuProblem(certificate: Certificate): string | undefined {
  const eku = certificate.extKeyUsage;
  if (eku === undefined || eku.oids.length !== 1 || eku.oids[0] !== EKU.timeStamping) {
    return `timestamp signing certificate with subject ${quote(certificate.subject)} must have and only have Timestamping as extended key usage`;
  }
  if (!eku.critical) {
    return `timestamp signing certificate with subject ${quote(certificate.subject)} must have extended key usage extension marked as critical`;
  }
  return undefined;
}

function keySizeProblem(certificate: Certificate): string | undefined {
  const spec = certificate.publicKeySpec;
  switch (spec.$case) {
    case 'rsa':
      return [2048, 3072, 4096].includes(spec.bits)
        ? undefined
        : `certificate with subject ${quote(certificate.subject)}: rsa key size ${spec.bits} bits is not supported`;
    case 'ec':
      return undefined;
    case 'other':
      return `certificate with subject ${quote(certificate.subject)}: unsupported public key type`;
  }
}

function sameName(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Go's %q for the ASCII-safe names we print. */
export function quote(text: string): string {
  return JSON.stringify(text);
}
