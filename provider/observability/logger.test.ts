import { createLogger, newTraceId } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = {
    write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  };
  return { lines, destination };
}

describe('createLogger', () => {
  describe('redaction', () => {
    it('hides credentials at every nesting level and keeps the rest', () => {
      const { lines, destination } = capture();
      const log = createLogger({ destination });
      log.info(
        {
          authorization: 'Bearer top',
          request: { headers: { authorization: 'Basic abc', Authorization: 'Bearer x', accept: 'json' } },
          auths: { 'registry.example': { auth: 'dXNlcjpwYXNz', identitytoken: 'id' } },
          store: { credentials: { password: 'hunter2', token: 't', username: 'user' } },
        },
        'registry call',
      );
      const text = JSON.stringify(lines);
      for (const secret of [
        'Bearer top',
        'Basic abc',
        'Bearer x',
        'dXNlcjpwYXNz',
        '"id"',
        'hunter2',
        '"t"',
      ]) {
        expect(text).not.toContain(secret);
      }
      expect(text).toContain('"accept":"json"');
      expect(text).toContain('"username":"user"');
      expect(text).toContain('[REDACTED]');
    });
  });

  describe('line shape', () => {
    it('writes JSON with a level label, an ISO time and the child fields', () => {
      const { lines, destination } = capture();
      createLogger({ destination, base: { provider: 'ratify-provider' } })
        .child({ traceId: 'abc' })
        .warn('hello');
      expect(lines[0]).toMatchObject({
        level: 'warn',
        msg: 'hello',
        traceId: 'abc',
        provider: 'ratify-provider',
        service: 'signet',
      });
      expect(typeof lines[0]?.time).toBe('string');
    });
  });
});

describe('newTraceId', () => {
  describe('format', () => {
    it('is 32 lowercase hex characters and unique', () => {
      const ids = new Set(Array.from({ length: 100 }, newTraceId));
      expect(ids.size).toBe(100);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    });
  });
});
