// kritis' admission rule (GenericAttestationPolicy): which images must be attested, that only digests can be, and
// whether the attestor reports satisfy every policy. The attestor verifiers (verifiers/attestor) only judge artifacts.
import type { AttestationPolicyConfig } from '../config/index.js';
import { SignetError } from '../errors.js';
import type { VerifierReport } from '../verdict/index.js';
import type { ImageReference } from '../reference/index.js';
import { ATTESTOR_VERIFIER_TYPE } from '../verifiers/index.js';

/** Longest whitelist pattern compiled; kritis patterns are image names. */
const MAX_PATTERN_LENGTH = 1024;

function describePolicy(policy: AttestationPolicyConfig): string {
  return `GenericAttestationPolicy "${policy.resource.namespace ?? ''}/${policy.resource.name}"`;
}

/** kritis `namePattern`: `*` matches any characters within one path segment; everything else is literal. */
function toNamePattern(pattern: string): RegExp | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return undefined;
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${body}$`, 'u');
}

// Compiled once per policy of a snapshot (policies are immutable), not on every admission request.
const compiledWhitelists = new WeakMap<AttestationPolicyConfig, readonly RegExp[]>();

function whitelistOf(policy: AttestationPolicyConfig): readonly RegExp[] {
  let matchers = compiledWhitelists.get(policy);
  if (matchers === undefined) {
    matchers = policy.admissionWhitelistPatterns.flatMap((pattern) => toNamePattern(pattern) ?? []);
    compiledWhitelists.set(policy, matchers);
  }
  return matchers;
}

function isWhitelisted(policy: AttestationPolicyConfig, reference: ImageReference): boolean {
  return whitelistOf(policy).some(
    (matcher) => matcher.test(reference.original) || matcher.test(reference.normalized),
  );
}

/** The policies of a namespace that `reference` must satisfy: those whose whitelist does not admit it. */
export function requiredAttestations(
  policies: readonly AttestationPolicyConfig[],
  reference: ImageReference,
): AttestationPolicyConfig[] {
  return policies.filter((policy) => !isWhitelisted(policy, reference));
}

function notAttested(image: string, reason: string, policy: AttestationPolicyConfig): SignetError {
  return new SignetError('NOT_ATTESTED', {
    stage: 'decide',
    image,
    reason,
    details: { policy: `${policy.resource.namespace ?? ''}/${policy.resource.name}` },
  });
}

/**
 * kritis admits only digest references: a tag is "not attested" without asking any registry, since
 * what a tag names can change after admission.
 */
export function verifyDigestReference(
  image: string,
  reference: ImageReference,
  required: readonly AttestationPolicyConfig[],
): SignetError | undefined {
  const [policy] = required;
  if (policy === undefined || reference.digest !== undefined) return undefined;
  return notAttested(
    image,
    `${describePolicy(policy)} admits only images referenced by digest (name@sha256:…); ${reference.original} names a tag`,
    policy,
  );
}

/**
 * kritis' verdict: every required policy is satisfied by a successful attestor report of one of its
 * authorities. The first unsatisfied policy is named with every reason its authorities gave.
 */
export function decideAttestation(
  image: string,
  required: readonly AttestationPolicyConfig[],
  reports: readonly VerifierReport[],
): SignetError | undefined {
  const attestorReports = reports.filter((report) => report.type === ATTESTOR_VERIFIER_TYPE);
  for (const policy of required) {
    const names = new Set(policy.authorities.map((authority) => authority.resource.name));
    const own = attestorReports.filter((report) => names.has(report.name));
    if (own.some((report) => report.isSuccess)) continue;
    const authorities = [...names].map((name) => JSON.stringify(name)).join(', ');
    const why =
      own.length === 0
        ? 'no cosign signature was found for the digest'
        : own.map((report) => report.message).join('; ');
    return notAttested(
      image,
      `${describePolicy(policy)}: no valid attestation by ${authorities} (${why})`,
      policy,
    );
  }
  return undefined;
}
