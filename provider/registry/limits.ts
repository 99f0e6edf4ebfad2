const MIB = 1024 * 1024;

/** Bounds on what a registry can make signet read or walk (DESIGN.md "Limits"). */
export interface RegistryLimits {
  /** Largest manifest, index or referrers page, in bytes. */
  readonly manifestBytes: number;
  /** Largest blob, in bytes, unless the caller asks for less. */
  readonly blobBytes: number;
  /** Largest notation signature envelope blob, in bytes (callers pass it as `maxBytes`). */
  readonly notationEnvelopeBytes: number;
  /** Most referrers API pages followed for one subject. */
  readonly referrersPages: number;
  /** Most signature artifacts considered for one subject. */
  readonly referrersPerSubject: number;
  /** Deepest index nesting followed when resolving a platform (index → index → manifest is 2). */
  readonly indexDepth: number;
}

export const DEFAULT_REGISTRY_LIMITS: RegistryLimits = {
  manifestBytes: 4 * MIB,
  blobBytes: 64 * MIB,
  notationEnvelopeBytes: 32 * MIB,
  referrersPages: 10,
  referrersPerSubject: 1000,
  indexDepth: 2,
};
