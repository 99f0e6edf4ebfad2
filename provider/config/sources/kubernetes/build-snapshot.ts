import { createHash, createPublicKey } from 'node:crypto';
import type { PublicKey } from '@peculiar/x509';
import { toSignetError } from '../../../errors.js';
import type { SignetError } from '../../../errors.js';
import type {
  AttestationAuthorityConfig,
  ConfigResource,
  ConfigSnapshot,
  KeyProviderConfig,
  VerifierConfig,
} from '../../config.types.js';
import { parseConfigResource } from '../../schema/parse-resource.js';
import { formatProblem } from '../../schema/problems.js';
import type { ConfigProblem } from '../../schema/problems.js';
import { isRecord } from '../../schema/reader.js';
import { createSnapshot, findSnapshotProblems } from '../../snapshot/create-snapshot.js';
import type { KeyVaultMaterialSource } from '../azure-key-vault/index.js';
import { toObjectKey } from './resource-kinds.js';
import { resolveSecretReferences } from './resolve-secrets.js';
import type { SecretContext } from './resolve-secrets.js';

/** What a key provider holds, for its status (`status.properties`); never secret material. */
export interface KeyInventory {
  readonly certificates: readonly {
    readonly subject: string;
    readonly issuer: string;
    readonly serialNumber: string;
    readonly notAfter: string;
    readonly sha256: string;
  }[];
  readonly keys: readonly { readonly algorithm: string; readonly sha256: string }[];
  /** Key Vault providers: each certificate and key as fetched (version, enabled, why unusable). */
  readonly vaultObjects?: readonly {
    readonly type: 'certificate' | 'key';
    readonly name: string;
    readonly version: string | null;
    readonly enabled: boolean | null;
    readonly error: string | null;
  }[];
}

export type ResourceOutcome =
  | {
      readonly $case: 'accepted';
      readonly inventory: KeyInventory | undefined;
      /** In force but unusable now (a Key Vault provider whose material could not be fetched): status says why. */
      readonly error?: string;
    }
  | { readonly $case: 'rejected'; readonly message: string };

export interface KubernetesSnapshotOptions extends SecretContext {
  readonly generation: number;
  readonly source: string;
  /** Problems only a verifier sees (notation's trust-policy rules): such a Verifier is rejected too. */
  readonly verifierProblem?: (verifier: VerifierConfig) => Promise<string | undefined>;
  /** Fetched Key Vault material, put in place of `azurekeyvault` providers' settings. */
  readonly keyVault?: Pick<KeyVaultMaterialSource, 'apply' | 'materialOf'>;
}

export interface KubernetesSnapshotResult {
  /** Undefined when the accepted resources do not make a configuration (no Store or no Verifier). */
  readonly snapshot: ConfigSnapshot | undefined;
  readonly error: SignetError | undefined;
  /** Per object key (`toObjectKey`): accepted into the snapshot, or rejected and why. */
  readonly outcomes: ReadonlyMap<string, ResourceOutcome>;
  /**
   * Hash of the accepted resources after Secret references were resolved: equal fingerprints mean
   * an equal configuration, so a status-only change does not publish a new generation.
   */
  readonly fingerprint: string;
  /** The `azurekeyvault` providers parsed, for `KeyVaultMaterialSource.prepare` (fetch, then build again). */
  readonly keyVaultProviders: readonly KeyProviderConfig[];
}

interface ObjectIdentity {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
}

function identify(object: unknown): ObjectIdentity | undefined {
  if (!isRecord(object) || typeof object.kind !== 'string' || !isRecord(object.metadata)) return undefined;
  const { name, namespace } = object.metadata;
  if (typeof name !== 'string') return undefined;
  return {
    kind: object.kind,
    name,
    namespace: typeof namespace === 'string' && namespace !== '' ? namespace : undefined,
  };
}

function sha256(bytes: ArrayBuffer): string {
  return createHash('sha256').update(Buffer.from(bytes)).digest('hex');
}

function toKeyEntry(key: PublicKey): KeyInventory['keys'][number] {
  return {
    algorithm:
      createPublicKey({ key: Buffer.from(key.rawData), format: 'der', type: 'spki' }).asymmetricKeyType ??
      'unknown',
    sha256: sha256(key.rawData),
  };
}

function toInventory(
  provider: KeyProviderConfig,
  keyVault: KubernetesSnapshotOptions['keyVault'],
): KeyInventory {
  const vaultObjects = keyVault?.materialOf(provider)?.objects.map((object) => ({
    type: object.type,
    name: object.name,
    version: object.version ?? null,
    enabled: object.enabled ?? null,
    error: object.error ?? null,
  }));
  return {
    ...(vaultObjects === undefined ? {} : { vaultObjects }),
    certificates: provider.certificates.map((certificate) => ({
      subject: certificate.subject,
      issuer: certificate.issuer,
      serialNumber: certificate.serialNumber,
      notAfter: certificate.notAfter.toISOString(),
      sha256: sha256(certificate.rawData),
    })),
    keys: provider.publicKeys.map(toKeyEntry),
  };
}

/** What a resource holds for its status: key providers and kritis authorities list their keys. */
function inventoryOf(
  resource: ConfigResource,
  keyVault: KubernetesSnapshotOptions['keyVault'],
): KeyInventory | undefined {
  if (resource.$case === 'keyProvider') return toInventory(resource, keyVault);
  if (resource.$case === 'attestationAuthority')
    return { certificates: [], keys: resource.publicKeys.map(({ key }) => toKeyEntry(key)) };
  return undefined;
}

function keyOf(resource: { readonly resource: ConfigResource['resource'] }): string | undefined {
  const id = resource.resource;
  return id === undefined ? undefined : toObjectKey(id.kind, id.namespace, id.name);
}

function keyOfProblem(problem: ConfigProblem): string | undefined {
  const { kind, name, namespace } = problem.locator;
  return kind === undefined || name === undefined ? undefined : toObjectKey(kind, namespace, name);
}

/**
 * Stands in for a rejected AttestationAuthority: it attests nothing, so the policies naming it stay in
 * force and refuse every image of their namespace (as kritis does) instead of the namespace going open.
 */
function toKeylessAuthority(id: ObjectIdentity): AttestationAuthorityConfig {
  return {
    $case: 'attestationAuthority',
    resource: { kind: 'AttestationAuthority', name: id.name, namespace: id.namespace, document: undefined },
    noteReference: '',
    publicKeys: [],
  };
}

/** Messages are written without the resource name: status sits on the resource itself. */
function describeProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((problem) => formatProblem({ ...problem, locator: {} }).replace(/^configuration: /, ''))
    .join('; ');
}

/**
 * Kubernetes objects → the snapshot the file source would build from the same resources, skipping
 * what is wrong instead of refusing everything: a resource that fails to parse, that references a
 * missing or rejected key provider, or whose verifier cannot work is rejected with its reasons and
 * the rest still make a configuration. Pure: Secrets come through `options.secrets`.
 */
export async function buildKubernetesSnapshot(
  objects: readonly unknown[],
  options: KubernetesSnapshotOptions,
): Promise<KubernetesSnapshotResult> {
  const outcomes = new Map<string, ResourceOutcome>();
  const accepted = new Map<string, ConfigResource>();
  const rawByKey = new Map<string, string>();
  const keylessAuthorities = new Map<string, AttestationAuthorityConfig>();
  const keyVaultProviders: KeyProviderConfig[] = [];
  for (const object of objects) {
    const id = identify(object);
    if (id === undefined || !isRecord(object)) continue;
    const key = toObjectKey(id.kind, id.namespace, id.name);
    // A private copy with only what configures: server fields (uid, managedFields, status) are not configuration.
    const raw = structuredClone({
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: { name: id.name, ...(id.namespace === undefined ? {} : { namespace: id.namespace }) },
      spec: object.spec,
    });
    const secretProblems = resolveSecretReferences(id.kind, raw.spec, options);
    const parsed = secretProblems.length > 0 ? undefined : parseConfigResource(raw);
    if (parsed?.ok === true) {
      const resource = parsed.resource;
      let material = '';
      if (resource.$case === 'keyProvider' && resource.azureKeyVault !== undefined) {
        keyVaultProviders.push(resource);
        // What the vault gave is configuration too: a rotated certificate makes a new generation.
        material = options.keyVault?.materialOf(resource)?.fingerprint ?? '';
      }
      rawByKey.set(key, JSON.stringify(raw) + material);
      accepted.set(
        key,
        resource.$case === 'keyProvider' && options.keyVault !== undefined
          ? options.keyVault.apply(resource)
          : resource,
      );
      continue;
    }
    const problems = parsed?.problems ?? secretProblems.map((p) => ({ ...p, locator: {} }));
    outcomes.set(key, { $case: 'rejected', message: describeProblems(problems) });
    if (id.kind === 'AttestationAuthority') keylessAuthorities.set(key, toKeylessAuthority(id));
  }
  const withKeyless = (): ConfigResource[] => [...accepted.values(), ...keylessAuthorities.values()];

  let snapshot: ConfigSnapshot | undefined;
  let error: SignetError | undefined;
  // Each round rejects at least one resource, so this ends within one round per resource.
  for (let round = 0; round <= accepted.size; round += 1) {
    const byResource = new Map<string, ConfigProblem[]>();
    for (const problem of findSnapshotProblems(withKeyless())) {
      const key = keyOfProblem(problem);
      if (key !== undefined && accepted.has(key))
        byResource.set(key, [...(byResource.get(key) ?? []), problem]);
    }
    if (byResource.size === 0) {
      try {
        snapshot = createSnapshot(withKeyless(), {
          generation: options.generation,
          source: options.source,
        });
        error = undefined;
      } catch (failure) {
        snapshot = undefined;
        error = toSignetError(failure, 'config');
        break;
      }
      for (const verifier of snapshot.verifiers) {
        const message = await options.verifierProblem?.(verifier);
        const key = keyOf(verifier);
        if (message !== undefined && key !== undefined)
          byResource.set(key, [{ locator: {}, path: '', message }]);
      }
      if (byResource.size === 0) break;
      snapshot = undefined;
    }
    for (const [key, problems] of byResource) {
      accepted.delete(key);
      outcomes.set(key, { $case: 'rejected', message: describeProblems(problems) });
    }
  }

  for (const [key, resource] of accepted) {
    const unavailable = resource.$case === 'keyProvider' ? resource.unavailable : undefined;
    outcomes.set(key, {
      $case: 'accepted',
      inventory: inventoryOf(resource, options.keyVault),
      ...(unavailable === undefined ? {} : { error: unavailable }),
    });
  }
  // Hashed: the resolved resources hold Secret values, which must not sit around in plain text.
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify([
        [...accepted.keys()].sort().map((key) => rawByKey.get(key)),
        [...keylessAuthorities.keys()].sort(),
      ]),
    )
    .digest('hex');
  return { snapshot, error, outcomes, fingerprint, keyVaultProviders };
}
