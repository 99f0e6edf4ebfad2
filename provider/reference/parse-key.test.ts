import { SignetError } from '../errors.js';
import { parseImageKey } from './parse-key.js';

describe('parseImageKey', () => {
  describe('a plain reference', () => {
    it('has no namespace', () => {
      const key = parseImageKey('alpine:3.11');
      expect(key).toMatchObject({ key: 'alpine:3.11', namespace: undefined });
      expect(key.reference.normalized).toBe('docker.io/library/alpine:3.11');
    });
  });

  describe('a [namespace] prefix', () => {
    it.each([
      ['[default]alpine', 'default', 'docker.io/library/alpine:latest'],
      ['[kube-system]ghcr.io/o/r:v1', 'kube-system', 'ghcr.io/o/r:v1'],
      ['[a]localhost:5000/r', 'a', 'localhost:5000/r:latest'],
      ['[ns1][::1]:5000/repo', 'ns1', '[::1]:5000/repo:latest'],
    ])('%s → namespace %s', (text, namespace, normalized) => {
      const key = parseImageKey(text);
      expect(key.namespace).toBe(namespace);
      expect(key.reference.normalized).toBe(normalized);
      expect(key.reference.original).toBe(text.slice(text.indexOf(']') + 1));
    });
  });

  describe('a bracketed IPv6 registry', () => {
    it.each(['[::1]:5000/repo', '[2001:db8::1]/repo:tag'])('%s is a reference, not a namespace', (text) => {
      expect(parseImageKey(text)).toMatchObject({ namespace: undefined, reference: { original: text } });
    });
  });

  describe('invalid keys', () => {
    it.each([
      ['[Default]alpine', 'not a valid Kubernetes namespace'],
      ['[-ns]alpine', 'not a valid Kubernetes namespace'],
      ['[ns-]alpine', 'not a valid Kubernetes namespace'],
      ['[]alpine', 'not a valid Kubernetes namespace'],
      ['[a.b]alpine', 'not a valid Kubernetes namespace'],
      [`[${'a'.repeat(64)}]alpine`, 'not a valid Kubernetes namespace'],
      ['[nsalpine', 'no closing "]"'],
      ['[ns]', 'empty'],
      ['[ns]Alpine', 'must be lowercase'],
    ])('%s is rejected (%s)', (text, reason) => {
      let thrown: unknown;
      try {
        parseImageKey(text);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SignetError);
      expect((thrown as SignetError).code).toBe('REFERENCE_INVALID');
      expect((thrown as SignetError).reason).toContain(reason);
    });
  });
});
