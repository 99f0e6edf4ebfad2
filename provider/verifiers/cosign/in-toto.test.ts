import {
  IN_TOTO_PAYLOAD_TYPE,
  parseInTotoStatement,
  toPredicateSummary,
  toPredicateTypeUri,
  verifyStatementSubject,
} from './in-toto.js';
import { reasonOf } from '../../../test/fixtures/cosign-artifacts.js';

const HEX = 'ab'.repeat(32);

function statement(fields: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'registry.example/app', digest: { sha256: HEX } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: { buildDefinition: {}, runDetails: {} },
      ...fields,
    }),
  );
}

describe('in-toto statements', () => {
  describe('a statement about the subject', () => {
    it('parses, matches the subject digest and summarizes the predicate', () => {
      const parsed = parseInTotoStatement(IN_TOTO_PAYLOAD_TYPE, statement());
      expect(() => verifyStatementSubject(parsed, `sha256:${HEX}`)).not.toThrow();
      expect(toPredicateSummary(parsed)).toEqual({
        predicateType: 'https://slsa.dev/provenance/v1',
        statementBytes: statement().byteLength,
        predicateKeys: ['buildDefinition', 'runDetails'],
        predicateKeyCount: 2,
      });
    });

    it('bounds the summary to 16 keys of at most 64 characters', () => {
      const predicate = Object.fromEntries(
        Array.from({ length: 40 }, (_, i) => [`${'k'.repeat(100)}${i}`, i]),
      );
      const summary = toPredicateSummary(
        parseInTotoStatement(IN_TOTO_PAYLOAD_TYPE, statement({ predicate })),
      );
      expect(summary.predicateKeys).toHaveLength(16);
      expect(summary.predicateKeys.every((key) => key.length === 64)).toBe(true);
      expect(summary.predicateKeyCount).toBe(40);
    });
  });

  describe('statements that must be refused', () => {
    it.each([
      ['another payload type', 'text/plain', statement(), /DSSE payload type is "text\/plain"/],
      ['another _type', IN_TOTO_PAYLOAD_TYPE, statement({ _type: 'x' }), /_type is "x"/],
      ['no predicateType', IN_TOTO_PAYLOAD_TYPE, statement({ predicateType: '' }), /no predicateType/],
      ['no subject', IN_TOTO_PAYLOAD_TYPE, statement({ subject: [] }), /no subject/],
      ['a subject without digest', IN_TOTO_PAYLOAD_TYPE, statement({ subject: [{}] }), /no digest object/],
    ])('%s', (_name, payloadType, bytes, reason) => {
      expect(reasonOf(() => parseInTotoStatement(payloadType, bytes))).toMatch(reason);
    });

    it('refuses a statement naming another digest', () => {
      const parsed = parseInTotoStatement(IN_TOTO_PAYLOAD_TYPE, statement());
      expect(reasonOf(() => verifyStatementSubject(parsed, `sha256:${'cd'.repeat(32)}`))).toBe(
        `SIGNATURE_INVALID: in-toto statement subjects name sha256:${HEX}, not the subject's sha256:${'cd'.repeat(32)}`,
      );
    });

    it('refuses a string predicate only when an object predicate is required (bundles)', () => {
      const bytes = statement({ predicate: '{"spdxVersion":"SPDX-2.3"}' });
      expect(() => parseInTotoStatement(IN_TOTO_PAYLOAD_TYPE, bytes)).not.toThrow();
      expect(
        reasonOf(() => parseInTotoStatement(IN_TOTO_PAYLOAD_TYPE, bytes, { objectPredicate: true })),
      ).toMatch(/predicate is not a JSON object/);
    });
  });

  describe('predicate type names', () => {
    it("expands cosign's short names and keeps URIs", () => {
      expect(toPredicateTypeUri('slsaprovenance')).toBe('https://slsa.dev/provenance/v0.2');
      expect(toPredicateTypeUri('cyclonedx')).toBe('https://cyclonedx.org/bom');
      expect(toPredicateTypeUri('https://example.com/p/v1')).toBe('https://example.com/p/v1');
    });
  });
});
