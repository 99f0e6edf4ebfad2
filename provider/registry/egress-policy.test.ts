import {
  checkDestination,
  checkRedirect,
  checkResolvedAddresses,
  classifyAddress,
  classifyHostname,
  isLoopbackRegistryHost,
} from './egress-policy.js';
import type { DestinationClass, EgressContext } from './egress-policy.js';

function contextFor(registry: string, configured: readonly string[] = [], insecure: readonly string[] = []) {
  return {
    registry: new URL(registry),
    isConfiguredHost: (host: string) => configured.includes(host),
    isInsecureHost: (host: string) => insecure.includes(host),
  } satisfies EgressContext;
}

/** The outcome in one word (or the refusal's reason), for readable tables. */
function outcome(verdict: ReturnType<typeof checkDestination>): string {
  if (verdict.$case === 'refused') return `refused: ${verdict.reason}`;
  return verdict.resolveAndCheck ? 'resolve' : 'allowed';
}

const PUBLIC_REGISTRY = 'https://registry.example.com/v2/app/blobs/sha256:00';
const LOOPBACK_REGISTRY = 'https://127.0.0.1:5000/v2/app/blobs/sha256:00';

describe('egress policy', () => {
  describe('classifyAddress', () => {
    it.each<[string, DestinationClass | undefined]>([
      ['169.254.169.254', 'metadata'],
      ['100.100.100.200', 'metadata'],
      ['fd00:ec2::254', 'metadata'],
      ['[fd00:ec2::254]', 'metadata'],
      ['::ffff:169.254.169.254', 'metadata'],
      ['::ffff:a9fe:a9fe', 'metadata'],
      ['169.254.0.1', 'linkLocal'],
      ['169.254.170.2', 'linkLocal'],
      ['fe80::1', 'linkLocal'],
      ['febf:ffff::1', 'linkLocal'],
      ['0.0.0.0', 'unspecified'],
      ['0.1.2.3', 'unspecified'],
      ['::', 'unspecified'],
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['[::1]', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['10.0.0.5', 'ordinary'],
      ['192.168.1.1', 'ordinary'],
      ['169.255.0.1', 'ordinary'],
      ['fec0::1', 'ordinary'],
      ['2001:db8::1', 'ordinary'],
      ['8.8.8.8', 'ordinary'],
      ['registry.example.com', undefined],
      ['localhost', undefined],
    ])('%s → %s', (address, expected) => {
      expect(classifyAddress(address)).toBe(expected);
    });
  });

  describe('classifyHostname', () => {
    it.each<[string, DestinationClass | undefined]>([
      ['localhost', 'loopback'],
      ['LOCALHOST.', 'loopback'],
      ['registry.localhost', 'loopback'],
      ['metadata.google.internal', 'metadata'],
      ['Metadata.Google.Internal.', 'metadata'],
      ['metadata.goog', 'metadata'],
      ['[::1]', 'loopback'],
      ['169.254.169.254', 'metadata'],
      ['localhost.example.com', undefined],
      ['storage.example.com', undefined],
    ])('%s → %s', (hostname, expected) => {
      expect(classifyHostname(hostname)).toBe(expected);
    });
  });

  describe('isLoopbackRegistryHost', () => {
    it.each<[string, boolean]>([
      ['127.0.0.1:5000', true],
      ['localhost:5000', true],
      ['localhost', true],
      ['[::1]:5000', true],
      ['registry.example.com', false],
      ['registry.test:5000', false],
      ['10.0.0.5:5000', false],
      ['not a host', false],
    ])('%s → %s', (host, expected) => {
      expect(isLoopbackRegistryHost(host)).toBe(expected);
    });
  });

  describe('checkRedirect', () => {
    it.each<[string, string, string, ReturnType<typeof contextFor>]>([
      // Rule 1: never from HTTPS down to plain HTTP, whatever the host.
      [
        LOOPBACK_REGISTRY,
        'http://127.0.0.1:8080/x',
        'refused: a downgrade from HTTPS to plain HTTP (127.0.0.1:8080)',
        contextFor(LOOPBACK_REGISTRY, ['127.0.0.1:8080'], ['127.0.0.1:8080']),
      ],
      [
        PUBLIC_REGISTRY,
        'http://storage.example.com/x',
        'refused: a downgrade from HTTPS to plain HTTP (storage.example.com)',
        contextFor(PUBLIC_REGISTRY, [], ['storage.example.com']),
      ],
      // Plain HTTP to plain HTTP: only to a host configured as insecure.
      [
        'http://10.0.0.5:5000/v2/',
        'http://10.0.0.6:9000/x',
        'refused: plain HTTP to 10.0.0.6:9000, which is not configured as insecure',
        contextFor('http://10.0.0.5:5000/v2/'),
      ],
      [
        'http://10.0.0.5:5000/v2/',
        'http://10.0.0.6:9000/x',
        'allowed',
        contextFor('http://10.0.0.5:5000/v2/', [], ['10.0.0.6:9000']),
      ],
      [
        'http://10.0.0.5:5000/v2/',
        'http://10.0.0.5:5000/y',
        'allowed',
        contextFor('http://10.0.0.5:5000/v2/'),
      ],
      // Upgrading to HTTPS is fine.
      [
        'http://10.0.0.5:5000/v2/',
        'https://storage.example.com/x',
        'resolve',
        contextFor('http://10.0.0.5:5000/v2/'),
      ],
      // Rule 2: metadata, link-local and unspecified, whoever asks.
      [
        PUBLIC_REGISTRY,
        'https://169.254.169.254/latest/meta-data',
        'refused: 169.254.169.254 is a cloud metadata address',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        LOOPBACK_REGISTRY,
        'https://169.254.169.254/latest/meta-data',
        'refused: 169.254.169.254 is a cloud metadata address',
        contextFor(LOOPBACK_REGISTRY, [], ['169.254.169.254']),
      ],
      [
        PUBLIC_REGISTRY,
        'https://[fd00:ec2::254]/latest',
        'refused: fd00:ec2::254 is a cloud metadata address',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        PUBLIC_REGISTRY,
        'https://metadata.google.internal/computeMetadata/v1/',
        'refused: metadata.google.internal is a cloud metadata host',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        PUBLIC_REGISTRY,
        'https://[::ffff:169.254.169.254]/',
        'refused: ::ffff:a9fe:a9fe is a cloud metadata address',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        PUBLIC_REGISTRY,
        'https://169.254.10.20:8443/',
        'refused: 169.254.10.20 is a link-local address',
        contextFor(PUBLIC_REGISTRY),
      ],
      ['https://[fe80::1]/', 'https://[fe80::1]/', 'allowed', contextFor('https://[fe80::1]/')],
      [
        PUBLIC_REGISTRY,
        'https://[fe80::1]/',
        'refused: fe80::1 is a link-local address',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        PUBLIC_REGISTRY,
        'https://0.0.0.0/',
        'refused: 0.0.0.0 is an unspecified address',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        PUBLIC_REGISTRY,
        'https://0/',
        'refused: 0.0.0.0 is an unspecified address',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        PUBLIC_REGISTRY,
        'https://[::]/',
        'refused: :: is an unspecified address',
        contextFor(PUBLIC_REGISTRY),
      ],
      // Loopback only for a registry that is itself on loopback (URL parsing normalises 0x7f.1 and 2130706433).
      [
        PUBLIC_REGISTRY,
        'https://127.0.0.1:8443/x',
        'refused: 127.0.0.1 is a loopback address, and the registry is not on loopback',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        PUBLIC_REGISTRY,
        'https://0x7f.1/x',
        'refused: 127.0.0.1 is a loopback address, and the registry is not on loopback',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        PUBLIC_REGISTRY,
        'https://2130706433/x',
        'refused: 127.0.0.1 is a loopback address, and the registry is not on loopback',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        PUBLIC_REGISTRY,
        'https://[::1]:8443/x',
        'refused: ::1 is a loopback address, and the registry is not on loopback',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        PUBLIC_REGISTRY,
        'https://localhost:8443/x',
        'refused: localhost is a loopback host, and the registry is not on loopback',
        contextFor(PUBLIC_REGISTRY),
      ],
      [LOOPBACK_REGISTRY, 'https://localhost:8443/x', 'allowed', contextFor(LOOPBACK_REGISTRY)],
      [LOOPBACK_REGISTRY, 'https://127.0.0.2:8443/x', 'allowed', contextFor(LOOPBACK_REGISTRY)],
      // An explicitly configured host is exempt from rule 2 (not from rule 1).
      [
        PUBLIC_REGISTRY,
        'https://127.0.0.1:8443/x',
        'allowed',
        contextFor(PUBLIC_REGISTRY, ['127.0.0.1:8443']),
      ],
      [
        PUBLIC_REGISTRY,
        'https://127.0.0.1:8444/x',
        'refused: 127.0.0.1 is a loopback address, and the registry is not on loopback',
        contextFor(PUBLIC_REGISTRY, ['127.0.0.1:8443']),
      ],
      // Names are allowed provisionally: their addresses decide.
      [PUBLIC_REGISTRY, 'https://storage.example.net/blob?sig=1', 'resolve', contextFor(PUBLIC_REGISTRY)],
      [PUBLIC_REGISTRY, 'https://registry.example.com/other', 'allowed', contextFor(PUBLIC_REGISTRY)],
      // Nothing but HTTP(S).
      [
        PUBLIC_REGISTRY,
        'ftp://storage.example.net/x',
        'refused: scheme ftp: is not HTTP or HTTPS',
        contextFor(PUBLIC_REGISTRY),
      ],
      [
        PUBLIC_REGISTRY,
        'file:///etc/passwd',
        'refused: scheme file: is not HTTP or HTTPS',
        contextFor(PUBLIC_REGISTRY),
      ],
    ])('%s → %s: %s', (from, to, expected, context) => {
      expect(outcome(checkRedirect(new URL(from), new URL(to), context))).toBe(expected);
    });
  });

  describe('checkDestination (a token realm)', () => {
    it.each<[string, string, string]>([
      [PUBLIC_REGISTRY, 'https://auth.example.com/token', 'resolve'],
      [
        PUBLIC_REGISTRY,
        'https://169.254.169.254/token',
        'refused: 169.254.169.254 is a cloud metadata address',
      ],
      [
        'http://10.0.0.5:5000/v2/',
        'http://127.0.0.1:9000/token',
        'refused: 127.0.0.1 is a loopback address, and the registry is not on loopback',
      ],
      ['http://127.0.0.1:5000/v2/', 'http://127.0.0.1:9000/token', 'allowed'],
    ])('named by %s: %s → %s', (registry, realm, expected) => {
      expect(outcome(checkDestination(new URL(realm), contextFor(registry)))).toBe(expected);
    });
  });

  describe('checkResolvedAddresses', () => {
    it.each<[string, string, readonly string[], string]>([
      [PUBLIC_REGISTRY, 'storage.example.net', ['203.0.113.7'], 'allowed'],
      [PUBLIC_REGISTRY, 'storage.example.net', ['10.1.2.3', '2001:db8::7'], 'allowed'],
      // DNS rebinding to the metadata service: refused whatever else the name resolves to.
      [
        PUBLIC_REGISTRY,
        'storage.example.net',
        ['203.0.113.7', '169.254.169.254'],
        'refused: storage.example.net resolves to 169.254.169.254, a cloud metadata address',
      ],
      [
        PUBLIC_REGISTRY,
        'internal.test',
        ['127.0.0.1'],
        'refused: internal.test resolves to 127.0.0.1, a loopback address, and the registry is not on loopback',
      ],
      [LOOPBACK_REGISTRY, 'internal.test', ['127.0.0.1'], 'allowed'],
      [
        LOOPBACK_REGISTRY,
        'internal.test',
        ['fe80::1'],
        'refused: internal.test resolves to fe80::1, a link-local address',
      ],
      [PUBLIC_REGISTRY, 'Odd.Test.', ['::'], 'refused: odd.test resolves to ::, an unspecified address'],
      [
        PUBLIC_REGISTRY,
        'odd.test',
        ['not-an-ip'],
        'refused: odd.test resolves to something that is not an address',
      ],
      [PUBLIC_REGISTRY, 'odd.test', [], 'refused: odd.test resolves to no address'],
    ])('registry %s: %s = %j → %s', (registry, hostname, addresses, expected) => {
      expect(outcome(checkResolvedAddresses(hostname, addresses, contextFor(registry)))).toBe(expected);
    });
  });
});
