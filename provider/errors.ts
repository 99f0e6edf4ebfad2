/**
 * One error taxonomy for signet. Every failure is a SignetError with a stable code from the catalog
 * below; the catalog gives each code its kind, a default reason and a remediation, so no code exists
 * without its text.
 *
 * Kinds decide what happens to a failure:
 * - verdict: a definite "no" (bad or missing signature, invalid reference, limit exceeded). It is
 *   answered as `isSuccess: false` and may be cached like any verdict.
 * - inconclusive: we could not decide (registry down, rate limited, timeout). Fail closed, but never
 *   cache it as a verdict and answer it so that Gatekeeper retries.
 * - config: configuration cannot be loaded; fails readiness, never reaches a request.
 * - protocol: the request itself is malformed; HTTP 4xx / `systemError`.
 */

export type ErrorKind = 'verdict' | 'inconclusive' | 'config' | 'protocol';

export type Stage =
  'request' | 'reference' | 'resolve' | 'discover' | 'verify' | 'decide' | 'config' | 'server' | 'report';

// Every stage once, so a serialised error's stage can be checked (a missing stage fails to compile).
const STAGES: Readonly<Record<Stage, true>> = {
  request: true,
  reference: true,
  resolve: true,
  discover: true,
  verify: true,
  decide: true,
  config: true,
  server: true,
  report: true,
};

interface CatalogEntry {
  readonly kind: ErrorKind;
  readonly reason: string;
  readonly remediation: string;
  /** A wording users already know, replacing `image verification failed for <image>: <reason>`; `{image}` is the image. */
  readonly imageMessage?: string;
}

export const ERROR_CATALOG = {
  REQUEST_INVALID: {
    kind: 'protocol',
    reason: 'the request is not a valid ProviderRequest',
    remediation:
      'Send {"apiVersion":"externaldata.gatekeeper.sh/v1beta1","kind":"ProviderRequest","request":{"keys":[...]}}.',
  },
  REQUEST_TOO_LARGE: {
    kind: 'protocol',
    reason: 'the request exceeds a configured limit',
    remediation: 'Send fewer keys per request or raise the limit in the server configuration.',
  },
  REFERENCE_INVALID: {
    kind: 'verdict',
    reason: 'the image reference is invalid',
    remediation: 'Use a reference of the form [registry[:port]/]repository[:tag][@sha256:digest].',
  },
  REGISTRY_UNAUTHORIZED: {
    kind: 'inconclusive',
    reason: 'the registry refused the credentials',
    remediation: 'Check the registry credentials (docker config.json, Store auth provider or pull secrets).',
  },
  CREDENTIAL_HELPER_FAILED: {
    kind: 'inconclusive',
    reason: 'a docker credential helper failed',
    remediation:
      "Check that docker-credential-<name> is on signet's PATH and answers `echo <registry> | docker-credential-<name> get` " +
      "in signet's container, with signet's environment (its cloud identity, e.g. AWS_*, GOOGLE_*, AZURE_*).",
  },
  REGISTRY_NOT_FOUND: {
    kind: 'inconclusive',
    reason: 'the registry has no such manifest',
    remediation: 'Check that the image reference exists in the registry.',
  },
  REGISTRY_RATE_LIMITED: {
    kind: 'inconclusive',
    reason: 'the registry is rate limiting requests',
    remediation: 'Retry later, authenticate to raise the limit, or use a registry mirror.',
  },
  REGISTRY_UNAVAILABLE: {
    kind: 'inconclusive',
    reason: 'the registry could not be reached or failed',
    remediation: 'Check registry availability and network connectivity from signet.',
  },
  REGISTRY_PROTOCOL: {
    kind: 'inconclusive',
    reason: 'the registry answered something that is not valid OCI distribution content',
    remediation: 'Check that the registry implements the OCI distribution specification.',
  },
  DIGEST_MISMATCH: {
    kind: 'inconclusive',
    reason: 'content fetched from the registry does not match its digest',
    remediation: 'The content was altered in transit or by the registry; check the registry and any proxies.',
  },
  SIGNATURE_NOT_FOUND: {
    kind: 'verdict',
    reason: 'signature not found',
    remediation: 'Sign the image and push the signature to the same repository.',
  },
  SIGNATURE_INVALID: {
    kind: 'verdict',
    reason: 'the signature is invalid',
    remediation: 'Re-sign the image; the signature does not verify against its payload or subject.',
  },
  CERT_UNTRUSTED: {
    kind: 'verdict',
    reason: 'the signing certificate is not trusted',
    remediation: 'Add the signing CA to the trust store named by the trust policy.',
  },
  IDENTITY_MISMATCH: {
    kind: 'verdict',
    reason: 'the signer identity is not trusted',
    remediation:
      'Add the signer identity to the trust policy trustedIdentities or sign with a trusted identity.',
  },
  EXPIRED: {
    kind: 'verdict',
    reason: 'the signature or certificate has expired',
    remediation: 'Re-sign the image with a valid certificate, or timestamp signatures.',
  },
  REVOKED: {
    kind: 'verdict',
    reason: 'the signing certificate is revoked',
    remediation: 'Re-sign the image with a certificate that is not revoked.',
  },
  KEY_PROVIDER_UNAVAILABLE: {
    kind: 'inconclusive',
    reason: 'the certificates or keys of a key management provider could not be fetched',
    remediation:
      "Read the KeyManagementProvider's status: the vault object must exist, be enabled and unexpired, and signet's Azure identity needs get permission on its certificates, secrets and keys.",
  },
  REVOCATION_UNAVAILABLE: {
    kind: 'inconclusive',
    reason: 'revocation status could not be determined',
    remediation: 'Check that the OCSP responder or CRL distribution point is reachable from signet.',
  },
  NOT_ATTESTED: {
    kind: 'verdict',
    reason: 'the image is not attested',
    remediation: 'Attest the image digest with a configured attestor.',
    // kritis-validation-hook's wording (seed 001).
    imageMessage: 'image {image} is not attested',
  },
  NO_APPLICABLE_POLICY: {
    kind: 'verdict',
    reason: 'no trust policy applies to the image',
    remediation: 'Add a trust policy statement whose registryScopes cover the image repository.',
  },
  POLICY_NOT_SATISFIED: {
    kind: 'verdict',
    reason: 'the verification policy is not satisfied',
    remediation: 'Check which verifiers failed in verifierReports and fix the signatures or the policy.',
  },
  LIMIT_EXCEEDED: {
    kind: 'verdict',
    reason: 'a configured limit was exceeded',
    remediation: 'Reduce the artifact size or count, or raise the limit in the configuration.',
  },
  TIMEOUT: {
    kind: 'inconclusive',
    reason: 'verification did not finish in time',
    remediation: 'Retry; if it persists, check registry latency or raise the per-image deadline.',
  },
  OVERLOADED: {
    kind: 'inconclusive',
    reason: 'the provider is at its limit of verifications in flight and could not start this one in time',
    remediation:
      'Retry; if it persists, add signet replicas, raise --max-in-flight if CPU allows, or check registry latency.',
  },
  CONFIG_INVALID: {
    kind: 'config',
    reason: 'the configuration is invalid',
    remediation: 'Fix the configuration resource named in the message.',
  },
  CLUSTER_UNREACHABLE: {
    kind: 'inconclusive',
    reason: 'the Kubernetes API server could not be reached',
    remediation:
      'Check --kubeconfig / $KUBECONFIG and its current context, and that the API server is up and reachable.',
  },
  CLUSTER_FORBIDDEN: {
    kind: 'config',
    reason: 'the Kubernetes API server refused the request',
    remediation:
      'Grant the kubeconfig user the verb on the resource named in the message (a ClusterRole bound to it), or use a user that has it.',
  },
  CLUSTER_CONFLICT: {
    kind: 'config',
    reason: 'an object in the cluster belongs to something else',
    remediation:
      'Delete or rename the object named in the message, or choose another assignment name; signet takes over nothing it did not create.',
  },
  GATEKEEPER_NOT_INSTALLED: {
    kind: 'config',
    reason: 'Gatekeeper is not installed in the cluster',
    remediation:
      'Install Gatekeeper 3.19 or later (https://open-policy-agent.github.io/gatekeeper/website/docs/install) and retry.',
  },
  INTERNAL: {
    kind: 'inconclusive',
    reason: 'an internal error occurred',
    remediation: 'Report this with the trace ID from the result.',
  },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export interface SignetErrorOptions {
  readonly stage: Stage;
  /** The image as the user wrote it (or the key), so messages name what the user knows. */
  readonly image?: string;
  /** A specific reason; defaults to the catalog's reason for the code. */
  readonly reason?: string;
  /** A complete message replacing the composed one (for wordings users already know, e.g. kritis'). */
  readonly message?: string;
  readonly remediation?: string;
  /** Structured facts for logs and reports (registry host, HTTP status, limit name...). Never secrets. */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
  readonly cause?: unknown;
}

export class SignetError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly stage: Stage;
  readonly image: string | undefined;
  readonly reason: string;
  readonly remediation: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(code: ErrorCode, options: SignetErrorOptions) {
    const entry: CatalogEntry = ERROR_CATALOG[code];
    const reason = options.reason ?? entry.reason;
    super(options.message ?? composeMessage(entry, options.image, reason), { cause: options.cause });
    this.name = 'SignetError';
    this.code = code;
    this.kind = entry.kind;
    this.stage = options.stage;
    this.image = options.image;
    this.reason = reason;
    this.remediation = options.remediation ?? entry.remediation;
    this.details = options.details ?? {};
  }

  /** Inconclusive failures may succeed when retried; verdicts will not. */
  get retryable(): boolean {
    return this.kind === 'inconclusive';
  }

  /** The same failure attributed to an image, unless it already names one. */
  forImage(image: string): SignetError {
    return this.image === undefined ? this.withImage(image) : this;
  }

  /** The same failure (code, stage, reason, details) naming `image`. */
  withImage(image: string): SignetError {
    return new SignetError(this.code, {
      stage: this.stage,
      image,
      reason: this.reason,
      remediation: this.remediation,
      details: this.details,
      cause: this.cause,
    });
  }

  /** One line naming code, stage and message, for item errors and logs. */
  describe(): string {
    return `${this.code} (${this.stage}): ${this.message}`;
  }

  /** What survives serialisation (the shared verdict cache): everything but the cause; the kind follows from the code. */
  toJSON(): SignetErrorJson {
    return {
      code: this.code,
      stage: this.stage,
      ...(this.image === undefined ? {} : { image: this.image }),
      reason: this.reason,
      message: this.message,
      remediation: this.remediation,
      details: { ...this.details },
    };
  }

  /** The error `toJSON` wrote, rebuilt; undefined when `value` is not one (unknown code or stage, wrong types). */
  static fromJSON(value: unknown): SignetError | undefined {
    if (!isRecord(value)) return undefined;
    const { code, stage, image, reason, message, remediation, details } = value;
    if (typeof code !== 'string' || !Object.hasOwn(ERROR_CATALOG, code)) return undefined;
    if (typeof stage !== 'string' || !Object.hasOwn(STAGES, stage)) return undefined;
    if (image !== undefined && typeof image !== 'string') return undefined;
    if (typeof reason !== 'string' || typeof message !== 'string' || typeof remediation !== 'string')
      return undefined;
    if (!isRecord(details)) return undefined;
    const facts = Object.entries(details);
    if (!facts.every(([, fact]) => ['string', 'number', 'boolean'].includes(typeof fact))) return undefined;
    return new SignetError(code as ErrorCode, {
      stage: stage as Stage,
      ...(image === undefined ? {} : { image }),
      reason,
      message,
      remediation,
      details: Object.fromEntries(facts) as Record<string, string | number | boolean>,
    });
  }
}

/** A SignetError as JSON (see `SignetError.toJSON`). */
export interface SignetErrorJson {
  readonly code: ErrorCode;
  readonly stage: Stage;
  readonly image?: string;
  readonly reason: string;
  readonly message: string;
  readonly remediation: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function composeMessage(entry: CatalogEntry, image: string | undefined, reason: string): string {
  if (image === undefined) return reason;
  if (entry.imageMessage !== undefined) return entry.imageMessage.replace('{image}', () => image);
  return `image verification failed for ${image}: ${reason}`;
}

/** Anything thrown turned into a SignetError; unknown errors become INTERNAL so they still fail closed. */
export function toSignetError(error: unknown, stage: Stage, image?: string): SignetError {
  if (error instanceof SignetError) return image === undefined ? error : error.forImage(image);
  const reason = error instanceof Error ? error.message : String(error);
  return new SignetError('INTERNAL', { stage, image, reason, cause: error });
}

export function isSignetError(error: unknown): error is SignetError {
  return error instanceof SignetError;
}
