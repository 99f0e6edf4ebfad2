import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret from configuration (a registry password). It prints, logs and serializes as
 * `[redacted]`; only `reveal()` gives the value, so a snapshot can be logged whole without leaking it.
 */
export class ConfigSecret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    Object.freeze(this);
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
