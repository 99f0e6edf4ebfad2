import {
  MAX_SIMPLE_SIGNING_PAYLOAD_BYTES,
  parseSimpleSigningPayload,
  verifySimpleSigningPayload,
} from './simple-signing.js';
import { reasonOf } from '../../../test/fixtures/cosign-artifacts.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function payload(document: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(document));
}

function cosignPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    critical: {
      identity: { 'docker-reference': 'registry.example/app' },
      image: { 'docker-manifest-digest': DIGEST },
      type: 'cosign container image signature',
      ...overrides,
    },
    optional: null,
  };
}

describe('parseSimpleSigningPayload', () => {
  describe('a payload written by cosign sign', () => {
    it('yields type, digest, reference and no optional annotations', () => {
      expect(parseSimpleSigningPayload(payload(cosignPayload()))).toEqual({
        type: 'cosign container image signature',
        dockerManifestDigest: DIGEST,
        dockerReference: 'registry.example/app',
        optional: undefined,
      });
    });

    it('keeps -a annotations from optional', () => {
      const parsed = parseSimpleSigningPayload(payload({ ...cosignPayload(), optional: { team: 'a' } }));
      expect(parsed.optional).toEqual({ team: 'a' });
    });
  });

  describe('malformed payloads', () => {
    it.each([
      [
        'not JSON',
        Buffer.from('{"critical":'),
        /^SIGNATURE_INVALID: simple-signing payload is not UTF-8 JSON/,
      ],
      ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), /not UTF-8 JSON/],
      ['an array', payload([]), /is not a JSON object/],
      ['no critical', payload({ optional: {} }), /has no "critical" object/],
      ['no image', payload({ critical: { type: 'x' } }), /has no "critical.image" object/],
      [
        'a numeric digest',
        payload(cosignPayload({ image: { 'docker-manifest-digest': 1 } })),
        /"critical.image.docker-manifest-digest" string/,
      ],
      ['no type', payload(cosignPayload({ type: undefined })), /"critical.type" string/],
      [
        'a string identity',
        payload(cosignPayload({ identity: 'x' })),
        /"critical.identity" is not an object/,
      ],
      [
        'a numeric reference',
        payload(cosignPayload({ identity: { 'docker-reference': 3 } })),
        /docker-reference" is not a string/,
      ],
      ['a list as optional', payload({ ...cosignPayload(), optional: [] }), /"optional" is not an object/],
    ])('rejects %s', (_name, bytes, reason) => {
      expect(reasonOf(() => parseSimpleSigningPayload(bytes))).toMatch(reason);
    });

    it('rejects an oversized payload before parsing it as LIMIT_EXCEEDED', () => {
      const bytes = new Uint8Array(MAX_SIMPLE_SIGNING_PAYLOAD_BYTES + 1);
      expect(reasonOf(() => parseSimpleSigningPayload(bytes))).toMatch(/^LIMIT_EXCEEDED: /);
    });
  });
});

describe('verifySimpleSigningPayload', () => {
  describe('the subject the payload names', () => {
    it('accepts the subject digest with either signature type', () => {
      expect(() =>
        verifySimpleSigningPayload(parseSimpleSigningPayload(payload(cosignPayload())), {
          subjectDigest: DIGEST,
        }),
      ).not.toThrow();
      const atomic = parseSimpleSigningPayload(
        payload(cosignPayload({ type: 'atomic container signature' })),
      );
      expect(() => verifySimpleSigningPayload(atomic, { subjectDigest: DIGEST })).not.toThrow();
    });

    it("rejects another image's digest", () => {
      const other = `sha256:${'b'.repeat(64)}`;
      expect(
        reasonOf(() =>
          verifySimpleSigningPayload(parseSimpleSigningPayload(payload(cosignPayload())), {
            subjectDigest: other,
          }),
        ),
      ).toBe(`SIGNATURE_INVALID: simple-signing payload names digest ${DIGEST}, not the subject's ${other}`);
    });

    it('rejects an unknown signature type', () => {
      const parsed = parseSimpleSigningPayload(
        payload(cosignPayload({ type: 'cosign container image attestation' })),
      );
      expect(reasonOf(() => verifySimpleSigningPayload(parsed, { subjectDigest: DIGEST }))).toMatch(
        /has type "cosign container image attestation"/,
      );
    });
  });

  describe('the docker reference, when one is required', () => {
    it('accepts the exact reference and rejects any other or none', () => {
      const parsed = parseSimpleSigningPayload(payload(cosignPayload()));
      expect(() =>
        verifySimpleSigningPayload(parsed, {
          subjectDigest: DIGEST,
          dockerReference: 'registry.example/app',
        }),
      ).not.toThrow();
      expect(
        reasonOf(() =>
          verifySimpleSigningPayload(parsed, {
            subjectDigest: DIGEST,
            dockerReference: 'registry.example/app2',
          }),
        ),
      ).toMatch(/expected "registry.example\/app2"/);
      const anonymous = parseSimpleSigningPayload(payload(cosignPayload({ identity: null })));
      expect(
        reasonOf(() =>
          verifySimpleSigningPayload(anonymous, {
            subjectDigest: DIGEST,
            dockerReference: 'registry.example/app',
          }),
        ),
      ).toMatch(/names reference ""/);
    });
  });
});
