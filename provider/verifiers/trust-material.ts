import type {
  AttestationAuthorityConfig,
  ConfigSnapshot,
  NamespaceView,
  VerifierConfig,
} from '../config/index.js';
import { SignetError } from '../errors.js';
import { attestingAuthorities, createAttestorVerifier } from './attestor/index.js';
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
// Builds are promises kept from the first call, so callers that ask while one is under way share it.
const builtVerifiers = new WeakMap<VerifierConfig, Promise<ArtifactVerifier>>();
const builtAttestors = new WeakMap<AttestationAuthorityConfig, ArtifactVerifier>();
const builtMaterial = new WeakMap<ConfigSnapshot, Promise<TrustMaterial>>();

/**
 * Builds the verifier of one Verifier resource. Each family is imported only when a Verifier of its type is configured:
 * cosign's modules pull Sigstore (@sigstore/*), which a notation-only configuration never loads.
 */
async function buildVerifier(config: VerifierConfig): Promise<ArtifactVerifier> {
  switch (config.type) {
    case 'notation': {
      const { createNotationVerifier } = await import('./notation/index.js');
      return createNotationVerifier(config);
    }
    case 'cosign': {
      const { createCosignVerifier } = await import('./cosign/index.js');
      return createCosignVerifier(config);
    }
  }
}

/**
 * The verifier of one Verifier resource, built on first use and kept with the configuration object. Material that
 * cannot be loaded gives a verifier with `problem` set (it fails every artifact); the promise rejects only when the
 * build itself fails (its module does not load), and then so does the snapshot's trust material: every request
 * under it is an error, never an allow.
 */
export function verifierOf(config: VerifierConfig): Promise<ArtifactVerifier> {
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

/**
 * The trust material of `snapshot`, built on the first call for that snapshot and shared by every later one (a
 * request that arrives while it is being built awaits the same build).
 */
export function trustMaterialOf(snapshot: ConfigSnapshot): Promise<TrustMaterial> {
  let material = builtMaterial.get(snapshot);
  if (material === undefined) {
    material = buildTrustMaterial(snapshot);
    builtMaterial.set(snapshot, material);
  }
  return material;
}

async function buildTrustMaterial(snapshot: ConfigSnapshot): Promise<TrustMaterial> {
  const verifiers = new Map<VerifierConfig, ArtifactVerifier>();
  const built = await Promise.all(snapshot.verifiers.map(verifierOf));
  snapshot.verifiers.forEach((config, index) => {
    const verifier = built[index];
    if (verifier !== undefined) verifiers.set(config, verifier);
  });
  const problems: TrustProblem[] = [];
  for (const config of snapshot.verifiers) {
    const problem = verifiers.get(config)?.problem;
    if (problem !== undefined) problems.push({ kind: 'Verifier', name: config.name, error: problem });
  }
  for (const authority of attestingAuthorities(snapshot.attestationPolicies)) {
    const { problem } = attestorOf(authority);
    if (problem !== undefined)
      problems.push({ kind: 'AttestationAuthority', name: authority.resource.name, error: problem });
  }
  // Views come from this snapshot; one of another names Verifiers this build does not hold, and fails closed.
  const verifierFor = (config: VerifierConfig): ArtifactVerifier => {
    const verifier = verifiers.get(config);
    if (verifier !== undefined) return verifier;
    throw new SignetError('INTERNAL', {
      stage: 'verify',
      reason: `verifier ${JSON.stringify(config.name)} is not part of configuration generation ${snapshot.generation}`,
    });
  };
  return {
    generation: snapshot.generation,
    problems,
    verifiersFor: (view) => [
      ...view.verifiers.map(verifierFor),
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
