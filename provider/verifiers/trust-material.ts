import type {
  AttestationAuthorityConfig,
  ConfigSnapshot,
  NamespaceView,
  VerifierConfig,
} from '../config/index.js';
import type { SignetError } from '../errors.js';
import { attestingAuthorities, createAttestorVerifier } from './attestor/index.js';
import { createCosignVerifier } from './cosign/index.js';
import { createNotationVerifier } from './notation/index.js';
import type { ArtifactVerifier } from './verifier.types.js';

/** A configuration problem only building a verifier shows (a key file missing, a trust policy rule broken). */
export interface TrustProblem {
  readonly kind: 'Verifier' | 'AttestationAuthority';
  readonly name: string;
  readonly error: SignetError;
}

/**
 * Every verifier of one configuration snapshot with its trust material (certificate stores, keys, Sigstore trusted
 * roots, kritis authorities' keys), built once per snapshot when it is published, never on the request path.
 * Validation, readiness, Kubernetes status and verification all read this one build.
 */
export interface TrustMaterial {
  readonly generation: number;
  /** Every verifier that cannot verify anything, and why; such a verifier fails each artifact (fail closed). */
  readonly problems: readonly TrustProblem[];
  /** The verifiers one namespace view applies: its Verifier resources, then the authorities of its kritis policies. */
  verifiersFor(view: NamespaceView): readonly ArtifactVerifier[];
}

// One build per configuration object: a Verifier the Kubernetes source checks before publishing (its status) is
// the very object the published snapshot holds, so the check and the snapshot's trust material share the build.
const builtVerifiers = new WeakMap<VerifierConfig, ArtifactVerifier>();
const builtAttestors = new WeakMap<AttestationAuthorityConfig, ArtifactVerifier>();
const builtMaterial = new WeakMap<ConfigSnapshot, TrustMaterial>();

function buildVerifier(config: VerifierConfig): ArtifactVerifier {
  switch (config.type) {
    case 'notation':
      return createNotationVerifier(config);
    case 'cosign':
      return createCosignVerifier(config);
  }
}

/** The verifier of one Verifier resource, built on first use and kept with the configuration object. */
export function verifierOf(config: VerifierConfig): ArtifactVerifier {
  let verifier = builtVerifiers.get(config);
  if (verifier === undefined) {
    verifier = buildVerifier(config);
    builtVerifiers.set(config, verifier);
  }
  return verifier;
}

function attestorOf(authority: AttestationAuthorityConfig): ArtifactVerifier {
  let verifier = builtAttestors.get(authority);
  if (verifier === undefined) {
    verifier = createAttestorVerifier(authority);
    builtAttestors.set(authority, verifier);
  }
  return verifier;
}

/** The trust material of `snapshot`, built on the first call for that snapshot and shared by every later one. */
export function trustMaterialOf(snapshot: ConfigSnapshot): TrustMaterial {
  let material = builtMaterial.get(snapshot);
  if (material === undefined) {
    material = buildTrustMaterial(snapshot);
    builtMaterial.set(snapshot, material);
  }
  return material;
}

function buildTrustMaterial(snapshot: ConfigSnapshot): TrustMaterial {
  const problems: TrustProblem[] = [];
  for (const config of snapshot.verifiers) {
    const { problem } = verifierOf(config);
    if (problem !== undefined) problems.push({ kind: 'Verifier', name: config.name, error: problem });
  }
  for (const authority of attestingAuthorities(snapshot.attestationPolicies)) {
    const { problem } = attestorOf(authority);
    if (problem !== undefined)
      problems.push({ kind: 'AttestationAuthority', name: authority.resource.name, error: problem });
  }
  return {
    generation: snapshot.generation,
    problems,
    verifiersFor: (view) => [
      ...view.verifiers.map(verifierOf),
      ...attestingAuthorities(view.attestationPolicies).map(attestorOf),
    ],
  };
}

/** The problems of a snapshot's trust material, one line each (`Verifier "name": message`). */
export function describeTrustProblems(material: TrustMaterial): string[] {
  return material.problems.map(
    (problem) => `${problem.kind} ${JSON.stringify(problem.name)}: ${problem.error.message}`,
  );
}
