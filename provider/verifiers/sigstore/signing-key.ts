import type { KeyObject } from 'node:crypto';

import type { Bundle } from '@sigstore/bundle';
import { crypto as sigstoreCrypto, type X509Certificate } from '@sigstore/core';
import type { SignedEntity } from '@sigstore/verify';
// Pinned 4.x; these files have no `exports` barrier (see verify-bundle.ts).
import { verifyCertificateChain } from '@sigstore/verify/dist/key/certificate.js';
import { verifySCTs } from '@sigstore/verify/dist/key/sct.js';

import { CertificateParseError, parseCertificate } from '../../trust/index.js';
import { bundleFailure, messageOf } from './bundle-failure.js';
import { toCertificateIdentity, type CertificateIdentity } from './identity.js';
import type { SigstoreVerifyOptions } from './sigstore.types.js';

/** The key the signature must verify with; `identity` is set when it came from a certificate. */
export interface SigningKey {
  readonly key: KeyObject;
  readonly identity: CertificateIdentity | undefined;
}

function leafDer(bundle: Bundle): Uint8Array | undefined {
  const content = bundle.verificationMaterial.content;
  switch (content.$case) {
    case 'x509CertificateChain':
      return content.x509CertificateChain.certificates[0]?.rawBytes;
    case 'certificate':
      return content.certificate.rawBytes;
    case 'publicKey':
      return undefined;
  }
}

function verifySigningCertificate(
  leaf: X509Certificate,
  der: Uint8Array,
  times: readonly Date[],
  options: SigstoreVerifyOptions,
): SigningKey {
  const { image, trustMaterial } = options;
  let validity: { notBefore: Date; notAfter: Date };
  let identity: CertificateIdentity;
  try {
    validity = parseCertificate(der);
    identity = toCertificateIdentity(der);
  } catch (error) {
    const detail = error instanceof CertificateParseError ? error.message : messageOf(error);
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'certificate chain',
      `signing certificate is malformed (${detail})`,
      image,
      error,
    );
  }
  let path: X509Certificate[] = [];
  for (const time of times) {
    if (time < validity.notBefore || time > validity.notAfter) {
      throw bundleFailure(
        'EXPIRED',
        'certificate validity',
        `signing time ${time.toISOString()} is outside the certificate validity ${validity.notBefore.toISOString()} – ${validity.notAfter.toISOString()}`,
        image,
      );
    }
    try {
      path = verifyCertificateChain(time, leaf, trustMaterial.material.certificateAuthorities);
    } catch (error) {
      throw bundleFailure(
        'CERT_UNTRUSTED',
        'certificate chain',
        `${messageOf(error)} at ${time.toISOString()}`,
        image,
        error,
      );
    }
  }
  if (options.ctLogVerify) {
    const [certificate, issuer] = path;
    let scts: unknown[] = [];
    try {
      if (certificate !== undefined && issuer !== undefined)
        scts = verifySCTs(certificate, issuer, trustMaterial.material.ctlogs);
    } catch (error) {
      throw bundleFailure('CERT_UNTRUSTED', 'SCT', messageOf(error), image, error);
    }
    if (scts.length === 0)
      throw bundleFailure(
        'CERT_UNTRUSTED',
        'SCT',
        'the certificate has no verified SCT and ctLogVerify is on',
        image,
      );
  }
  return { key: sigstoreCrypto.createPublicKey(leaf.publicKey), identity };
}

/**
 * sigstore-js's second step: the signing key must be trusted at every verified signing time — a Fulcio
 * certificate (chain to a trusted CA, validity, SCT when ctLogVerify is on), or the policy's public key.
 */
export function verifySigningKey(
  bundle: Bundle,
  entity: SignedEntity,
  times: readonly Date[],
  options: SigstoreVerifyOptions,
): SigningKey {
  const { image, policy } = options;
  const der = leafDer(bundle);
  if (entity.key.$case === 'certificate' && der !== undefined) {
    if (policy.publicKey !== undefined) {
      throw bundleFailure(
        'SIGNATURE_INVALID',
        'public key',
        'the policy names a public key but the bundle carries a certificate',
        image,
      );
    }
    if (times.length === 0 && options.tLogVerify) {
      throw bundleFailure(
        'SIGNATURE_INVALID',
        'timestamp',
        'no verified signing time (no inclusion promise and no RFC 3161 timestamp)',
        image,
      );
    }
    // Without a log or timestamp the certificate must be valid now, as cosign does with --insecure-ignore-tlog.
    return verifySigningCertificate(
      entity.key.certificate,
      der,
      times.length > 0 ? times : [options.now],
      options,
    );
  }
  if (policy.publicKey === undefined) {
    throw bundleFailure(
      'SIGNATURE_INVALID',
      'public key',
      'the bundle is signed with a key but the policy names no public key',
      image,
    );
  }
  return { key: policy.publicKey, identity: undefined };
}
