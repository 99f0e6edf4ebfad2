/**
 * Gatekeeper external-data wire types (open-policy-agent/frameworks
 * `constraint/pkg/externaldata/{request,response}.go`). Go decodes these with encoding/json: unknown
 * fields are ignored and `omitempty` drops empty `keys`, `items` and `systemError`.
 */

export const GATEKEEPER_API_VERSIONS = [
  'externaldata.gatekeeper.sh/v1beta1',
  'externaldata.gatekeeper.sh/v1alpha1',
] as const;

export type GatekeeperApiVersion = (typeof GATEKEEPER_API_VERSIONS)[number];

export const DEFAULT_API_VERSION: GatekeeperApiVersion = 'externaldata.gatekeeper.sh/v1beta1';

/** A request after validation. */
export interface ProviderRequest {
  readonly apiVersion: GatekeeperApiVersion;
  readonly kind: 'ProviderRequest';
  readonly request: { readonly keys: readonly string[] };
}

export interface ProviderResponseItem {
  readonly key: string;
  /** The Ratify-compatible result (verify) or the digest-pinned reference (mutate). */
  readonly value?: unknown;
  /** Set only for a per-key error that is final (Gatekeeper caches it like a value). */
  readonly error?: string;
}

export interface ProviderResponse {
  readonly apiVersion: GatekeeperApiVersion;
  readonly kind: 'ProviderResponse';
  readonly response: {
    readonly idempotent: boolean;
    readonly items?: readonly ProviderResponseItem[];
    readonly systemError?: string;
  };
}

/**
 * The body of every 4xx/5xx answer on a provider route: a ProviderResponse carrying the reason in
 * `systemError` (Gatekeeper decodes the body whatever the status and ignores unknown fields, so it
 * sees the reason, caches nothing and the template denies), plus `error` for humans and other clients.
 */
export interface ProviderErrorResponse extends ProviderResponse {
  readonly error: { readonly code: string; readonly message: string; readonly traceID: string };
}
