import { SignetError } from '../errors.js';
import { parseImageReference, toDigestReference, toRegistryHost, toTagReference } from './parse-reference.js';

function catchSignetError(action: () => unknown): SignetError {
  try {
    action();
  } catch (error) {
    if (error instanceof SignetError) return error;
    throw error;
  }
  throw new Error('expected a SignetError, nothing was thrown');
}

const SHA256_F = `sha256:${'f'.repeat(64)}`;
const SHA512_F = `sha512:${'f'.repeat(128)}`;

interface ValidCase {
  readonly input: string;
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly normalized: string;
}

// Cases follow distribution/reference's reference_test.go and normalize_test.go, seen through
// ParseNormalizedNamed + TagNameOnly (what docker pull does).
const VALID: readonly ValidCase[] = [
  {
    input: 'alpine',
    registry: 'docker.io',
    repository: 'library/alpine',
    tag: 'latest',
    normalized: 'docker.io/library/alpine:latest',
  },
  {
    input: 'alpine:3.11',
    registry: 'docker.io',
    repository: 'library/alpine',
    tag: '3.11',
    normalized: 'docker.io/library/alpine:3.11',
  },
  {
    input: 'test_com',
    registry: 'docker.io',
    repository: 'library/test_com',
    tag: 'latest',
    normalized: 'docker.io/library/test_com:latest',
  },
  {
    input: 'test.com:tag',
    registry: 'docker.io',
    repository: 'library/test.com',
    tag: 'tag',
    normalized: 'docker.io/library/test.com:tag',
  },
  {
    input: 'test.com:5000',
    registry: 'docker.io',
    repository: 'library/test.com',
    tag: '5000',
    normalized: 'docker.io/library/test.com:5000',
  },
  {
    input: 'localhost:5000',
    registry: 'docker.io',
    repository: 'library/localhost',
    tag: '5000',
    normalized: 'docker.io/library/localhost:5000',
  },
  {
    input: 'test.com/repo:tag',
    registry: 'test.com',
    repository: 'repo',
    tag: 'tag',
    normalized: 'test.com/repo:tag',
  },
  {
    input: 'test:5000/repo',
    registry: 'test:5000',
    repository: 'repo',
    tag: 'latest',
    normalized: 'test:5000/repo:latest',
  },
  {
    input: `test:5000/repo@${SHA256_F}`,
    registry: 'test:5000',
    repository: 'repo',
    digest: SHA256_F,
    normalized: `test:5000/repo@${SHA256_F}`,
  },
  {
    input: `test:5000/repo:tag@${SHA256_F}`,
    registry: 'test:5000',
    repository: 'repo',
    tag: 'tag',
    digest: SHA256_F,
    normalized: `test:5000/repo:tag@${SHA256_F}`,
  },
  {
    input: 'lowercase:Uppercase',
    registry: 'docker.io',
    repository: 'library/lowercase',
    tag: 'Uppercase',
    normalized: 'docker.io/library/lowercase:Uppercase',
  },
  {
    input: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
    registry: 'sub-dom1.foo.com',
    repository: 'bar/baz/quux',
    tag: 'some-long-tag',
    normalized: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
  },
  {
    input: 'b.gcr.io/test.example.com/my-app:test.example.com',
    registry: 'b.gcr.io',
    repository: 'test.example.com/my-app',
    tag: 'test.example.com',
    normalized: 'b.gcr.io/test.example.com/my-app:test.example.com',
  },
  {
    input: 'xn--n3h.com/myimage:xn--n3h.com',
    registry: 'xn--n3h.com',
    repository: 'myimage',
    tag: 'xn--n3h.com',
    normalized: 'xn--n3h.com/myimage:xn--n3h.com',
  },
  {
    input: `xn--7o8h.com/myimage:xn--7o8h.com@${SHA512_F}`,
    registry: 'xn--7o8h.com',
    repository: 'myimage',
    tag: 'xn--7o8h.com',
    digest: SHA512_F,
    normalized: `xn--7o8h.com/myimage:xn--7o8h.com@${SHA512_F}`,
  },
  {
    input: 'foo/foo_bar.com:8080',
    registry: 'docker.io',
    repository: 'foo/foo_bar.com',
    tag: '8080',
    normalized: 'docker.io/foo/foo_bar.com:8080',
  },
  {
    input: '192.168.1.1',
    registry: 'docker.io',
    repository: 'library/192.168.1.1',
    tag: 'latest',
    normalized: 'docker.io/library/192.168.1.1:latest',
  },
  {
    input: '192.168.1.1/repo',
    registry: '192.168.1.1',
    repository: 'repo',
    tag: 'latest',
    normalized: '192.168.1.1/repo:latest',
  },
  {
    input: '192.168.1.1:5000/repo:5050',
    registry: '192.168.1.1:5000',
    repository: 'repo',
    tag: '5050',
    normalized: '192.168.1.1:5000/repo:5050',
  },
  {
    input: '[2001:db8::1]/repo',
    registry: '[2001:db8::1]',
    repository: 'repo',
    tag: 'latest',
    normalized: '[2001:db8::1]/repo:latest',
  },
  {
    input: '[2001:db8:1:2:3:4:5:6]/repo:tag',
    registry: '[2001:db8:1:2:3:4:5:6]',
    repository: 'repo',
    tag: 'tag',
    normalized: '[2001:db8:1:2:3:4:5:6]/repo:tag',
  },
  {
    input: `[2001:db8::1]:5000/repo:tag@${SHA256_F}`,
    registry: '[2001:db8::1]:5000',
    repository: 'repo',
    tag: 'tag',
    digest: SHA256_F,
    normalized: `[2001:db8::1]:5000/repo:tag@${SHA256_F}`,
  },
  {
    input: '[::1]:5000/repo',
    registry: '[::1]:5000',
    repository: 'repo',
    tag: 'latest',
    normalized: '[::1]:5000/repo:latest',
  },
  {
    input: 'localhost/repo',
    registry: 'localhost',
    repository: 'repo',
    tag: 'latest',
    normalized: 'localhost/repo:latest',
  },
  {
    input: 'localhost:5000/a/b/c:v1',
    registry: 'localhost:5000',
    repository: 'a/b/c',
    tag: 'v1',
    normalized: 'localhost:5000/a/b/c:v1',
  },
  {
    input: '127.0.0.1:5000/library/debian',
    registry: '127.0.0.1:5000',
    repository: 'library/debian',
    tag: 'latest',
    normalized: '127.0.0.1:5000/library/debian:latest',
  },
  {
    input: 'docker/docker',
    registry: 'docker.io',
    repository: 'docker/docker',
    tag: 'latest',
    normalized: 'docker.io/docker/docker:latest',
  },
  {
    input: 'docker.io/debian',
    registry: 'docker.io',
    repository: 'library/debian',
    tag: 'latest',
    normalized: 'docker.io/library/debian:latest',
  },
  {
    input: 'docker.io/library/foo/bar',
    registry: 'docker.io',
    repository: 'library/foo/bar',
    tag: 'latest',
    normalized: 'docker.io/library/foo/bar:latest',
  },
  {
    input: 'index.docker.io/debian',
    registry: 'docker.io',
    repository: 'library/debian',
    tag: 'latest',
    normalized: 'docker.io/library/debian:latest',
  },
  {
    input: 'index.docker.io/docker/docker',
    registry: 'docker.io',
    repository: 'docker/docker',
    tag: 'latest',
    normalized: 'docker.io/docker/docker:latest',
  },
  {
    input: 'registry-1.docker.io/library/alpine:3',
    registry: 'docker.io',
    repository: 'library/alpine',
    tag: '3',
    normalized: 'docker.io/library/alpine:3',
  },
  {
    input: 'Docker/docker',
    registry: 'Docker',
    repository: 'docker',
    tag: 'latest',
    normalized: 'Docker/docker:latest',
  },
  {
    input: 'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    registry: 'docker.io',
    repository: 'library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    tag: 'latest',
    normalized: 'docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:latest',
  },
  {
    input: 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    registry: 'docker.io',
    repository: 'library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    tag: 'latest',
    normalized: 'docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest',
  },
  {
    input: 'docker---rules/docker',
    registry: 'docker.io',
    repository: 'docker---rules/docker',
    tag: 'latest',
    normalized: 'docker.io/docker---rules/docker:latest',
  },
  {
    input: 'dock__er/d',
    registry: 'docker.io',
    repository: 'dock__er/d',
    tag: 'latest',
    normalized: 'docker.io/dock__er/d:latest',
  },
  {
    input: 'ghcr.io/a.b_c-d/e__f',
    registry: 'ghcr.io',
    repository: 'a.b_c-d/e__f',
    tag: 'latest',
    normalized: 'ghcr.io/a.b_c-d/e__f:latest',
  },
  {
    input: `busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa`,
    registry: 'docker.io',
    repository: 'library/busybox',
    tag: 'latest',
    digest: 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa',
    normalized:
      'docker.io/library/busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa',
  },
  {
    input: `redis@${SHA256_F}`,
    registry: 'docker.io',
    repository: 'library/redis',
    digest: SHA256_F,
    normalized: `docker.io/library/redis@${SHA256_F}`,
  },
  {
    input: `ghcr.io/o/r:${'t'.repeat(128)}`,
    registry: 'ghcr.io',
    repository: 'o/r',
    tag: 't'.repeat(128),
    normalized: `ghcr.io/o/r:${'t'.repeat(128)}`,
  },
  {
    input: `a.io/${'a/'.repeat(120)}a`,
    registry: 'a.io',
    repository: `${'a/'.repeat(120)}a`,
    tag: 'latest',
    normalized: `a.io/${'a/'.repeat(120)}a:latest`,
  },
];

interface InvalidCase {
  readonly input: string;
  /** A fragment the reason must contain, so each rejection says precisely why. */
  readonly reason: string;
}

const INVALID: readonly InvalidCase[] = [
  { input: '', reason: 'empty' },
  { input: ':justtag', reason: 'no repository name' },
  { input: `@${SHA256_F}`, reason: 'no repository name' },
  { input: 'repo@sha256:ffffffffffffffffffffffffffffffffff', reason: 'must have 64 hex digits' },
  {
    input: `validname@invaliddigest:${'f'.repeat(64)}`,
    reason: 'algorithm "invaliddigest" is not supported',
  },
  { input: `repo@sha256:${'F'.repeat(64)}`, reason: 'lowercase hex' },
  { input: `repo@sha512:${'f'.repeat(64)}`, reason: 'must have 128 hex digits' },
  { input: 'repo@sha256:xyz', reason: 'not of the form algorithm:hex' },
  { input: 'Uppercase:tag', reason: 'must be lowercase' },
  { input: 'test:5000/Uppercase/lowercase:tag', reason: 'must be lowercase' },
  { input: 'docker/Docker', reason: 'must be lowercase' },
  { input: 'docker.io/docker/Docker', reason: 'must be lowercase' },
  { input: `${'a/'.repeat(128)}a:tag`, reason: 'longer than 255' },
  { input: `${'a/'.repeat(127)}a:tag-puts-this-over-max`, reason: 'longer than 255' },
  { input: 'aa/asdf$$^/aa', reason: 'path component "asdf$$^" is invalid' },
  { input: 'https://github.com/docker/docker', reason: 'registry host "https:" is invalid' },
  { input: '-docker', reason: 'path component "-docker"' },
  { input: '-docker/docker', reason: 'path component "-docker"' },
  { input: 'docker-/docker', reason: 'path component "docker-"' },
  { input: '-docker.io/docker/docker', reason: 'registry host "-docker.io" is invalid' },
  { input: 'docker///docker', reason: 'empty path component' },
  { input: 'docker.io/docker///docker', reason: 'empty path component' },
  { input: 'docker/', reason: 'empty path component' },
  { input: '____/____', reason: 'path component "____"' },
  { input: '_docker/_docker', reason: 'path component "_docker"' },
  { input: 'dock..er/docker', reason: 'registry host "dock..er" is invalid' },
  { input: 'dock..er/docker', reason: 'registry host "dock..er" is invalid' },
  { input: 'dock..er/docker', reason: 'registry host "dock..er" is invalid' },
  { input: 'dock___er/docker', reason: 'path component "dock___er"' },
  { input: '[fc00::1]:5000', reason: 'invalid' },
  { input: 'fc00::1:5000/debian', reason: 'registry host "fc00::1:5000" is invalid' },
  { input: '[fe80::1%eth0]:5000/debian', reason: 'registry host "[fe80::1%eth0]:5000" is invalid' },
  { input: '[2001:db8:3:4::192.0.2.33]:5000/debian', reason: 'registry host' },
  { input: '[fe80::1%@invalidzone]:5000/repo', reason: 'not of the form algorithm:hex' },
  { input: 'host:port/repo', reason: 'registry host "host:port" is invalid' },
  { input: 'host:/repo', reason: 'registry host "host:" is invalid' },
  { input: '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', reason: 'image ID' },
  { input: 'repo:-tag', reason: 'tag "-tag" is invalid' },
  { input: 'repo:.tag', reason: 'tag ".tag" is invalid' },
  { input: `repo:${'t'.repeat(129)}`, reason: 'is invalid' },
  { input: 'repo:', reason: 'tag "" is invalid' },
  { input: 'repo:ta/g', reason: 'registry host "repo:ta" is invalid' },
  { input: 'a.b_c-d/e', reason: 'registry host "a.b_c-d" is invalid' },
  { input: 'alpine ', reason: 'path component "alpine "' },
  { input: 'alp ine:1', reason: 'path component' },
  { input: 'alpine\n', reason: 'path component' },
  { input: `repo@${SHA256_F}@${SHA256_F}`, reason: 'not of the form algorithm:hex' },
  { input: 'a'.repeat(2000), reason: 'longer than 1024' },
];

describe('parseImageReference', () => {
  describe('valid references (distribution/reference table)', () => {
    it.each(VALID)('$input', (testCase) => {
      const reference = parseImageReference(testCase.input);
      expect(reference).toEqual({
        registry: testCase.registry,
        repository: testCase.repository,
        tag: testCase.tag,
        digest: testCase.digest,
        original: testCase.input,
        normalized: testCase.normalized,
      });
    });
  });

  describe('normalized output', () => {
    it.each(VALID)('re-parses to itself: $normalized', ({ normalized }) => {
      expect(parseImageReference(normalized).normalized).toBe(normalized);
    });
  });

  describe('invalid references', () => {
    it.each(INVALID)('rejects $input', ({ input, reason }) => {
      const error = catchSignetError(() => parseImageReference(input));
      expect(error.code).toBe('REFERENCE_INVALID');
      expect(error.stage).toBe('reference');
      expect(error.reason).toContain(reason);
    });

    it('names the reference as the image', () => {
      const error = catchSignetError(() => parseImageReference('Bad:tag'));
      expect(error.image).toBe('Bad:tag');
      expect(error.message).toBe(
        'image verification failed for Bad:tag: repository name "library/Bad" must be lowercase',
      );
    });
  });
});

describe('toRegistryHost', () => {
  describe('Docker Hub', () => {
    it('talks to registry-1.docker.io for docker.io', () => {
      expect(toRegistryHost(parseImageReference('alpine').registry)).toBe('registry-1.docker.io');
    });
  });
  describe('other registries', () => {
    it('uses the registry name with its port', () => {
      expect(toRegistryHost(parseImageReference('127.0.0.1:5000/a').registry)).toBe('127.0.0.1:5000');
    });
  });
});

describe('toDigestReference', () => {
  describe('a tagged reference', () => {
    it('drops the tag and pins the digest', () => {
      const pinned = toDigestReference(parseImageReference('ghcr.io/o/r:v1'), SHA256_F);
      expect(pinned).toMatchObject({
        tag: undefined,
        digest: SHA256_F,
        normalized: `ghcr.io/o/r@${SHA256_F}`,
        original: 'ghcr.io/o/r:v1',
      });
    });
  });
  describe('an invalid digest', () => {
    it('throws REFERENCE_INVALID', () => {
      expect(() => toDigestReference(parseImageReference('a'), 'sha256:abc')).toThrow(SignetError);
    });
  });
});

describe('toTagReference', () => {
  describe('a cosign tag', () => {
    it('replaces tag and digest', () => {
      const tagged = toTagReference(
        parseImageReference(`ghcr.io/o/r@${SHA256_F}`),
        `sha256-${'f'.repeat(64)}.sig`,
      );
      expect(tagged.normalized).toBe(`ghcr.io/o/r:sha256-${'f'.repeat(64)}.sig`);
      expect(tagged.digest).toBeUndefined();
    });
  });
  describe('an invalid tag', () => {
    it('throws REFERENCE_INVALID', () => {
      expect(() => toTagReference(parseImageReference('a'), 'bad/tag')).toThrow(SignetError);
    });
  });
});
