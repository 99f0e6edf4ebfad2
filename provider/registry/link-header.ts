/**
 * The `rel="next"` target of an RFC 8288 `Link` header, resolved against the request URL, or
 * undefined. Tolerates several links, quoted or bare parameters and several rel values.
 */
export function parseNextLink(header: string | undefined, requestUrl: URL): URL | undefined {
  if (header === undefined) return undefined;
  let position = 0;
  while (position < header.length) {
    const open = header.indexOf('<', position);
    if (open === -1) return undefined;
    const close = header.indexOf('>', open + 1);
    if (close === -1) return undefined;
    const target = header.slice(open + 1, close);
    const { params, end } = readLinkParams(header, close + 1);
    position = end;
    const rel = params.get('rel');
    if (rel !== undefined && rel.toLowerCase().split(/\s+/).includes('next')) {
      try {
        return new URL(target, requestUrl);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Reads `; name=value` parameters up to the comma that ends one link value. */
function readLinkParams(header: string, start: number): { params: Map<string, string>; end: number } {
  const params = new Map<string, string>();
  let position = start;
  while (position < header.length) {
    const char = header.charAt(position);
    if (char === ',') return { params, end: position + 1 };
    if (char !== ';') {
      position += 1;
      continue;
    }
    position += 1;
    const nameMatch = /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*/.exec(header.slice(position));
    if (nameMatch === null) continue;
    const name = (nameMatch[1] ?? '').toLowerCase();
    position += nameMatch[0].length;
    if (header.charAt(position) !== '=') {
      params.set(name, '');
      continue;
    }
    position += 1;
    while (header.charAt(position) === ' ') position += 1;
    const { value, end } = readValue(header, position, /[;,]/);
    params.set(name, value);
    position = end;
  }
  return { params, end: position };
}

/** A quoted-string (with backslash escapes) or a bare token ending before `stop`. */
export function readValue(text: string, start: number, stop: RegExp): { value: string; end: number } {
  if (text.charAt(start) === '"') {
    let value = '';
    let position = start + 1;
    while (position < text.length) {
      const char = text.charAt(position);
      if (char === '\\' && position + 1 < text.length) {
        value += text.charAt(position + 1);
        position += 2;
        continue;
      }
      if (char === '"') return { value, end: position + 1 };
      value += char;
      position += 1;
    }
    return { value, end: position };
  }
  let position = start;
  while (position < text.length && !stop.test(text.charAt(position))) position += 1;
  return { value: text.slice(start, position).trim(), end: position };
}
