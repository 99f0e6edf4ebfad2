import type { AttestationPolicyConfig, NamespaceView } from '../config/index.js';
import type { SignatureArtifact } from '../discover/index.js';
import { SignetError } from '../errors.js';
import type { ImageReference } from '../reference/index.js';
import type { Descriptor } from '../registry/index.js';
import type { SubjectVerdict, VerifierReport } from '../verdict/index.js';
import {
  ATTESTOR_VERIFIER_TYPE,
  isCosignVerifier,
  judges,
  type ArtifactVerifier,
  type ArtifactVerifyInput,
  type CosignFinding,
} from '../verifiers/index.js';
import { combineCosignReports } from './cosign-rules.js';
import { decide, type DecisionPolicy } from './decide.js';
import { decideAttestation, requiredAttestations, verifyDigestReference } from './kritis.js';

export interface Subject {
  /** The subject, digest-pinned. */
  readonly reference: ImageReference;
  /** Its descriptor (digest, size, media type) as signatures name it. */
  readonly descriptor: Descriptor;
  /** The image as the user wrote it, which failures name. */
  readonly image: string;
}

/** What decides one image: its namespace's config policy and the kritis policies it must satisfy. */
export interface SubjectPolicy {
  readonly decision: DecisionPolicy;
  /** kritis GenericAttestationPolicies the image must satisfy (whitelisted ones are left out). */
  readonly attestations: readonly AttestationPolicyConfig[];
  /** A namespace governed only by kritis policies (no Ratify Verifier applies) is decided by its attestations. */
  readonly attestationsOnly: boolean;
}

/** The handles verifiers do I/O through: blobs of the subject's repository, under the caller's deadline. */
export interface VerifyHandles {
  readonly fetchBlob: ArtifactVerifyInput['fetchBlob'];
  readonly signal: AbortSignal;
  readonly now: Date;
}

/**
 * The policy for `image` in one namespace view, before any registry call: an unsupported policy type, or a tag
 * where kritis admits only digests, is thrown here as a SignetError (CONFIG_INVALID, NOT_ATTESTED).
 */
export function toSubjectPolicy(view: NamespaceView, reference: ImageReference): SubjectPolicy {
  const image = reference.original;
  const attestations = requiredAttestations(view.attestationPolicies, reference);
  // kritis judges tags without any registry call: only a digest can be attested.
  const undigested = verifyDigestReference(image, reference, attestations);
  if (undigested !== undefined) throw undigested;
  if (view.policy.type !== 'config-policy') {
    throw new SignetError('CONFIG_INVALID', {
      stage: 'decide',
      image,
      reason: `policy type ${view.policy.type} is not supported; use config-policy`,
    });
  }
  return {
    decision: view.policy,
    attestations,
    attestationsOnly: view.verifiers.length === 0 && view.attestationPolicies.length > 0,
  };
}

/** The verifiers that judge an image under `policy`: attestors only for the kritis policies it must satisfy. */
export function judgingVerifiers(
  verifiers: readonly ArtifactVerifier[],
  policy: SubjectPolicy,
): ArtifactVerifier[] {
  const attesting = new Set(
    policy.attestations.flatMap((attestation) => attestation.authorities.map((a) => a.resource.name)),
  );
  return verifiers.filter((v) => v.type !== ATTESTOR_VERIFIER_TYPE || attesting.has(v.name));
}

interface JudgedArtifact {
  readonly verifier: ArtifactVerifier;
  readonly report: VerifierReport;
  /** cosign's finding, whose report is `report`. */
  readonly finding: CosignFinding | undefined;
}

/** One verifier's judgement of one artifact: cosign's as a finding, for combineCosignReports. */
async function judgeArtifact(
  verifier: ArtifactVerifier,
  input: ArtifactVerifyInput,
): Promise<JudgedArtifact> {
  if (!isCosignVerifier(verifier))
    return { verifier, report: await verifier.verify(input), finding: undefined };
  const finding = await verifier.judge(input);
  return { verifier, report: finding.report, finding };
}

/**
 * The verdict on one subject: every verifier judges the artifacts of its types (`verifiers` are the snapshot's,
 * built with their trust material, see judgingVerifiers), then the policy decides — kritis attestations first,
 * then Ratify's any/all per artifact type, cosign's findings first combined under its trust policy's terms
 * (combineCosignReports). A verifier throws only for inconclusive failures (registry down, timeout), and one of
 * them makes the whole subject inconclusive: it is thrown, never a verdict.
 */
export async function verifySubject(
  subject: Subject,
  artifacts: readonly SignatureArtifact[],
  verifiers: readonly ArtifactVerifier[],
  policy: SubjectPolicy,
  handles: VerifyHandles,
): Promise<SubjectVerdict> {
  const judged = await Promise.all(
    artifacts.flatMap((artifact) =>
      verifiers
        .filter((verifier) => judges(verifier, artifact.artifactType))
        .map((verifier) =>
          judgeArtifact(verifier, {
            subject: subject.reference,
            subjectDescriptor: subject.descriptor,
            artifact,
            ...handles,
          }),
        ),
    ),
  );
  // cosign's findings are combined under its trust policy's terms (count, required; its bundle referrers together).
  const reports: VerifierReport[] = verifiers.flatMap((verifier) => {
    const own = judged.filter((job) => job.verifier === verifier);
    return isCosignVerifier(verifier)
      ? combineCosignReports(
          subject.reference,
          verifier,
          own.map((job) => job.finding ?? { report: job.report, entries: [], proof: undefined }),
          policy.decision,
        )
      : own.map((job) => job.report);
  });
  const notAttested = decideAttestation(subject.image, policy.attestations, reports);
  if (notAttested !== undefined) return { isSuccess: false, reports: [], error: notAttested };
  if (policy.attestationsOnly) return { isSuccess: true, reports, error: undefined };
  const decision = decide(
    subject.image,
    reports.filter((report) => report.type !== ATTESTOR_VERIFIER_TYPE),
    policy.decision,
  );
  return { isSuccess: decision.isSuccess, reports, error: decision.error };
}
