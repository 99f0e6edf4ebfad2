import type { SignetError } from '../../../errors.js';
import {
  sameCertificate,
  type Certificate,
  type TrustStores,
  type TrustStoreType,
} from '../../../trust/index.js';
import type { SignatureEnvelope, SigningScheme } from '../envelope/index.js';
import type { TrustPolicyStatement } from '../trust-policy.js';
import { stageFailure } from './stage-failure.js';

/** The trust store type a signing scheme is anchored in. */
const STORE_TYPE_FOR_SCHEME: Readonly<Record<SigningScheme, TrustStoreType>> = {
  'notary.x509': 'ca',
  'notary.x509.signingAuthority': 'signingAuthority',
};

/**
 * notation's x509 authenticity: some certificate of the (already validated) chain is a
 * certificate of a trust store the statement names, of the type the signing scheme requires.
 */
export function verifyTrustStoreAuthenticity(
  envelope: SignatureEnvelope,
  statement: TrustPolicyStatement,
  trustStores: TrustStores,
): SignetError | undefined {
  const type = STORE_TYPE_FOR_SCHEME[envelope.signingScheme];
  const trusted: Certificate[] = [];
  for (const reference of statement.trustStores.filter((store) => store.type === type)) {
    const store = trustStores.get(reference.type, reference.name);
    if (store === undefined) {
      return stageFailure(
        'CERT_UNTRUSTED',
        'authenticity',
        `the trust store ${JSON.stringify(reference.name)} of type ${JSON.stringify(reference.type)} does not exist`,
      );
    }
    trusted.push(...store.certificates);
  }
  if (trusted.length === 0)
    return stageFailure(
      'CERT_UNTRUSTED',
      'authenticity',
      'no trusted certificates are found to verify authenticity',
    );
  const anchored = envelope.certificateChain.some((certificate) =>
    trusted.some((anchor) => sameCertificate(anchor, certificate)),
  );
  if (!anchored)
    return stageFailure(
      'CERT_UNTRUSTED',
      'authenticity',
      "the signature's certificate chain does not contain any trusted certificate",
    );
  return undefined;
}
