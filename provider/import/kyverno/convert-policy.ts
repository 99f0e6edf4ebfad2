import { RATIFY_API_VERSION } from '../../config/index.js';
import { toCosignScope, toExcludedImagePattern } from './image-scope.js';
import type { ImportDocument, ImportNote, KyvernoConversion } from './kyverno-import.types.js';
import { AUTOGEN_ANNOTATION, toGatekeeperMatch, type GatekeeperMatch } from './match-scope.js';

const COSIGN_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const CONSTRAINT_API_VERSION = 'constraints.gatekeeper.sh/v1beta1';
const KYVERNO_GROUP = 'kyverno.io/';
const PEM_KEY = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;
const VERIFY_IMAGE_FIELDS = new Set([
  'imageReferences',
  'skipImageReferences',
  'attestors',
  'required',
  'mutateDigest',
  'verifyDigest',
  'type',
  'useCache',
  'failureAction',
]);
const KEY_FIELDS = new Set(['publicKeys', 'signatureAlgorithm', 'rekor', 'ctlog']);
const KEYLESS_FIELDS = new Set(['subject', 'issuer', 'subjectRegExp', 'issuerRegExp', 'rekor', 'ctlog']);
const DIGEST_ALGORITHMS = new Set(['sha224', 'sha256', 'sha384', 'sha512']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A Kubernetes name from Kyverno names: lowercase RFC 1123, at most 63 characters. */
function toName(...parts: readonly string[]): string {
  const name = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return name.slice(0, 63).replace(/-$/, '') || 'kyverno';
}

interface KeyMaterial {
  readonly $case: 'keys';
  readonly pems: readonly string[];
  readonly signatureAlgorithm: string | undefined;
}

interface KeylessMaterial {
  readonly $case: 'keyless';
  readonly keyless: Readonly<Record<string, unknown>>;
}

/** A trust policy and the inline keys it needs, before names are assigned. */
interface ConvertedEntry {
  readonly scopes: readonly string[];
  readonly material: KeyMaterial | KeylessMaterial;
  readonly count: number | undefined;
  readonly required: boolean;
  readonly tLogVerify: boolean;
  readonly rekorURL: string | undefined;
}

class Converter {
  readonly notes: ImportNote[] = [];
  /** Trust policies by Verifier namespace ('' = cluster-wide Verifier). */
  private readonly policies = new Map<string, Record<string, unknown>[]>();
  private readonly keyProviders: ImportDocument[] = [];
  readonly constraints: ImportDocument[] = [];
  private readonly usedScopes = new Map<string, string>();

  skip(where: string, message: string): void {
    this.notes.push({ $case: 'skipped', where, message });
  }

  approximate(where: string, message: string): void {
    this.notes.push({ $case: 'approximated', where, message });
  }

  private readKeys(keys: Record<string, unknown>, where: string): KeyMaterial | undefined {
    for (const field of Object.keys(keys).filter((key) => !KEY_FIELDS.has(key))) {
      this.skip(where, `keys.${field} not converted (only inline PEM publicKeys are)`);
      return undefined;
    }
    const publicKeys = text(keys.publicKeys);
    const pems = publicKeys?.match(PEM_KEY) ?? [];
    if (pems.length === 0) {
      this.skip(
        where,
        'keys.publicKeys is not an inline PEM public key (k8s://, kms:// and file references are not converted)',
      );
      return undefined;
    }
    const signatureAlgorithm = text(keys.signatureAlgorithm);
    if (signatureAlgorithm !== undefined && !DIGEST_ALGORITHMS.has(signatureAlgorithm)) {
      this.skip(where, `keys.signatureAlgorithm ${signatureAlgorithm} is not supported`);
      return undefined;
    }
    return {
      $case: 'keys',
      pems,
      signatureAlgorithm: signatureAlgorithm === 'sha256' ? undefined : signatureAlgorithm,
    };
  }

  private readKeyless(keyless: Record<string, unknown>, where: string): KeylessMaterial | undefined {
    for (const field of Object.keys(keyless).filter((key) => !KEYLESS_FIELDS.has(key))) {
      this.skip(where, `keyless.${field} not converted (custom Fulcio roots and extensions are not)`);
      return undefined;
    }
    const identity = text(keyless.subject) ?? text(keyless.subjectRegExp);
    const issuer = text(keyless.issuer) ?? text(keyless.issuerRegExp);
    if (identity === undefined || issuer === undefined) {
      this.skip(
        where,
        'keyless needs a subject (or subjectRegExp) and an issuer (or issuerRegExp) in signet',
      );
      return undefined;
    }
    const ctlog = isRecord(keyless.ctlog) ? keyless.ctlog : {};
    return {
      $case: 'keyless',
      keyless: {
        ...(text(keyless.subject) === undefined
          ? { certificateIdentityRegExp: text(keyless.subjectRegExp) }
          : { certificateIdentity: text(keyless.subject) }),
        ...(text(keyless.issuer) === undefined
          ? { certificateOIDCIssuerRegExp: text(keyless.issuerRegExp) }
          : { certificateOIDCIssuer: text(keyless.issuer) }),
        ...(ctlog.ignoreSCT === true ? { ctLogVerify: false } : {}),
      },
    };
  }

  /** One attestor set (`attestors[0]`): `count` of its entries must verify (Kyverno's default: all). */
  private readAttestor(
    attestor: Record<string, unknown>,
    where: string,
  ): Pick<ConvertedEntry, 'material' | 'count' | 'tLogVerify' | 'rekorURL'> | undefined {
    const entries = records(attestor.entries);
    if (entries.length === 0) {
      this.skip(where, 'an attestor without entries is not converted');
      return undefined;
    }
    const materials: (KeyMaterial | KeylessMaterial)[] = [];
    let ignoreTlog = true;
    let rekorURL: string | undefined;
    for (const [index, entry] of entries.entries()) {
      const entryWhere = `${where}.entries[${index}]`;
      const other = Object.keys(entry).filter((key) => key !== 'keys' && key !== 'keyless');
      if (other.length > 0) {
        this.skip(
          entryWhere,
          `${other.join(', ')} not converted (certificates and nested attestors are not)`,
        );
        return undefined;
      }
      const source = isRecord(entry.keys) ? entry.keys : isRecord(entry.keyless) ? entry.keyless : undefined;
      const material = isRecord(entry.keys)
        ? this.readKeys(entry.keys, entryWhere)
        : isRecord(entry.keyless)
          ? this.readKeyless(entry.keyless, entryWhere)
          : undefined;
      if (material === undefined || source === undefined) return undefined;
      const rekor = isRecord(source.rekor) ? source.rekor : {};
      if (rekor.ignoreTlog !== true) ignoreTlog = false;
      rekorURL ??= text(rekor.url);
      materials.push(material);
    }
    const keyless = materials.filter((m): m is KeylessMaterial => m.$case === 'keyless');
    const keys = materials.filter((m): m is KeyMaterial => m.$case === 'keys');
    const requested = typeof attestor.count === 'number' ? attestor.count : entries.length;
    const tLogVerify = !ignoreTlog;
    if (keyless.length > 0) {
      const [only] = keyless;
      if (keys.length > 0 || keyless.length > 1 || only === undefined) {
        this.skip(where, 'several keyless entries, or keyless mixed with keys, are not converted');
        return undefined;
      }
      return { material: only, count: undefined, tLogVerify, rekorURL };
    }
    const pems = keys.flatMap((key) => key.pems);
    const algorithms = new Set(keys.map((key) => key.signatureAlgorithm));
    if (algorithms.size > 1) {
      this.skip(where, 'entries with different signatureAlgorithm values are not converted');
      return undefined;
    }
    if (keys.some((key) => key.pems.length > 1)) {
      this.approximate(where, 'publicKeys holding several keys are read as one entry per key');
    }
    const count = Math.min(requested, pems.length);
    return {
      material: { $case: 'keys', pems, signatureAlgorithm: [...algorithms][0] },
      count: count > 1 ? count : undefined,
      tLogVerify,
      rekorURL,
    };
  }

  private readScopes(entry: Record<string, unknown>, where: string): string[] {
    const scopes: string[] = [];
    for (const pattern of Array.isArray(entry.imageReferences) ? entry.imageReferences : []) {
      if (typeof pattern !== 'string') continue;
      const result = toCosignScope(pattern);
      if (!result.ok) {
        this.skip(where, `imageReferences ${JSON.stringify(pattern)} not converted: ${result.reason}`);
        continue;
      }
      if (result.widened !== undefined)
        this.approximate(where, `imageReferences ${JSON.stringify(pattern)}: ${result.widened}`);
      const owner = this.usedScopes.get(result.scope);
      if (owner !== undefined) {
        this.skip(
          where,
          `scope ${result.scope} is already verified by ${owner}; signet verifies one trust policy per scope`,
        );
        continue;
      }
      if (!scopes.includes(result.scope)) scopes.push(result.scope);
    }
    return scopes;
  }

  /** One `verifyImages` entry → one cosign trust policy, or notes saying why not. */
  private readVerifyImages(entry: Record<string, unknown>, where: string): ConvertedEntry | undefined {
    const type = text(entry.type) ?? 'Cosign';
    if (type !== 'Cosign') {
      this.skip(where, `type ${type} not converted (signet's notation Verifier is configured separately)`);
      return undefined;
    }
    for (const field of Object.keys(entry).filter((key) => !VERIFY_IMAGE_FIELDS.has(key))) {
      this.skip(where, `${field} not converted`);
    }
    const attestors = records(entry.attestors);
    if (attestors.length !== 1) {
      this.skip(
        where,
        attestors.length === 0
          ? 'no attestors: nothing to verify signatures with'
          : `${attestors.length} attestor sets must all pass in Kyverno; signet has one key set per scope, so the entry is not converted (converting one set would weaken it)`,
      );
      return undefined;
    }
    const [attestor] = attestors;
    const read = attestor === undefined ? undefined : this.readAttestor(attestor, `${where}.attestors[0]`);
    if (read === undefined) return undefined;
    const scopes = this.readScopes(entry, where);
    if (scopes.length === 0) {
      this.skip(where, 'no imageReferences could be converted to a scope');
      return undefined;
    }
    return { ...read, scopes, required: entry.required !== false };
  }

  private addTrustPolicy(
    namespace: string | undefined,
    name: string,
    entry: ConvertedEntry,
    where: string,
  ): void {
    const keyRefs: Record<string, unknown>[] = [];
    if (entry.material.$case === 'keys') {
      entry.material.pems.forEach((pem, index) => {
        const providerName = toName(name, 'key', String(index + 1));
        this.keyProviders.push({
          apiVersion: RATIFY_API_VERSION,
          kind: namespace === undefined ? 'KeyManagementProvider' : 'NamespacedKeyManagementProvider',
          metadata: namespace === undefined ? { name: providerName } : { name: providerName, namespace },
          spec: { type: 'inline', parameters: { contentType: 'key', value: `${pem}\n` } },
        });
        keyRefs.push({ provider: namespace === undefined ? providerName : `${namespace}/${providerName}` });
      });
    }
    const policy: Record<string, unknown> = {
      name,
      scopes: entry.scopes,
      ...(entry.material.$case === 'keys' ? { keys: keyRefs } : { keyless: entry.material.keyless }),
      tLogVerify: entry.tLogVerify,
      ...(entry.rekorURL === undefined ? {} : { rekorURL: entry.rekorURL }),
      ...(entry.material.$case === 'keys' && entry.material.signatureAlgorithm !== undefined
        ? { signatureDigestAlgorithm: entry.material.signatureAlgorithm }
        : {}),
      ...(entry.count === undefined ? {} : { count: entry.count }),
      ...(entry.required ? {} : { required: false }),
    };
    const key = namespace ?? '';
    this.policies.set(key, [...(this.policies.get(key) ?? []), policy]);
    entry.scopes.forEach((scope) => this.usedScopes.set(scope, where));
  }

  private addConstraint(
    kind: 'SignetVerification' | 'SignetDigestOnly',
    name: string,
    options: {
      readonly deny: boolean;
      readonly match: GatekeeperMatch;
      readonly parameters: Record<string, unknown>;
    },
  ): void {
    this.constraints.push({
      apiVersion: CONSTRAINT_API_VERSION,
      kind,
      metadata: { name },
      spec: {
        enforcementAction: options.deny ? 'deny' : 'dryrun',
        match: options.match,
        ...(Object.keys(options.parameters).length === 0 ? {} : { parameters: options.parameters }),
      },
    });
  }

  private readPolicySettings(kind: string, name: string, spec: Record<string, unknown>): boolean {
    const where = `${kind} ${name}`;
    const action = text(spec.validationFailureAction) ?? 'Audit';
    if (spec.validationFailureActionOverrides !== undefined) {
      this.skip(where, 'validationFailureActionOverrides not converted: one effect per constraint');
    }
    if (spec.failurePolicy === 'Ignore') {
      this.approximate(
        where,
        'failurePolicy Ignore not converted: signet constraints fail closed when the provider cannot answer',
      );
    }
    if (typeof spec.webhookTimeoutSeconds === 'number') {
      this.skip(
        where,
        `webhookTimeoutSeconds ${spec.webhookTimeoutSeconds}: set the Gatekeeper Provider's spec.timeout and keep signet's --deadline-ms below it`,
      );
    }
    return action.toLowerCase() === 'enforce';
  }

  /**
   * Kyverno 1.13+ `verifyImages[].failureAction` overrides the policy's action; one constraint per rule has one
   * effect, so entries that disagree make the rule deny (the stricter).
   */
  private readEntryActions(
    verifyImages: readonly Record<string, unknown>[],
    where: string,
  ): boolean | undefined {
    const actions = new Set(
      verifyImages.flatMap((entry) => {
        const action = text(entry.failureAction);
        return action === undefined ? [] : [action.toLowerCase() === 'enforce'];
      }),
    );
    if (actions.size > 1)
      this.approximate(where, 'verifyImages entries with different failureAction values all deny');
    return actions.size === 0 ? undefined : actions.has(true);
  }

  /** One Kyverno ClusterPolicy or Policy. */
  convertPolicy(document: Record<string, unknown>, index: number): void {
    const kind = text(document.kind) ?? '';
    const apiVersion = text(document.apiVersion) ?? '';
    const metadata = isRecord(document.metadata) ? document.metadata : {};
    const name = text(metadata.name) ?? `document-${index + 1}`;
    if (!apiVersion.startsWith(KYVERNO_GROUP) || (kind !== 'ClusterPolicy' && kind !== 'Policy')) {
      this.skip(
        `document ${index + 1}`,
        `${kind || 'a document'} ${apiVersion} is not a Kyverno ClusterPolicy or Policy`,
      );
      return;
    }
    const policyNamespace = kind === 'Policy' ? (text(metadata.namespace) ?? 'default') : undefined;
    const spec = isRecord(document.spec) ? document.spec : {};
    const deny = this.readPolicySettings(kind, name, spec);
    const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
    const autogen = text(annotations[AUTOGEN_ANNOTATION]);
    for (const [ruleIndex, rule] of records(spec.rules).entries()) {
      const ruleName = text(rule.name) ?? `rule-${ruleIndex + 1}`;
      const where = `${kind} ${name} rule ${ruleName}`;
      const verifyImages = records(rule.verifyImages);
      if (verifyImages.length === 0) {
        this.skip(where, 'has no verifyImages (validate, mutate and generate rules are not converted)');
        continue;
      }
      const match = toGatekeeperMatch(rule, { where, autogen, policyNamespace }, this.notes);
      if (match === undefined) {
        this.skip(where, 'matches no pod-bearing kind; nothing to convert');
        continue;
      }
      const excludedImages: string[] = [];
      const ruleDeny = this.readEntryActions(verifyImages, where) ?? deny;
      let converted = 0;
      let digestOnly = false;
      verifyImages.forEach((entry, entryIndex) => {
        const entryWhere = `${where} verifyImages[${entryIndex}]`;
        const result = this.readVerifyImages(entry, entryWhere);
        for (const pattern of Array.isArray(entry.skipImageReferences) ? entry.skipImageReferences : []) {
          if (typeof pattern === 'string') excludedImages.push(toExcludedImagePattern(pattern));
        }
        if (entry.mutateDigest !== false) {
          this.approximate(
            entryWhere,
            'mutateDigest (Kyverno default true) not generated: pin tags to the verified digest with constraints/mutation/signet-pin-digest.yaml (Gatekeeper external-data mutation)',
          );
        } else if (entry.verifyDigest !== false) digestOnly = true;
        if (result === undefined) return;
        this.addTrustPolicy(
          policyNamespace,
          toName(name, ruleName, String(entryIndex + 1)),
          result,
          entryWhere,
        );
        converted += 1;
      });
      if (converted === 0) continue;
      this.approximate(
        where,
        'Kyverno does not check images outside imageReferences; the constraint sends every image of matched workloads and signet denies those outside every scope (NO_APPLICABLE_POLICY): list them in parameters.excludedImages if they must pass',
      );
      const parameters: Record<string, unknown> = {
        ...(excludedImages.length === 0 ? {} : { excludedImages }),
        ...(policyNamespace === undefined ? {} : { namespacedKeys: true }),
      };
      const constraintName = toName(name, ruleName);
      this.addConstraint('SignetVerification', constraintName, { deny: ruleDeny, match, parameters });
      if (digestOnly) {
        this.addConstraint('SignetDigestOnly', toName(constraintName, 'digest'), {
          deny: ruleDeny,
          match,
          parameters: excludedImages.length === 0 ? {} : { excludedImages },
        });
      }
    }
  }

  /** The Store, key providers and one cosign Verifier per namespace (cluster-wide policies copied in). */
  configDocuments(): ImportDocument[] {
    const cluster = this.policies.get('') ?? [];
    const verifiers = [...this.policies].map(([namespace, own]): ImportDocument => {
      const trustPolicies = namespace === '' ? own : [...cluster, ...own];
      return {
        apiVersion: RATIFY_API_VERSION,
        kind: namespace === '' ? 'Verifier' : 'NamespacedVerifier',
        metadata: namespace === '' ? { name: 'verifier-cosign' } : { name: 'verifier-cosign', namespace },
        spec: { name: 'cosign', artifactTypes: COSIGN_ARTIFACT_TYPE, parameters: { trustPolicies } },
      };
    });
    const store: ImportDocument = {
      apiVersion: RATIFY_API_VERSION,
      kind: 'Store',
      metadata: { name: 'store-oras' },
      spec: { name: 'oras', parameters: { cosignEnabled: true } },
    };
    return [store, ...this.keyProviders, ...verifiers];
  }

  get trustPolicyCount(): number {
    return [...this.policies.values()].reduce((sum, list) => sum + list.length, 0);
  }
}

/**
 * Kyverno ClusterPolicy / Policy documents → signet configuration (Ratify Store, inline key providers, cosign
 * Verifier trust policies) and Gatekeeper constraints with the same scope and effect, plus a note for
 * everything that could not be converted or only approximately. Pure: no I/O.
 */
export function toKyvernoConversion(documents: readonly unknown[]): KyvernoConversion {
  const converter = new Converter();
  documents.forEach((document, index) => {
    if (isRecord(document)) converter.convertPolicy(document, index);
    else if (document !== null && document !== undefined)
      converter.skip(`document ${index + 1}`, 'is not a mapping');
  });
  const trustPolicies = converter.trustPolicyCount;
  return {
    config: trustPolicies === 0 ? [] : converter.configDocuments(),
    constraints: converter.constraints,
    notes: converter.notes,
    trustPolicies,
  };
}
