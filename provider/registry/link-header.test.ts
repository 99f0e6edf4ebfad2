import { parseNextLink } from './link-header.js';

const REQUEST = new URL('https://registry.example/v2/repo/referrers/sha256:abc?artifactType=x');

describe('parseNextLink', () => {
  describe('a next link', () => {
    it.each([
      [
        '</v2/repo/referrers/sha256:abc?page=1>; rel="next"',
        'https://registry.example/v2/repo/referrers/sha256:abc?page=1',
      ],
      [
        '</v2/repo/referrers/sha256:abc?cache=sha256%3Ad&page=1>; rel=next',
        'https://registry.example/v2/repo/referrers/sha256:abc?cache=sha256%3Ad&page=1',
      ],
      ['<https://other.example/x?n=2>;rel="next"', 'https://other.example/x?n=2'],
      ['</prev>; rel="prev", </next>; rel="next"', 'https://registry.example/next'],
      ['</a>; title="x, y"; rel="next"', 'https://registry.example/a'],
      ['</a>; rel="prefetch next"', 'https://registry.example/a'],
      ['</a>; REL=NEXT', 'https://registry.example/a'],
      ['<?page=3>; rel="next"', 'https://registry.example/v2/repo/referrers/sha256:abc?page=3'],
    ])('%s', (header, expected) => {
      expect(parseNextLink(header, REQUEST)?.toString()).toBe(expected);
    });
  });

  describe('no next link', () => {
    it.each([
      undefined,
      '',
      '</a>; rel="prev"',
      '</a>',
      'garbage',
      '<unterminated; rel="next"',
      '<http://[bad>; rel="next"',
    ])('%j', (header) => {
      expect(parseNextLink(header, REQUEST)).toBeUndefined();
    });
  });
});
