import { SignetError } from '../errors.js';
import { parseImageReference } from './parse-reference.js';
import type { ImageKey } from './reference.types.js';

// A Kubernetes namespace name is a DNS-1123 label.
const DNS_1123_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_LABEL_MAX_LENGTH = 63;

/**
 * Parses a Gatekeeper key: an image reference, optionally prefixed with `[namespace]` (Ratify's
 * form for namespace-scoped verification). A leading `[` followed by `]:` or `]/` is a bracketed
 * IPv6 registry host, not a namespace.
 */
export function parseImageKey(key: string): ImageKey {
  if (key.startsWith('[')) {
    const close = key.indexOf(']');
    const afterClose = key.charAt(close + 1);
    const isIpv6Host = close !== -1 && (afterClose === ':' || afterClose === '/');
    if (!isIpv6Host) {
      if (close === -1) {
        throw new SignetError('REFERENCE_INVALID', {
          stage: 'reference',
          image: key,
          reason: 'the key starts with "[" but has no closing "]" for its namespace',
        });
      }
      const namespace = key.slice(1, close);
      if (namespace.length > DNS_1123_LABEL_MAX_LENGTH || !DNS_1123_LABEL.test(namespace)) {
        throw new SignetError('REFERENCE_INVALID', {
          stage: 'reference',
          image: key,
          reason:
            `namespace "${namespace}" is not a valid Kubernetes namespace (a DNS-1123 label: ` +
            `lowercase letters, digits and "-", at most ${DNS_1123_LABEL_MAX_LENGTH} characters)`,
        });
      }
      return { key, namespace, reference: parseImageReference(key.slice(close + 1)) };
    }
  }
  return { key, namespace: undefined, reference: parseImageReference(key) };
}
