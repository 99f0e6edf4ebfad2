import { parseCosignBundle } from '../../../provider/verifiers/cosign/bundle.js';
import { parseDsseEnvelope } from '../../../provider/verifiers/cosign/dsse.js';
import { IN_TOTO_PAYLOAD_TYPE, parseInTotoStatement } from '../../../provider/verifiers/cosign/in-toto.js';
import { parseSimpleSigningPayload } from '../../../provider/verifiers/cosign/simple-signing.js';
import { parseSigstoreBundle } from '../../../provider/verifiers/sigstore/bundle.js';
import { bounded, expectOnly } from './property.js';

/** Cosign's untrusted layers: DSSE envelopes, in-toto statements, simple signing payloads, Sigstore bundles. */
export function fuzz(data: Buffer): void {
  const input = bounded(data);
  expectOnly('parseDsseEnvelope', () => parseDsseEnvelope(input));
  expectOnly('parseInTotoStatement', () => parseInTotoStatement(IN_TOTO_PAYLOAD_TYPE, input));
  expectOnly('parseInTotoStatement(objectPredicate)', () =>
    parseInTotoStatement(IN_TOTO_PAYLOAD_TYPE, input, { objectPredicate: true }),
  );
  expectOnly('parseSimpleSigningPayload', () => parseSimpleSigningPayload(input));
  expectOnly('parseSigstoreBundle', () => parseSigstoreBundle(input));
  expectOnly('parseCosignBundle', () => parseCosignBundle(input));
}
