// Where a registry may send signet: the destinations of redirects and token realms, classified before any
// connection is made. Pure: names are resolved by the caller, which passes the addresses back in.
import { BlockList, isIP } from 'node:net';

/** What kind of place an address (or a well-known name) is. `ordinary` is anything else, private networks included. */
export type DestinationClass = 'metadata' | 'linkLocal' | 'unspecified' | 'loopback' | 'ordinary';

export type EgressVerdict =
  | {
      readonly $case: 'allowed';
      /** The destination is a name whose addresses must still pass `checkResolvedAddresses`. */
      readonly resolveAndCheck: boolean;
    }
  | { readonly $case: 'refused'; readonly reason: string };

export interface EgressContext {
  /** The URL of the registry request whose answer named the destination (a redirect or a token realm). */
  readonly registry: URL;
  /** Hosts (`host[:port]`, as URL.host spells them) explicitly configured: exempt from the address rules. */
  readonly isConfiguredHost: (host: string) => boolean;
  /** Hosts (`host[:port]`) that may be spoken to over plain HTTP. */
  readonly isInsecureHost: (host: string) => boolean;
}

function blockList(ipv4: readonly string[], ipv6: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of ipv4) {
    const [network = '', prefix = '32'] = entry.split('/');
    list.addSubnet(network, Number(prefix), 'ipv4');
  }
  for (const entry of ipv6) {
    const [network = '', prefix = '128'] = entry.split('/');
    list.addSubnet(network, Number(prefix), 'ipv6');
  }
  return list;
}

// Checked in this order: the metadata addresses are link-local too, and the more specific name is the better reason.
// An IPv4 rule also matches the IPv4-mapped IPv6 form (::ffff:169.254.169.254).
const ADDRESS_CLASSES: readonly (readonly [Exclude<DestinationClass, 'ordinary'>, BlockList])[] = [
  // AWS, GCP, Azure, OCI and others on 169.254.169.254; AWS IPv6 (Nitro); Alibaba Cloud.
  ['metadata', blockList(['169.254.169.254', '100.100.100.200'], ['fd00:ec2::254'])],
  ['linkLocal', blockList(['169.254.0.0/16'], ['fe80::/10'])],
  // 0.0.0.0/8 is "this network": connecting to 0.0.0.0 reaches the local host.
  ['unspecified', blockList(['0.0.0.0/8'], ['::/128'])],
  ['loopback', blockList(['127.0.0.0/8'], ['::1/128'])],
];

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog']);

const CLASS_NAMES: Readonly<Record<Exclude<DestinationClass, 'ordinary'>, string>> = {
  metadata: 'cloud metadata',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  loopback: 'loopback',
};

/** `[::1]` → `::1`, `Localhost.` → `localhost`. */
function toBareHostname(hostname: string): string {
  const unbracketed = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return unbracketed.toLowerCase().replace(/\.$/, '');
}

/** The class of a literal IPv4 or IPv6 address; undefined when `address` is not one. */
export function classifyAddress(address: string): DestinationClass | undefined {
  const bare = toBareHostname(address);
  const family = isIP(bare);
  if (family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [destinationClass, list] of ADDRESS_CLASSES) {
    if (list.check(bare, type)) return destinationClass;
  }
  return 'ordinary';
}

/**
 * The class of a host as written in a URL: a literal address, a name known without asking DNS (`localhost`,
 * `*.localhost`, the metadata names), or undefined for any other name (resolve it and classify the addresses).
 */
export function classifyHostname(hostname: string): DestinationClass | undefined {
  const literal = classifyAddress(hostname);
  if (literal !== undefined) return literal;
  const bare = toBareHostname(hostname);
  if (METADATA_NAMES.has(bare)) return 'metadata';
  if (bare === 'localhost' || bare.endsWith('.localhost')) return 'loopback';
  return undefined;
}

// Asked for the registry of every request (scheme and egress rules): a cluster pulls from few hosts, so each
// answer is remembered — bounded, since hosts come from requests (all forgotten at once when full).
const MAX_REMEMBERED_HOSTS = 1024;
const loopbackHosts = new Map<string, boolean>();

/** Whether a registry, as named in references (`host[:port]`), is on loopback by its name or literal address. */
export function isLoopbackRegistryHost(host: string): boolean {
  let loopback = loopbackHosts.get(host);
  if (loopback === undefined) {
    loopback = classifyRegistryHost(host) === 'loopback';
    if (loopbackHosts.size >= MAX_REMEMBERED_HOSTS) loopbackHosts.clear();
    loopbackHosts.set(host, loopback);
  }
  return loopback;
}

function classifyRegistryHost(host: string): DestinationClass | undefined {
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
  return classifyHostname(hostname);
}

/** Why a destination of this class is refused (`noun` is `address` or `host`), or undefined when it is allowed. */
function refusal(
  destinationClass: DestinationClass,
  registryOnLoopback: boolean,
  noun: string,
): string | undefined {
  if (destinationClass === 'ordinary') return undefined;
  if (destinationClass === 'loopback')
    return registryOnLoopback ? undefined : `a loopback ${noun}, and the registry is not on loopback`;
  const name = CLASS_NAMES[destinationClass];
  return `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name} ${noun}`;
}

function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.host === b.host;
}

/**
 * Rule 2 of the egress rules, for a URL a registry named (a redirect target or a token realm): never link-local,
 * cloud metadata or unspecified addresses, and loopback only for a registry on loopback, unless the destination is
 * the registry's own origin or an explicitly configured host. A name is allowed here only provisionally: the caller
 * resolves it and checks every address with `checkResolvedAddresses`, then connects to those addresses only.
 */
export function checkDestination(destination: URL, context: EgressContext): EgressVerdict {
  if (destination.protocol !== 'https:' && destination.protocol !== 'http:')
    return { $case: 'refused', reason: `scheme ${destination.protocol} is not HTTP or HTTPS` };
  if (sameOrigin(destination, context.registry) || context.isConfiguredHost(destination.host))
    return { $case: 'allowed', resolveAndCheck: false };
  const destinationClass = classifyHostname(destination.hostname);
  if (destinationClass === undefined) return { $case: 'allowed', resolveAndCheck: true };
  const noun = classifyAddress(destination.hostname) === undefined ? 'host' : 'address';
  const why = refusal(destinationClass, isLoopbackRegistryHost(context.registry.host), noun);
  if (why === undefined) return { $case: 'allowed', resolveAndCheck: false };
  return { $case: 'refused', reason: `${toBareHostname(destination.hostname)} is ${why}` };
}

/**
 * Rules 1 and 2 for a redirect from `from` (the URL that answered 3xx) to `to`: never from HTTPS down to plain HTTP,
 * plain HTTP only to a host configured as insecure, then `checkDestination`.
 */
export function checkRedirect(from: URL, to: URL, context: EgressContext): EgressVerdict {
  if (from.protocol === 'https:' && to.protocol === 'http:')
    return { $case: 'refused', reason: `a downgrade from HTTPS to plain HTTP (${to.host})` };
  if (to.protocol === 'http:' && !sameOrigin(from, to) && !context.isInsecureHost(to.host))
    return { $case: 'refused', reason: `plain HTTP to ${to.host}, which is not configured as insecure` };
  return checkDestination(to, context);
}

/** Rule 2 for the addresses a destination name resolved to: every one must pass, or the name is refused. */
export function checkResolvedAddresses(
  hostname: string,
  addresses: readonly string[],
  context: EgressContext,
): EgressVerdict {
  const registryOnLoopback = isLoopbackRegistryHost(context.registry.host);
  for (const address of addresses) {
    const addressClass = classifyAddress(address);
    if (addressClass === undefined)
      return {
        $case: 'refused',
        reason: `${toBareHostname(hostname)} resolves to something that is not an address`,
      };
    const why = refusal(addressClass, registryOnLoopback, 'address');
    if (why !== undefined)
      return { $case: 'refused', reason: `${toBareHostname(hostname)} resolves to ${address}, ${why}` };
  }
  if (addresses.length === 0)
    return { $case: 'refused', reason: `${toBareHostname(hostname)} resolves to no address` };
  return { $case: 'allowed', resolveAndCheck: false };
}
