import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { DestinationStream, Level, Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log line, at any of the first four nesting levels (registry auth
 * configs nest them as `auths.<host>.auth`, HTTP headers as `request.headers.authorization`).
 */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'password',
  'token',
  'auth',
  'identitytoken',
  'identityToken',
  'registrytoken',
  'access_token',
  'refresh_token',
] as const;

const REDACT_DEPTH = 4;

const REDACTED_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) =>
  Array.from({ length: REDACT_DEPTH }, (_, depth) => [...Array<string>(depth).fill('*'), key].join('.')),
);

export interface LoggerOptions {
  readonly level?: Level | 'silent';
  /** Where JSON lines go; stdout when omitted. Tests pass a collecting stream. */
  readonly destination?: DestinationStream;
  /** Fields on every line, e.g. `{ provider: 'ratify-provider' }`. */
  readonly base?: Readonly<Record<string, string>>;
}

/** A pino JSON logger that redacts credentials wherever they appear in logged objects. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'signet', ...options.base },
      redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
      serializers: { err: pino.stdSerializers.err },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** A W3C-trace-context-shaped ID (32 lowercase hex) for one request; also the result's `traceID`. */
export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}
