// kritis.grafeas.io/v1beta1 resources for tests, written as ACK's kritis-validation-hook documents them (seed 001):
// a cluster-wide AttestationAuthority whose `publicKeyData` is the base64 of the PEM public key, and a
// GenericAttestationPolicy (namespaced; without a namespace it lands in "default", as with kubectl).

export interface KritisConfigOptions {
  readonly authorityName: string;
  /** PEM `PUBLIC KEY` of the attestor (e.g. a KMS RSA-2048 key's public half). */
  readonly publicKeyPem: string;
  readonly publicKeyId?: string;
  readonly policyName: string;
  /** Omitted: the policy is written without a namespace (ACK's example). */
  readonly policyNamespace?: string;
}

/** A GenericAttestationPolicy requiring `authorityName` (one document, no separator). */
export function genericAttestationPolicy(name: string, authorityName: string, namespace?: string): string {
  return `apiVersion: kritis.grafeas.io/v1beta1
kind: GenericAttestationPolicy
metadata:
  name: ${name}${namespace === undefined ? '' : `\n  namespace: ${namespace}`}
spec:
  attestationAuthorityNames:
  - ${authorityName}
`;
}

/** An AttestationAuthority and a GenericAttestationPolicy naming it, as two YAML documents. */
export function kritisConfig(options: KritisConfigOptions): string {
  return `apiVersion: kritis.grafeas.io/v1beta1
kind: AttestationAuthority
metadata:
  name: ${options.authorityName}
spec:
  noteReference: namespaces/${options.authorityName}
  publicKeyData: ${Buffer.from(options.publicKeyPem).toString('base64')}
  publicKeyId: ${options.publicKeyId ?? 'kms-key-id'}
---
${genericAttestationPolicy(options.policyName, options.authorityName, options.policyNamespace)}`;
}
