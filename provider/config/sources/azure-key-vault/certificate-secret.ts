import { BasicConstraintsExtension, X509Certificate } from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parsePemCertificates, type PemResult } from '../../schema/pem.js';

/** Key Vault's content types for a certificate's secret (the certificate with its chain and private key). */
export const PEM_CONTENT_TYPE = 'application/x-pem-file';
export const PKCS12_CONTENT_TYPE = 'application/x-pkcs12';

/** A certificate secret larger than this is not a certificate chain (Key Vault caps secrets at 25 KiB). */
export const MAX_CERTIFICATE_SECRET_BYTES = 256 * 1024;
/** More certificates than this in one chain is not a chain. */
export const MAX_CHAIN_CERTIFICATES = 10;

const CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const X509_CERT_TYPE = '1.2.840.113549.1.9.22.1';
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function failure(message: string): { readonly ok: false; readonly message: string } {
  return { ok: false, message };
}

/** The certificates of a PEM secret; its private key block is dropped unread. */
function parsePemChain(value: string): PemResult<X509Certificate[]> {
  const blocks = value.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) return failure('holds no PEM "CERTIFICATE" block');
  return parsePemCertificates(blocks.join('\n'));
}

/**
 * The certificates of a PKCS#12 secret (base64 of the PFX, as Key Vault stores it): integrity and
 * encrypted safes under the empty password Key Vault exports with; key bags are left undecrypted.
 */
async function parsePkcs12Chain(value: string): Promise<PemResult<X509Certificate[]>> {
  const der = Buffer.from(value.replace(/\s+/g, ''), 'base64');
  const asn = asn1js.fromBER(new Uint8Array(der));
  if (asn.offset === -1) return failure('is not a DER PKCS#12 (PFX) structure');
  try {
    const pfx = new pkijs.PFX({ schema: asn.result });
    const password = new ArrayBuffer(0);
    await pfx.parseInternalValues({ password, checkIntegrity: pfx.macData !== undefined });
    const safe = pfx.parsedValue?.authenticatedSafe;
    if (safe === undefined) return failure('is a PKCS#12 without an authenticated safe');
    await safe.parseInternalValues({ safeContents: safe.safeContents.map(() => ({ password })) });
    const certificates: X509Certificate[] = [];
    // pkijs types the parsed safe as `any`; after parseInternalValues it holds one SafeContents per safe.
    const parsedSafe = safe.parsedValue as { safeContents?: { value: pkijs.SafeContents }[] } | undefined;
    for (const contents of parsedSafe?.safeContents ?? []) {
      for (const bag of contents.value.safeBags) {
        if (bag.bagId !== CERT_BAG) continue;
        const certBag = bag.bagValue as pkijs.CertBag;
        if (certBag.certId !== X509_CERT_TYPE) continue;
        const octets = certBag.certValue as asn1js.OctetString;
        certificates.push(new X509Certificate(new Uint8Array(octets.valueBlock.valueHexView)));
      }
    }
    if (certificates.length === 0) return failure('is a PKCS#12 without certificates');
    return { ok: true, value: certificates };
  } catch (error) {
    // pkijs throws strings and Errors alike; the message names the PKCS#12 structure, never the key.
    return failure(`is not a readable PKCS#12 (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * The chain in a Key Vault certificate's secret, by its content type (Ratify reads certificates as secrets
 * for the same reason: the certificate object holds only the leaf). Failures name what is wrong, not the value.
 */
export async function parseCertificateSecret(
  value: string,
  contentType: string | undefined,
): Promise<PemResult<X509Certificate[]>> {
  if (Buffer.byteLength(value) > MAX_CERTIFICATE_SECRET_BYTES) {
    return failure(`is larger than ${MAX_CERTIFICATE_SECRET_BYTES} bytes`);
  }
  let parsed: PemResult<X509Certificate[]>;
  if (contentType === PEM_CONTENT_TYPE) parsed = parsePemChain(value);
  else if (contentType === PKCS12_CONTENT_TYPE) parsed = await parsePkcs12Chain(value);
  else {
    return failure(
      `has content type ${JSON.stringify(contentType ?? '')}, expected ${PEM_CONTENT_TYPE} or ${PKCS12_CONTENT_TYPE}`,
    );
  }
  if (parsed.ok && parsed.value.length > MAX_CHAIN_CERTIFICATES) {
    return failure(
      `holds ${parsed.value.length} certificates, at most ${MAX_CHAIN_CERTIFICATES} are allowed`,
    );
  }
  return parsed;
}

/**
 * The certificates of a chain that can anchor trust: CA certificates and self-signed ones. A chain's leaf is
 * signed by its CA and would be refused by notation's `ca` trust store; Ratify leaves such leaves out too.
 */
export function toTrustAnchors(chain: readonly X509Certificate[]): X509Certificate[] {
  return chain.filter(
    (certificate) =>
      certificate.getExtension(BasicConstraintsExtension)?.ca === true ||
      certificate.subject === certificate.issuer,
  );
}
