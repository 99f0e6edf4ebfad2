/** Manifest media types of the OCI image spec and Docker's v2 schema 2. */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

export const IMAGE_MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
];
export const INDEX_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList];
export const ALL_MANIFEST_MEDIA_TYPES: readonly string[] = [
  ...IMAGE_MANIFEST_MEDIA_TYPES,
  ...INDEX_MEDIA_TYPES,
];

/** Artifact types of the signatures signet knows how to find. */
export const ARTIFACT_TYPES = {
  notationSignature: 'application/vnd.cncf.notary.signature',
  sigstoreBundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  /** cosign's simple-signing signatures, as referrers (oci-1-1 mode) and as Ratify names the `.sig` tag. */
  cosignSignature: 'application/vnd.dev.cosign.artifact.sig.v1+json',
} as const;
