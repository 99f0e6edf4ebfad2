import {
  isContext,
  readChildren,
  readDer,
  readOid,
  readSequence,
  type Certificate,
} from '../../../trust/index.js';

const AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1';
const OCSP_ACCESS_METHOD = '1.3.6.1.5.5.7.48.1';
const CRL_DISTRIBUTION_POINTS = '2.5.29.31';
/** GeneralName uniformResourceIdentifier: [6] IMPLICIT IA5String. */
const URI_TAG = 6;

function extensionValue(certificate: Certificate, oid: string): Uint8Array | undefined {
  return certificate.extensions.find((extension) => extension.oid === oid)?.value;
}

/** OCSP responder URLs from Authority Information Access (Go's `cert.OCSPServer`); throws DerError when malformed. */
export function toOcspUrls(certificate: Certificate): string[] {
  const value = extensionValue(certificate, AUTHORITY_INFO_ACCESS);
  if (value === undefined) return [];
  return readSequence(readDer(value), 'authority information access').flatMap((description) => {
    const [method, location] = readSequence(description, 'access description');
    return readOid(method, 'access method') === OCSP_ACCESS_METHOD &&
      location !== undefined &&
      isContext(location, URI_TAG)
      ? [Buffer.from(location.contents).toString('latin1')]
      : [];
  });
}

/** URIs of the full names of the CRL distribution points (Go's `cert.CRLDistributionPoints`); throws DerError when malformed. */
export function toCrlUrls(certificate: Certificate): string[] {
  const value = extensionValue(certificate, CRL_DISTRIBUTION_POINTS);
  if (value === undefined) return [];
  return readSequence(readDer(value), 'CRL distribution points').flatMap((point) => {
    const name = readSequence(point, 'distribution point').find((child) => isContext(child, 0));
    const fullName = name === undefined ? undefined : readChildren(name)[0];
    if (fullName === undefined || !isContext(fullName, 0)) return [];
    return readChildren(fullName)
      .filter((general) => isContext(general, URI_TAG))
      .map((uri) => Buffer.from(uri.contents).toString('latin1'));
  });
}
