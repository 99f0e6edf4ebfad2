import { readValue } from '../link-header.js';

/** One `WWW-Authenticate` challenge; scheme lowercased, parameter names lowercased. */
export interface Challenge {
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * Parses a `WWW-Authenticate` value (RFC 9110 §11.6.1), which may hold several challenges
 * (`Basic realm="r", Bearer realm="…",service="…",scope="repository:a:pull,push"`). Commas
 * inside quoted values stay in the value; a token followed by `=` is a parameter, otherwise it
 * starts the next challenge. token68 credentials (`Negotiate abc==`) are not used by registries
 * and parse as stray schemes, which callers ignore.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let position = 0;
  let current: { scheme: string; params: Map<string, string> } | undefined;
  while (position < header.length) {
    const char = header.charAt(position);
    if (char === ',' || char === ' ' || char === '\t') {
      position += 1;
      continue;
    }
    const tokenMatch = TOKEN.exec(header.slice(position));
    if (tokenMatch === null) {
      // Not a token: skip the character rather than fail on a malformed registry header.
      position += 1;
      continue;
    }
    const token = tokenMatch[0];
    let next = position + token.length;
    while (header.charAt(next) === ' ' || header.charAt(next) === '\t') next += 1;
    const isParam = current !== undefined && header.charAt(next) === '=' && header.charAt(next + 1) !== '=';
    if (current !== undefined && isParam) {
      next += 1;
      while (header.charAt(next) === ' ' || header.charAt(next) === '\t') next += 1;
      const { value, end } = readValue(header, next, /[,]/);
      current.params.set(token.toLowerCase(), value);
      position = end;
      continue;
    }
    current = { scheme: token.toLowerCase(), params: new Map() };
    challenges.push(current);
    position = position + token.length;
  }
  return challenges;
}
