/** A Kubernetes-style document the import writes (a Ratify resource or a Gatekeeper constraint). */
export type ImportDocument = Readonly<Record<string, unknown>>;

/** Something of the Kyverno policy that has no signet equivalent, or only an approximate one. */
export interface ImportNote {
  /** Where in the input: `ClusterPolicy check-image rule check-image verifyImages[0].attestors[1]`. */
  readonly where: string;
  readonly message: string;
  /**
   * `skipped`: not converted (signet does not enforce it); `approximated`: converted with different
   * semantics, named in the message.
   */
  readonly $case: 'skipped' | 'approximated';
}

/** The result of converting Kyverno policies: signet configuration, Gatekeeper constraints and notes. */
export interface KyvernoConversion {
  /** Ratify `config.ratify.deislabs.io/v1beta1` resources: a Store, inline key providers, cosign Verifiers. */
  readonly config: readonly ImportDocument[];
  /** Gatekeeper constraints (kinds from templates/): scope and effect of each converted rule. */
  readonly constraints: readonly ImportDocument[];
  readonly notes: readonly ImportNote[];
  /** How many cosign trust policies were produced; zero means nothing usable converted. */
  readonly trustPolicies: number;
}
