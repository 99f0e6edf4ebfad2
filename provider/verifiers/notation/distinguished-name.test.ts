import {
  DistinguishedNameError,
  formatDistinguishedNames,
  isSubsetDn,
  parseDistinguishedName,
} from './distinguished-name.js';

const parse = (text: string): Record<string, string> => Object.fromEntries(parseDistinguishedName(text));

describe('parseDistinguishedName', () => {
  describe('RFC 4514 syntax', () => {
    it('reads attributes with surrounding spaces dropped', () => {
      expect(parse(' C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Finance, CN=SecureBuilder')).toEqual({
        C: 'US',
        ST: 'WA',
        L: 'Seattle',
        O: 'acme-rockets.io',
        OU: 'Finance',
        CN: 'SecureBuilder',
      });
    });

    it('decodes escapes and hex pairs', () => {
      expect(parse('CN=a\\,b\\+c\\\\d\\ ,O=Digi\\2C Inc.,ST=W\\C3\\A4,C=US')).toEqual({
        CN: 'a,b+c\\d ',
        O: 'Digi, Inc.',
        ST: 'Wä',
        C: 'US',
      });
    });

    it('reads the type case-insensitively and S as ST', () => {
      expect(parse('c=US,s=California,o=Notary Project')).toEqual({
        C: 'US',
        ST: 'California',
        O: 'Notary Project',
      });
    });
  });

  describe('notation rules', () => {
    it.each<[string, RegExp]>([
      ['C=US,ST=California', /no mandatory RDN attribute for "O"/],
      ['C=US,O=Notary Project', /no mandatory RDN attribute for "ST"/],
      ['ST=WA,O=Notary', /no mandatory RDN attribute for "C"/],
      ['invalid', /parsing distinguished name/],
      ['C=US,ST=California,O=Notary Project,S=California', /duplicate RDN attribute for "ST"/],
      ['C=US,ST=California,O=Notary Project=#', /does not support x509.subject identities containing "=#"/],
      ['OU=Sales+CN=J.  Smith,DC=example,DC=net', /multi-valued RDN attributes/],
      ['C=US,ST=WA,O=x,', /parsing distinguished name/],
      ['C=US,ST=WA,O=bad\\q', /parsing distinguished name/],
    ])('rejects %s', (text, reason) => {
      expect(() => parseDistinguishedName(text)).toThrow(DistinguishedNameError);
      expect(() => parseDistinguishedName(text)).toThrow(reason);
    });
  });
});

describe('isSubsetDn', () => {
  const subject = parseDistinguishedName('CN=user,O=Notary,L=Seattle,ST=WA,C=US');

  describe('anchored matching', () => {
    it('matches a subset of the subject attributes', () => {
      expect(isSubsetDn(parseDistinguishedName('C=US,ST=WA,O=Notary'), subject)).toBe(true);
      expect(isSubsetDn(parseDistinguishedName('C=US,ST=WA,O=Notary,CN=user'), subject)).toBe(true);
    });

    it('never matches a value that merely contains or is contained in another', () => {
      expect(
        isSubsetDn(
          parseDistinguishedName('C=US,ST=WA,O=Notary,CN=user'),
          parseDistinguishedName('CN=evil-user,O=Notary,ST=WA,C=US'),
        ),
      ).toBe(false);
      expect(isSubsetDn(parseDistinguishedName('C=US,ST=WA,O=Notary,CN=evil-user'), subject)).toBe(false);
      expect(isSubsetDn(parseDistinguishedName('C=US,ST=WA,O=Notar'), subject)).toBe(false);
    });

    it('does not match when the identity has an attribute the subject lacks', () => {
      expect(isSubsetDn(parseDistinguishedName('C=US,ST=WA,O=Notary,OU=Finance'), subject)).toBe(false);
    });

    it('is case-sensitive in values', () => {
      expect(isSubsetDn(parseDistinguishedName('C=us,ST=WA,O=Notary'), subject)).toBe(false);
    });
  });
});

describe('formatDistinguishedNames', () => {
  describe("Go's %q of []map[string]string", () => {
    it('sorts keys and quotes', () => {
      expect(
        formatDistinguishedNames([parseDistinguishedName('CN=LOL,O=DummyOrg,L=Hyderabad,ST=TG,C=IN')]),
      ).toBe('[map["C":"IN" "CN":"LOL" "L":"Hyderabad" "O":"DummyOrg" "ST":"TG"]]');
    });
  });
});
