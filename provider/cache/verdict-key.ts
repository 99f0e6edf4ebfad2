import { SignetError } from '../errors.js';

export interface VerdictKeyParts {
  /** The resolved subject digest (`sha256:…`), never a tag. */
  readonly subjectDigest: string;
  /** Generation of the config snapshot the verdict was reached under; a reload invalidates old verdicts. */
  readonly configGeneration: number | string;
  /** Present when the policy that judged the image depends on the namespace. */
  readonly namespace?: string | undefined;
  readonly registry: string;
  readonly repository: string;
}

// OCI image-spec digest grammar: algorithm ":" encoded.
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * The verdict cache key. It is built from the subject digest and never from a tag, so a tag moved to
 * other content can never reuse the old content's verdict (cf. Kyverno's tag-keyed cache CVE); the
 * repository is part of it because signatures are found per repository.
 */
export function verdictCacheKey(parts: VerdictKeyParts): string {
  if (!DIGEST.test(parts.subjectDigest)) {
    throw new SignetError('INTERNAL', {
      stage: 'resolve',
      image: `${parts.registry}/${parts.repository}`,
      reason: `a verdict cache key needs the resolved subject digest, got "${parts.subjectDigest}"`,
    });
  }
  if (parts.registry === '' || parts.repository === '') {
    throw new SignetError('INTERNAL', {
      stage: 'resolve',
      reason: 'a verdict cache key needs the registry and repository of the subject',
    });
  }
  // JSON keeps the parts unambiguous whatever characters they hold.
  return JSON.stringify([
    'verdict',
    String(parts.configGeneration),
    parts.namespace ?? null,
    parts.registry,
    parts.repository,
    parts.subjectDigest,
  ]);
}
