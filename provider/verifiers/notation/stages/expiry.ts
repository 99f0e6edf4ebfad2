import type { SignetError } from '../../../errors.js';
import type { SignatureEnvelope } from '../envelope/index.js';
import { formatRfc1123z, stageFailure } from './stage-failure.js';

/** notation's expiry validation: the signer's "best by use" time, when set, must not have passed. */
export function verifyExpiry(envelope: SignatureEnvelope, now: Date): SignetError | undefined {
  const expiry = envelope.expiry;
  if (expiry === undefined || now.getTime() < expiry.getTime()) return undefined;
  return stageFailure('EXPIRED', 'expiry', `digital signature has expired on "${formatRfc1123z(expiry)}"`);
}
