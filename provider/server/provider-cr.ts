/**
 * The Gatekeeper `Provider` resource (externaldata.gatekeeper.sh/v1beta1) that points Gatekeeper at signet.
 * Gatekeeper only calls providers over HTTPS and verifies the server against `spec.caBundle` (base64 of the
 * PEM CA certificates), so the resource is generated from the CA that issued signet's serving certificate.
 * `spec.timeout` is whole seconds; signet's per-request deadline must stay below it.
 */
import { X509Certificate } from 'node:crypto';
import { SignetError } from '../errors.js';

export const PROVIDER_API_VERSION = 'externaldata.gatekeeper.sh/v1beta1';

export interface ProviderResourceOptions {
  /** The Provider's name, referenced by templates (`ratify-provider` for Ratify's templates). */
  readonly name: string;
  /** `https://host[:port]/ratify/gatekeeper/v1/verify` (or `/mutate` for the mutation provider). */
  readonly url: string;
  /** Gatekeeper's timeout for one call, in whole seconds (1 or more). */
  readonly timeoutSeconds: number;
  /** PEM of the CA certificate(s) that issued signet's serving certificate. */
  readonly caBundlePem: string;
}

// A type alias, not an interface, so that it is assignable to generic Kubernetes object types.
export type ProviderResource = {
  readonly apiVersion: typeof PROVIDER_API_VERSION;
  readonly kind: 'Provider';
  readonly metadata: { readonly name: string };
  readonly spec: { readonly url: string; readonly timeout: number; readonly caBundle: string };
};

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
// A DNS-1123 subdomain: the names Kubernetes accepts for cluster-scoped resources.
const RESOURCE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function invalid(reason: string, details: Record<string, string | number>): SignetError {
  return new SignetError('CONFIG_INVALID', { stage: 'config', reason, details });
}

/** Each PEM certificate of the bundle parsed, so a broken bundle fails here rather than in Gatekeeper. */
function verifyCaBundle(pem: string): void {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw invalid('the Provider caBundle holds no PEM certificate', {});
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch (cause) {
      throw new SignetError('CONFIG_INVALID', {
        stage: 'config',
        reason: `certificate ${index + 1} of the Provider caBundle cannot be parsed`,
        details: { index },
        cause,
      });
    }
  });
}

/** The Provider resource for `options`; throws CONFIG_INVALID for a name, URL, timeout or CA Gatekeeper would reject. */
export function toProviderResource(options: ProviderResourceOptions): ProviderResource {
  if (options.name.length > 253 || !RESOURCE_NAME.test(options.name)) {
    throw invalid(`the Provider name ${JSON.stringify(options.name)} is not a valid Kubernetes name`, {
      name: options.name,
    });
  }
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw invalid(`the Provider URL ${JSON.stringify(options.url)} is not a URL`, { url: options.url });
  }
  if (url.protocol !== 'https:') {
    throw invalid('Gatekeeper calls external data providers over HTTPS only', { url: options.url });
  }
  if (!Number.isInteger(options.timeoutSeconds) || options.timeoutSeconds < 1) {
    throw invalid('the Provider timeout must be a whole number of seconds, at least 1', {
      timeoutSeconds: options.timeoutSeconds,
    });
  }
  verifyCaBundle(options.caBundlePem);
  return {
    apiVersion: PROVIDER_API_VERSION,
    kind: 'Provider',
    metadata: { name: options.name },
    spec: {
      url: options.url,
      timeout: options.timeoutSeconds,
      caBundle: Buffer.from(options.caBundlePem, 'utf8').toString('base64'),
    },
  };
}
