import { SignetError } from '../errors.js';
import { checkDigest } from './digest.js';
import type { ImageReference } from './reference.types.js';

/**
 * The distribution/reference grammar (github.com/distribution/reference, regexp.go), with Docker's
 * normalization (ParseNormalizedNamed + TagNameOnly):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 *   domain    := (domain-name | "[" ipv6 "]") [":" port]
 */

/** Docker Hub's canonical registry name, the one references are normalized to. */
export const DOCKER_HUB_REGISTRY = 'docker.io';
/** The host that actually serves Docker Hub's distribution API. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([
  DOCKER_HUB_REGISTRY,
  'index.docker.io',
  DOCKER_HUB_API_HOST,
]);
const OFFICIAL_REPOSITORY_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';

/** Longest `registry/repository` upstream accepts. */
export const NAME_MAX_LENGTH = 255;
// Generous bound on the whole input (name 255 + tag 128 + sha512 digest 135 + separators) so that
// no regular expression ever sees attacker-sized text.
const REFERENCE_MAX_LENGTH = 1024;

const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;
// IPv6 only in brackets, without zone identifiers or embedded IPv4 (as upstream).
const IPV6_ADDRESS = '\\[[a-fA-F0-9:]+\\]';
const DOMAIN_AND_PORT = new RegExp(`^(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?$`);
// Lowercase alphanumerics joined by one '.', one '_', '__', or any run of '-'.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
// A bare 64-hex string is an image ID, never a repository name.
const IMAGE_ID = /^[a-f0-9]{64}$/;

function invalid(image: string, reason: string): SignetError {
  return new SignetError('REFERENCE_INVALID', { stage: 'reference', image, reason });
}

/** The host to talk to for a normalized registry name (Docker Hub is served from another host). */
export function toRegistryHost(registry: string): string {
  return registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_API_HOST : registry;
}

/** `docker.io`, `index.docker.io` and `registry-1.docker.io` all name Docker Hub. */
export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_ALIASES.has(registry);
}

/** Splits off the registry the way Docker does: a first component is a host only if it looks like one. */
function splitRegistry(name: string): { registry: string; path: string } {
  const slash = name.indexOf('/');
  if (slash === -1) return { registry: DOCKER_HUB_REGISTRY, path: OFFICIAL_REPOSITORY_PREFIX + name };
  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  const looksLikeHost =
    first === 'localhost' || /[.:]/.test(first) || first !== first.toLowerCase() || isDockerHub(first);
  if (!looksLikeHost) return { registry: DOCKER_HUB_REGISTRY, path: name };
  if (isDockerHub(first)) {
    return {
      registry: DOCKER_HUB_REGISTRY,
      path: rest.includes('/') ? rest : OFFICIAL_REPOSITORY_PREFIX + rest,
    };
  }
  return { registry: first, path: rest };
}

function checkRepositoryPath(text: string, path: string): void {
  if (path !== path.toLowerCase()) throw invalid(text, `repository name "${path}" must be lowercase`);
  for (const component of path.split('/')) {
    if (component === '') throw invalid(text, `repository name "${path}" has an empty path component`);
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(
        text,
        `repository path component "${component}" is invalid: use lowercase letters and digits, ` +
          `separated by one ".", one or two "_", or "-"`,
      );
    }
  }
}

export function formatReference(registry: string, repository: string, tag?: string, digest?: string): string {
  return `${registry}/${repository}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
}

/**
 * Parses and normalizes an image reference: `alpine` → `docker.io/library/alpine:latest`.
 * Throws REFERENCE_INVALID with the precise reason.
 */
export function parseImageReference(text: string): ImageReference {
  if (text === '') throw invalid(text, 'the reference is empty');
  if (text.length > REFERENCE_MAX_LENGTH) {
    throw invalid(text.slice(0, 64) + '…', `the reference is longer than ${REFERENCE_MAX_LENGTH} characters`);
  }
  if (IMAGE_ID.test(text))
    throw invalid(text, 'a 64-character hexadecimal string is an image ID, not a repository');

  const at = text.indexOf('@');
  const nameAndTag = at === -1 ? text : text.slice(0, at);
  let digest: string | undefined;
  if (at !== -1) {
    const check = checkDigest(text.slice(at + 1));
    if (check.$case === 'invalid') throw invalid(text, check.problem);
    digest = check.digest.value;
  }

  // A tag follows the last ':' only when no '/' comes after it (`host:5000/repo` has no tag).
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > nameAndTag.lastIndexOf('/');
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  let tag = hasTag ? nameAndTag.slice(colon + 1) : undefined;
  if (name === '') throw invalid(text, 'the reference has no repository name');
  if (tag !== undefined && !TAG.test(tag)) {
    throw invalid(
      text,
      `tag "${tag}" is invalid: use up to 128 letters, digits, "_", "." or "-", not starting with "." or "-"`,
    );
  }

  const { registry, path } = splitRegistry(name);
  if (!DOMAIN_AND_PORT.test(registry)) {
    throw invalid(
      text,
      `registry host "${registry}" is invalid: use a DNS name, IPv4 address or [IPv6] address, optionally with :port`,
    );
  }
  checkRepositoryPath(text, path);
  const fullName = `${registry}/${path}`;
  if (fullName.length > NAME_MAX_LENGTH) {
    throw invalid(text, `repository name "${fullName}" is longer than ${NAME_MAX_LENGTH} characters`);
  }

  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return {
    registry,
    repository: path,
    tag,
    digest,
    original: text,
    normalized: formatReference(registry, path, tag, digest),
  };
}

/** The same repository pinned to a digest (the tag dropped): what signatures attach to. */
export function toDigestReference(reference: ImageReference, digest: string): ImageReference {
  const check = checkDigest(digest);
  if (check.$case === 'invalid') throw invalid(reference.original, check.problem);
  return {
    ...reference,
    tag: undefined,
    digest,
    normalized: formatReference(reference.registry, reference.repository, undefined, digest),
  };
}

/** The same repository at another tag (e.g. cosign's `sha256-<hex>.sig`). */
export function toTagReference(reference: ImageReference, tag: string): ImageReference {
  if (!TAG.test(tag)) throw invalid(reference.original, `tag "${tag}" is invalid`);
  return {
    ...reference,
    tag,
    digest: undefined,
    normalized: formatReference(reference.registry, reference.repository, tag, undefined),
  };
}
